package fastmcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// Tests of the stdio transport's output while requests are pipelined: the
// answers to requests read together are written together, and nothing the
// client waits for stays in the output buffer. Every request of a test is
// written with one write, so the server finds them all buffered at once.

// phClient is a raw stdio client: lines in, lines out.
type phClient struct {
	t     *testing.T
	in    *io.PipeWriter
	lines chan string
	done  chan error // Serve's result
}

func phStart(t *testing.T, s *fastmcp.Server) *phClient {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := &phClient{t: t, in: inW, lines: make(chan string, 1024), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		c.done <- s.Serve(ctx, fastmcp.Stdio{Reader: inR, Writer: outW})
		outW.Close()
	}()
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		cancel()
		select {
		case <-c.done:
		case <-time.After(testkit.Wait):
			t.Error("Serve did not return")
		}
	})
	return c
}

// write writes the lines with one write.
func (c *phClient) write(lines ...string) {
	c.t.Helper()
	if _, err := io.WriteString(c.in, strings.Join(lines, "\n")+"\n"); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next message the server wrote.
func (c *phClient) next() map[string]any {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			c.t.Fatal("the server closed its output")
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			c.t.Fatalf("%v: %s", err, l)
		}
		return m
	case <-time.After(testkit.Wait):
		c.t.Fatal("no message from the server: held in its output buffer?")
		return nil
	}
}

// initialize opens the session, declaring the given capabilities.
func (c *phClient) initialize(caps string) {
	c.t.Helper()
	c.write(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":` + caps + `,"clientInfo":{"name":"t","version":"1"}}}`)
	if m := c.next(); m["result"] == nil {
		c.t.Fatalf("initialize: %v", m)
	}
	c.write(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
}

func phCall(id int, tool string, args string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, tool, args)
}

func phServer(t *testing.T, opts fastmcp.Options) *fastmcp.Server {
	s := testkit.NewServer(t, opts)
	type addArgs struct{ A, B int }
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add"}, func(_ *fastmcp.Context, a addArgs) (string, error) {
		return fmt.Sprint(a.A + a.B), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "roots"}, func(ctx *fastmcp.Context, _ struct{}) (string, error) {
		roots, err := ctx.Roots()
		if err != nil {
			return "", err
		}
		return fmt.Sprint(len(roots)), nil
	})
	return s
}

// phWantAnswers reads n answers to add calls with ids 1..n, in any order.
func (c *phClient) wantAnswers(n int) {
	c.t.Helper()
	seen := map[float64]bool{}
	for len(seen) < n {
		m := c.next()
		id, _ := m["id"].(float64)
		if m["result"] == nil || id < 1 || id > float64(n) || seen[id] {
			c.t.Fatalf("unexpected message %v", m)
		}
		seen[id] = true
	}
}

func TestStdioPipelinedOutput(t *testing.T) {
	t.Parallel()
	adds := func(n int) []string {
		var ls []string
		for i := 1; i <= n; i++ {
			ls = append(ls, phCall(i, "add", fmt.Sprintf(`{"A":%d,"B":1}`, i)))
		}
		return ls
	}
	t.Run("all answered", func(t *testing.T) {
		t.Parallel()
		c := phStart(t, phServer(t, fastmcp.Options{}))
		c.initialize(`{}`)
		c.write(adds(200)...)
		c.wantAnswers(200)
	})
	t.Run("in-flight cap reached", func(t *testing.T) {
		t.Parallel()
		// Beyond the cap a request is refused, never left unanswered and
		// never served twice: each id gets one answer, a result or the
		// refusal naming Options.MaxInFlight.
		c := phStart(t, phServer(t, fastmcp.Options{MaxInFlight: 1}))
		c.initialize(`{}`)
		c.write(adds(50)...)
		seen := map[float64]bool{}
		results := 0
		for len(seen) < 50 {
			m := c.next()
			id, _ := m["id"].(float64)
			if id < 1 || id > 50 || seen[id] {
				t.Fatalf("unexpected message %v", m)
			}
			seen[id] = true
			if m["result"] != nil {
				results++
				continue
			}
			e, _ := m["error"].(map[string]any)
			if msg, _ := e["message"].(string); !strings.Contains(msg, "Options.MaxInFlight") {
				t.Fatalf("request %v: neither a result nor the in-flight refusal: %v", id, m)
			}
		}
		if results == 0 {
			t.Fatal("every request was refused")
		}
	})
	t.Run("end of input", func(t *testing.T) {
		t.Parallel()
		c := phStart(t, phServer(t, fastmcp.Options{}))
		c.initialize(`{}`)
		c.write(adds(100)...)
		c.in.Close()
		c.wantAnswers(100)
	})
	t.Run("server request while requests are buffered", func(t *testing.T) {
		t.Parallel()
		c := phStart(t, phServer(t, fastmcp.Options{}))
		c.initialize(`{"roots":{}}`)
		// The roots request must reach the client although more lines
		// were buffered when it was sent, and although the line after it
		// is a notification, answered by nothing.
		c.write(phCall(1, "roots", `{}`), `{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}`)
		var req map[string]any
		for req == nil {
			m := c.next()
			if m["method"] == "roots/list" {
				req = m
			}
		}
		id, _ := json.Marshal(req["id"])
		c.write(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"roots":[{"uri":"file:///a"}]}}`, id))
		for {
			m := c.next()
			if m["method"] == "roots/list" { // the refetch after list_changed
				id, _ := json.Marshal(m["id"])
				c.write(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"roots":[]}}`, id))
				continue
			}
			if m["id"] == float64(1) {
				if m["result"] == nil {
					t.Fatalf("roots tool: %v", m)
				}
				return
			}
		}
	})
}
