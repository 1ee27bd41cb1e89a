package fastmcp_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// slServer returns a server whose tool "text" returns n characters, whose
// resource "r://big" holds 5000 bytes, and with ResponseSizeLimit installed.
func slServer(t testing.TB, opts fastmcp.ResponseSizeLimitOptions) *fastmcp.Server {
	s := testkit.NewServer(t, fastmcp.Options{})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "text"}, func(ctx *fastmcp.Context, a struct {
		N int `json:"n"`
	}) (string, error) {
		return strings.Repeat("x", a.N), nil
	})
	s.AddResource(fastmcp.Resource{URI: "r://big", Name: "big", Load: fastmcp.StaticText(strings.Repeat("y", 5000))})
	for i := range 40 {
		fastmcp.AddTool(s, fastmcp.Tool{Name: fmt.Sprintf("tool%02d", i), Description: strings.Repeat("d", 50)},
			func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "", nil })
	}
	s.Use(fastmcp.ResponseSizeLimit(opts))
	return s
}

func TestResponseSizeLimit(t *testing.T) {
	t.Parallel()
	s := slServer(t, fastmcp.ResponseSizeLimitOptions{MaxBytes: 1000})
	c := testkit.Connect(t, s, nil)
	ctx := testkit.Context(t)

	// {"content":[{"type":"text","text":"..."}]} is 39 bytes around the text.
	for _, tc := range []struct {
		n       int
		isError bool
	}{{100, false}, {961, false}, {962, true}, {1 << 20, true}} {
		res, err := c.CallTool(ctx, "text", map[string]any{"n": tc.n})
		if err != nil {
			t.Fatalf("n=%d: %v", tc.n, err)
		}
		if res.IsError != tc.isError {
			t.Errorf("n=%d: isError %v", tc.n, res.IsError)
		}
		if tc.isError {
			want := fmt.Sprintf(`The result of tool "text" is too large: %d bytes, and this server sends at most 1000.`, tc.n+39)
			if got := fastmcptest.Text(res); !strings.HasPrefix(got, want) {
				t.Errorf("n=%d: %q, want %q", tc.n, got, want)
			}
		}
	}

	_, err := c.ReadResource(ctx, "r://big")
	var e *fastmcp.Error
	if !errors.As(err, &e) || e.Code != fastmcp.CodeInternalError || !strings.Contains(e.Message, "The result of resources/read r://big is too large") {
		t.Fatalf("big read: %v", err)
	}
	var data struct{ Size, Limit int }
	raw, _ := json.Marshal(e.Data)
	if json.Unmarshal(raw, &data); data.Limit != 1000 || data.Size < 5000 {
		t.Errorf("error data %s", raw)
	}
	if _, err := c.ListTools(ctx); err == nil || !strings.Contains(err.Error(), "tools/list is too large") {
		t.Errorf("big list: %v", err)
	}
}

func TestResponseSizeLimitMethodsAndDefault(t *testing.T) {
	t.Parallel()
	s := slServer(t, fastmcp.ResponseSizeLimitOptions{MaxBytes: 1000, Methods: []string{"tools/call"}})
	c := testkit.Connect(t, s, nil)
	if _, err := c.ListTools(testkit.Context(t)); err != nil {
		t.Errorf("a list outside Methods was limited: %v", err)
	}
	if _, err := c.ReadResource(testkit.Context(t), "r://big"); err != nil {
		t.Errorf("a read outside Methods was limited: %v", err)
	}
	// The default limit is 1 MiB.
	d := testkit.Connect(t, slServer(t, fastmcp.ResponseSizeLimitOptions{}), nil)
	for _, tc := range []struct {
		n       int
		isError bool
	}{{fastmcp.DefaultMaxResponseBytes - 39, false}, {fastmcp.DefaultMaxResponseBytes - 38, true}} {
		res, err := d.CallTool(testkit.Context(t), "text", map[string]any{"n": tc.n})
		if err != nil || res.IsError != tc.isError {
			t.Errorf("n=%d: isError %v, %v", tc.n, res.IsError, err)
		}
	}
}

func TestResponseSizeLimitModern(t *testing.T) {
	t.Parallel()
	s := slServer(t, fastmcp.ResponseSizeLimitOptions{MaxBytes: 1000})
	ts := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := mdNew(t, ts.Endpoint)
	var res fastmcp.CallToolResult
	c.call("tools/call", map[string]any{"name": "text", "arguments": map[string]any{"n": 5000}}, &res)
	if !res.IsError || !strings.Contains(fastmcptest.Text(&res), "too large") {
		t.Errorf("2026-07-28 big result: %+v", res)
	}
	c.send(mdReq{method: "resources/read", params: map[string]any{"uri": "r://big"}}).wantError(t, 200, -32603)
}
