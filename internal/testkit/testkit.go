// Package testkit holds the helpers the tests of this repository share:
// servers with their log in the test log, in-process clients whose every
// received message is checked against the official schema, servers on
// loopback HTTP, a recorder of session lifecycle events, a JSON-RPC encoder,
// an SSE reader and the text of raw tool results.
//
// Helpers a user of the library would want for their own tests live in
// fastmcptest instead; this package only gathers what the repository's own
// tests repeat. Tests inside package fastmcp cannot import it (it imports
// fastmcp); they use internal/testdiff, which imports nothing of ours.
package testkit

import (
	"context"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/spectest"
)

// Wait bounds every wait for something a server or a client must do: a test
// that waits longer has found a bug that lost a message.
const Wait = 10 * time.Second

// Context returns a context that ends with the test or after 30 seconds, so
// a bug that loses a response fails the test instead of hanging it.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// NewServer returns a server named "test-server" whose log goes to the test
// log (fastmcptest.Logger) unless opts say otherwise.
func NewServer(t testing.TB, opts fastmcp.Options) *fastmcp.Server {
	if opts.Name == "" {
		opts.Name = "test-server"
	}
	if opts.Version == "" {
		opts.Version = "1.0.0"
	}
	if opts.Logger == nil {
		opts.Logger = fastmcptest.Logger(t)
	}
	return fastmcp.New(opts)
}

// Connect connects an in-process client to s. Every message the server sends
// is validated against the official schema of the protocol revision the
// client asks for (the latest handshake revision by default); an invalid one
// fails the test.
func Connect(t testing.TB, s *fastmcp.Server, opts *fastmcptest.Options) *fastmcptest.Client {
	t.Helper()
	var o fastmcptest.Options
	if opts != nil {
		o = *opts
	}
	rev := o.ProtocolVersion
	if rev == "" {
		rev = fastmcp.LatestHandshakeProtocolVersion
	}
	v, err := spectest.For(rev)
	if err != nil {
		t.Fatal(err)
	}
	conv := spectest.NewConversation(v)
	send, recv := o.OnSend, o.OnReceive
	o.OnSend = func(m []byte) {
		conv.Sent(m)
		if send != nil {
			send(m)
		}
	}
	o.OnReceive = func(m []byte) {
		if err := conv.Received(m); err != nil {
			t.Errorf("server sent a message that is invalid in %s: %v\nmessage: %s", rev, err, m)
		}
		if recv != nil {
			recv(m)
		}
	}
	return fastmcptest.Connect(t, s, &o)
}

// CallText calls a tool in-process and returns the text of its first
// content block, failing the test on a protocol error, on a result whose
// isError is not wantError, or on a first block that is not text.
func CallText(t testing.TB, c *fastmcptest.Client, name string, args any, wantError bool) string {
	t.Helper()
	res, err := c.CallTool(Context(t), name, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError != wantError {
		t.Fatalf("%s: isError %v, want %v: %s", name, res.IsError, wantError, firstText(t, res))
	}
	return firstText(t, res)
}

// firstText returns the text of a tool result's first block.
func firstText(t testing.TB, res *fastmcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) == 0 {
		t.Fatalf("tool result without content: %+v", res)
	}
	tc, ok := res.Content[0].(*fastmcp.TextContent)
	if !ok {
		t.Fatalf("content is %T, want text", res.Content[0])
	}
	return tc.Text
}

// Eventually waits until cond holds, checking it every 2ms, and fails the
// test after Wait. It is for state with no event to wait on (a count of
// sessions going down after their connections closed).
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Received returns a value a handler has already sent on ch (handlers run
// before their response, so by the time a call returns the value is there),
// failing the test instead of blocking when there is none.
func Received[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	default:
		t.Fatal("the handler did not run")
		panic("unreachable")
	}
}
