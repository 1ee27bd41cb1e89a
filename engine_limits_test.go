package fastmcp_test

// A handler that ends its goroutine (runtime.Goexit) is answered with an
// error on every transport, and the connection keeps serving.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/fastmcp-go/fastmcp"
)

// limGoexitServer adds tools that end their goroutine: "exit" at once,
// "exit-late" after a progress report (so the answer is an SSE stream).
func limGoexitServer(t *testing.T, opts fastmcp.Options) *fastmcp.Server {
	s := limServer(t, opts, nil)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "exit"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) {
		runtime.Goexit()
		return "", nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "exit-late"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.ReportProgress(fastmcp.Progress{Progress: 1})
		runtime.Goexit()
		return "", nil
	})
	return s
}

func limWantExited(t *testing.T, m limMsg) {
	t.Helper()
	if m.Error == nil || m.Error.Code != -32603 || !strings.Contains(m.Error.Message, "ended without returning") {
		t.Fatalf("answer %s %+v, want an internal error saying the handler ended", m.Result, m.Error)
	}
}

func limCall(name string) map[string]any {
	return map[string]any{"name": name, "arguments": map[string]any{}, "_meta": map[string]any{"progressToken": 1}}
}

func TestGoexitAnsweredOnEveryTransport(t *testing.T) {
	t.Parallel()
	t.Run("stdio", func(t *testing.T) {
		t.Parallel()
		s := limGoexitServer(t, fastmcp.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		in, msgs, _, _ := limStdio(t, s, ctx)
		for i, tool := range []string{"exit", "exit-late"} {
			fmt.Fprintf(in, "%s\n", limEncode(int64(i+1), "tools/call", limCall(tool)))
			limWantExited(t, limAnswerTo(t, msgs, fmt.Sprint(i+1)))
		}
		fmt.Fprintf(in, "%s\n", limEncode(9, "tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 2}}))
		if m := limAnswerTo(t, msgs, "9"); m.Error != nil {
			t.Errorf("a later call: %+v", m.Error)
		}
	})
	for _, mode := range []struct {
		name  string
		opts  fastmcp.HTTP
		rev   string
		batch bool
	}{
		{name: "Streamable HTTP"},
		{name: "Streamable HTTP, JSON answers", opts: fastmcp.HTTP{JSONResponse: true}},
		{name: "stateless", opts: fastmcp.HTTP{Stateless: true}},
		{name: "batch", rev: fastmcp.ProtocolVersion20250326, batch: true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			s := limGoexitServer(t, fastmcp.Options{})
			ts, _ := limHTTP(t, s, mode.opts, 0)
			c := limNewClient(t, ts.URL+"/mcp")
			if mode.rev != "" {
				c.rev = mode.rev
			}
			if !mode.opts.Stateless {
				c.mustInitialize(true)
			}
			for _, tool := range []string{"exit", "exit-late"} {
				if mode.batch {
					a := c.send([]byte("[" + string(limEncode(1, "tools/call", limCall(tool))) + "," +
						string(limEncode(2, "tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 2}})) + "]"))
					if a.status != http.StatusOK || !bytes.Contains(a.raw, []byte("ended without returning")) || !bytes.Contains(a.raw, []byte(`"3"`)) {
						t.Fatalf("batch: %d %s", a.status, a.raw)
					}
					continue
				}
				a := c.request("tools/call", limCall(tool))
				if a.status != http.StatusOK {
					t.Fatalf("%s: status %d %s", tool, a.status, a.raw)
				}
				limWantExited(t, a.msg)
			}
			if a := c.request("tools/call", map[string]any{"name": "add", "arguments": map[string]any{"a": 1, "b": 2}}); a.msg.Error != nil {
				t.Errorf("a later call: %s", a.raw)
			}
		})
	}
	t.Run("2026-07-28", func(t *testing.T) {
		t.Parallel()
		s := limGoexitServer(t, fastmcp.Options{})
		ts, _ := limHTTP(t, s, fastmcp.HTTP{}, 0)
		for _, tool := range []string{"exit", "exit-late"} {
			body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":{},"_meta":{"progressToken":1,`+
				`"io.modelcontextprotocol/protocolVersion":%q,"io.modelcontextprotocol/clientInfo":{"name":"l","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`,
				tool, fastmcp.ProtocolVersion20260728)
			r, _ := http.NewRequest(http.MethodPost, ts.URL+"/mcp", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "application/json, text/event-stream")
			r.Header.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20260728)
			r.Header.Set("Mcp-Method", "tools/call")
			r.Header.Set("Mcp-Name", tool)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Contains(data, []byte("ended without returning")) {
				t.Fatalf("%s: %d %s", tool, resp.StatusCode, data)
			}
		}
	})
	t.Run("legacy SSE", func(t *testing.T) {
		t.Parallel()
		s := limGoexitServer(t, fastmcp.Options{})
		ts, _ := limHTTP(t, s, fastmcp.HTTP{}, 0)
		resp, err := http.Get(ts.URL + "/sse")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		br := bufio.NewReader(resp.Body)
		var endpoint string
		for endpoint == "" {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if d, ok := strings.CutPrefix(strings.TrimSpace(line), "data: "); ok {
				endpoint = ts.URL + d
			}
		}
		events := limReadEvents(br)
		post := func(msg []byte) {
			resp, err := http.Post(endpoint, "application/json", bytes.NewReader(msg))
			if err != nil || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("POST: %v %v", err, resp)
			}
			resp.Body.Close()
		}
		next := func(id string) limMsg {
			for m := range events.ch {
				if string(m.ID) == id && m.Method == "" {
					return m
				}
			}
			t.Fatalf("stream ended before the answer to %s", id)
			return limMsg{}
		}
		post(limEncode(1, "initialize", map[string]any{"protocolVersion": fastmcp.ProtocolVersion20241105, "capabilities": map[string]any{},
			"clientInfo": map[string]any{"name": "legacy", "version": "1"}}))
		next("1")
		post(limEncode(0, "notifications/initialized", nil))
		for i, tool := range []string{"exit", "exit-late"} {
			post(limEncode(int64(i+2), "tools/call", limCall(tool)))
			limWantExited(t, next(fmt.Sprint(i+2)))
		}
	})
}
