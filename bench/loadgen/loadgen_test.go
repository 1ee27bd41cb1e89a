package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
)

// TestQuickFastMCP runs the -quick benchmark against the fastmcp server, and
// the same server behind fastmcp's proxy, and requires zero errors: a cheap
// smoke test of the harness and the servers.
func TestQuickFastMCP(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go tool is needed to build the server")
	}
	cfg := defaultConfig()
	cfg.quick()
	cfg.Servers = []string{"fastmcp", "fastmcp-proxy"}
	cfg.Log = testLog{t}
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	md := markdown(res)
	t.Log("\n" + md)
	if n := res.TotalErrors(); n != 0 {
		t.Fatalf("%d errors", n)
	}
	for _, name := range cfg.Servers {
		t.Run(name, func(t *testing.T) { checkQuick(t, cfg, res.Servers[name]) })
	}
}

// checkQuick checks that every measurement of a -quick run of one server
// measured something.
func checkQuick(t *testing.T, cfg *Config, f *ServerResult) {
	if f == nil {
		t.Fatal("no results")
	}
	if len(f.Calls) != len(cfg.Levels) {
		t.Fatalf("%d call levels measured, want %d", len(f.Calls), len(cfg.Levels))
	}
	for _, c := range f.Calls {
		if c.Calls == 0 || c.P50us == 0 {
			t.Errorf("%d sessions: no calls measured", c.Sessions)
		}
	}
	if len(f.Modern) != len(cfg.ModernLevels) || len(f.Stdio) != len(cfg.StdioInFlight) {
		t.Fatalf("%d 2026-07-28 levels and %d stdio levels measured, want %d and %d", len(f.Modern), len(f.Stdio), len(cfg.ModernLevels), len(cfg.StdioInFlight))
	}
	for _, c := range f.Modern {
		if c.Calls == 0 || c.P50us == 0 {
			t.Errorf("2026-07-28, %d clients: no calls measured", c.Sessions)
		}
	}
	for _, c := range f.Stdio {
		if c.Calls == 0 || c.P50us == 0 || c.StartMs == 0 || c.ServerCPUus == 0 {
			t.Errorf("stdio, %d in flight: no calls measured: %+v", c.InFlight, c)
		}
	}
	if f.NewSessions == nil || f.NewSessions.Sessions == 0 {
		t.Error("no new sessions measured")
	}
	if f.RSS == nil || len(f.RSS.Points) != 1 || f.RSS.Points[0].Sessions != 200 || f.RSS.Checked == 0 || f.RSS.Lost != 0 {
		t.Errorf("RSS measurement incomplete: %+v", f.RSS)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestClients checks both HTTP clients against answers in JSON, in SSE, and
// in chunked SSE.
func TestClients(t *testing.T) {
	const sid = "s-1"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			ID     int64  `json:"id"`
			Method string `json:"method"`
		}
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		fmt.Sscanf(buf.String(), `{"jsonrpc":"2.0","id":%d`, &m.ID)
		modern := r.Header.Get("Mcp-Protocol-Version") == modernVersion
		switch {
		case modern && (r.Header.Get("Mcp-Session-Id") != "" || r.Header.Get("Mcp-Method") != "tools/call" || r.Header.Get("Mcp-Name") != "add" ||
			!strings.Contains(buf.String(), `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}`)):
			http.Error(w, "bad 2026-07-28 request", http.StatusBadRequest)
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		case strings.Contains(buf.String(), `"initialize"`):
			w.Header().Set("Mcp-Session-Id", sid)
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "id: 1\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{\"protocolVersion\":\"2025-06-18\"}}\n\n")
		case strings.Contains(buf.String(), `"notifications/initialized"`):
			if r.Header.Get("Mcp-Session-Id") != sid || r.Header.Get("Mcp-Protocol-Version") != "2025-06-18" {
				http.Error(w, "bad session headers", http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		case m.ID%2 == 0: // JSON
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%d,"result":{"content":[{"type":"text","text":"5"}]}}`, m.ID)
		default: // chunked SSE, with a notification first
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n")
			w.(http.Flusher).Flush()
			fmt.Fprintf(w, "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"5\"}]}}\r\n\r\n", m.ID)
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/mcp")
	for _, client := range []string{"raw", "nethttp"} {
		t.Run(client, func(t *testing.T) {
			cfg := defaultConfig()
			cfg.Client = client
			w := newWorker(newTransport(cfg, 1), u)
			defer w.close()
			s, err := w.initialize()
			if err != nil {
				t.Fatal(err)
			}
			for range 4 {
				if err := w.call(s, 2, 3); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.call(s, 2, 2); err == nil {
				t.Error("a wrong sum was accepted")
			}
			ms := &session{nextID: 2}
			for range 2 {
				if err := w.callModern(ms, 2, 3); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.delete(s); err != nil {
				t.Fatal(err)
			}
		})
	}
}
