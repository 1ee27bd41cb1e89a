package fastmcp

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/fastmcp-go/fastmcp/internal/jsonrpc"
)

// Benchmarks of composition and of the two built-in middlewares, beside
// BenchmarkDispatchToolCall and BenchmarkDispatchToolsList (their baseline:
// none of these features installed).

// benchDispatch serves msg on s once per iteration, checking the response
// contains want.
func benchDispatch(b *testing.B, s *Server, msg []byte, want string) {
	c := &benchConn{sess: benchSession(s)}
	info := c.info()
	ctx := context.Background()
	serve := func() {
		var m jsonrpc.Message
		if err := jsonrpc.Decode(msg, &m); err != nil {
			b.Fatal(err)
		}
		buf := getBuf()
		*buf, _ = s.serveOne(ctx, c, &info, &m, *buf, false)
		// The answer's end holds what the benchmarks look for.
		if !bytes.Contains((*buf)[max(0, len(*buf)-1024):], []byte(want)) {
			b.Fatalf("unexpected response %.512s", *buf)
		}
		putBuf(buf)
	}
	serve() // builds what is built once (a mounted view, a cache entry)
	b.ReportAllocs()
	for b.Loop() {
		serve()
	}
}

// BenchmarkDispatchToolCallWithRules is BenchmarkDispatchToolCall on a server
// with visibility rules that do not hide the tool: what Disable costs a call
// when it is used.
func BenchmarkDispatchToolCallWithRules(b *testing.B) {
	s := benchServer(b)
	s.Disable(ByTag("beta"))
	s.Disable(ByName("other"))
	benchDispatch(b, s, benchCall, `"3.5"`)
}

// BenchmarkDispatchMountedToolCall calls "m_add", the tool of a mounted server.
func BenchmarkDispatchMountedToolCall(b *testing.B) {
	parent := New(Options{Name: "parent", Version: "1.0.0"})
	parent.Mount("m", benchServer(b), MountOptions{})
	msg := []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"m_add","arguments":{"a":1.5,"b":2}}}`)
	benchDispatch(b, parent, msg, `"3.5"`)
}

// BenchmarkDispatchDerivedToolCall calls a tool derived with TransformTool,
// its argument renamed.
func BenchmarkDispatchDerivedToolCall(b *testing.B) {
	s := benchServer(b)
	TransformTool(s, "add", ToolTransform{Name: "sum", Args: map[string]ArgTransform{"a": {Name: "x"}}})
	msg := []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"sum","arguments":{"x":1.5,"b":2}}}`)
	benchDispatch(b, s, msg, `"3.5"`)
}

// BenchmarkDispatchToolCallSizeLimit is BenchmarkDispatchToolCall with
// ResponseSizeLimit installed.
func BenchmarkDispatchToolCallSizeLimit(b *testing.B) {
	s := benchServer(b)
	s.Use(ResponseSizeLimit(ResponseSizeLimitOptions{}))
	benchDispatch(b, s, benchCall, `"3.5"`)
}

// bench1000 returns a server with 1000 tools, a tenth of them tagged "beta".
func bench1000(b *testing.B) *Server {
	s := New(Options{Name: "bench", Version: "1.0.0"})
	for i := range 1000 {
		t := Tool{Name: fmt.Sprintf("tool%04d", i), Description: "A tool among many."}
		if i%10 == 0 {
			t.Tags = []string{"beta"}
		}
		AddTool(s, t, func(ctx *Context, a benchAddArgs) (string, error) {
			return strconv.FormatFloat(a.A+a.B, 'f', -1, 64), nil
		})
	}
	return s
}

var benchList = []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)

// BenchmarkDispatchToolsList1000 lists 1000 tools: plain, with a rule hiding
// a tenth of them, from ResponseCache, and mounted.
func BenchmarkDispatchToolsList1000(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		benchDispatch(b, bench1000(b), benchList, `"tool0999"`)
	})
	b.Run("rules", func(b *testing.B) {
		s := bench1000(b)
		s.Disable(ByTag("beta"))
		benchDispatch(b, s, benchList, `"tool0999"`)
	})
	b.Run("cached", func(b *testing.B) {
		s := bench1000(b)
		s.Use(ResponseCache(ResponseCacheOptions{}))
		benchDispatch(b, s, benchList, `"tool0999"`)
	})
	b.Run("mounted", func(b *testing.B) {
		parent := New(Options{Name: "parent", Version: "1.0.0"})
		parent.Mount("m", bench1000(b), MountOptions{})
		benchDispatch(b, parent, benchList, `"m_tool0999"`)
	})
}

// BenchmarkVisibilityCheck is the check a tools/call makes on the tool it
// calls: the access check alone (as before visibility rules existed), with
// the rules when there are none, and with two rules.
func BenchmarkVisibilityCheck(b *testing.B) {
	s := benchServer(b)
	e := s.reg.tools.get("add")
	c := s.detachedContext(context.Background(), "tools/call")
	c.sess = benchSession(s)
	var sink bool
	b.Run("access-only", func(b *testing.B) {
		for b.Loop() {
			sink = c.allowed(e.tool.CanAccess)
		}
	})
	// As toolFor checks.
	b.Run("no-rules", func(b *testing.B) {
		for b.Loop() {
			sink = !c.hidden(e) && c.allowed(e.tool.CanAccess)
		}
	})
	b.Run("two-rules", func(b *testing.B) {
		s.Disable(ByTag("beta"))
		s.Disable(ByName("other"))
		for b.Loop() {
			sink = !c.hidden(e) && c.allowed(e.tool.CanAccess)
		}
	})
	_ = sink
}
