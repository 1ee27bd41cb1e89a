package fastmcp_test

// What a request may ask the server to echo: its id and its progress token.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
)

// An id that is not valid UTF-8 is refused with a response naming no id, on
// every transport: echoing it would make the response invalid JSON.
func TestIDsThatAreNotUTF8(t *testing.T) {
	t.Parallel()
	bad := []byte("{\"jsonrpc\":\"2.0\",\"id\":\"a\xffb\",\"method\":\"ping\"}")
	t.Run("HTTP", func(t *testing.T) {
		t.Parallel()
		s := limServer(t, fastmcp.Options{}, nil)
		ts, _ := limHTTP(t, s, fastmcp.HTTP{}, 0)
		c := limNewClient(t, ts.URL+"/mcp")
		c.mustInitialize(true)
		a := c.send(bad)
		if a.status != http.StatusBadRequest || !json.Valid(a.raw) || string(a.msg.ID) != "null" && a.msg.ID != nil || a.msg.Error == nil || a.msg.Error.Code != -32600 {
			t.Fatalf("answer %d %q, want 400 with an Invalid Request error and a null id", a.status, a.raw)
		}
	})
	t.Run("stdio", func(t *testing.T) {
		t.Parallel()
		s := limServer(t, fastmcp.Options{}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		in, msgs, _, _ := limStdio(t, s, ctx)
		fmt.Fprintf(in, "%s\n", bad)
		fmt.Fprintf(in, "%s\n", limEncode(5, "ping", nil))
		var refused bool
		for m := range msgs { // limStdio fails the test on output that is not JSON
			if m.Error != nil && m.Error.Code == -32600 && (m.ID == nil || string(m.ID) == "null") {
				refused = true
			}
			if string(m.ID) == "5" {
				break
			}
		}
		if !refused {
			t.Error("the message was not refused")
		}
	})
}

// _meta.progressToken must be a string or an integer, short enough to echo
// in every progress notification.
func TestProgressTokenValidation(t *testing.T) {
	t.Parallel()
	s := limServer(t, fastmcp.Options{}, nil)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "progress"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.ReportProgress(fastmcp.Progress{Progress: 1})
		return "done", nil
	})
	ts, _ := limHTTP(t, s, fastmcp.HTTP{}, 0)
	c := limNewClient(t, ts.URL+"/mcp")
	c.mustInitialize(true)
	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		{"string", `"tok-1"`, true},
		{"integer", `42`, true},
		{"negative integer", `-7`, true},
		{"object", `{"a":1}`, false},
		{"2 MiB object", `{"a":"` + strings.Repeat("x", 2<<20) + `"}`, false},
		{"array", `[1]`, false},
		{"fraction", `1.5`, false},
		{"boolean", `true`, false},
		{"long string", `"` + strings.Repeat("x", 300) + `"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"progress","arguments":{},"_meta":{"progressToken":` + tc.token + `}}}`
			a := c.send([]byte(body))
			if tc.ok {
				if a.msg.Error != nil || !strings.Contains(string(a.msg.Result), "done") {
					t.Fatalf("answer %s", a.raw)
				}
				return
			}
			if a.msg.Error == nil || a.msg.Error.Code != -32602 || !strings.Contains(a.msg.Error.Message, "progressToken") {
				t.Fatalf("answer %.200s, want an Invalid params error about progressToken", a.raw)
			}
			if len(a.raw) > 1024 {
				t.Errorf("the refusal is %d bytes: the token was echoed", len(a.raw))
			}
		})
	}
}
