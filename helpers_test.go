package fastmcp_test

import (
	"context"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/spectest"
)

// connect connects an in-process client to s. Every message the server sends
// is validated against the official schema of the protocol revision the client
// asks for (the latest handshake revision by default); an invalid one fails the
// test.
func connect(t testing.TB, s *fastmcp.Server, opts *fastmcptest.Options) *fastmcptest.Client {
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

// testCtx returns a context that ends with the test or after 30 seconds, so a
// bug that loses a response fails the test instead of hanging it.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newServer returns a server whose diagnostics go to the test log.
func newServer(t testing.TB, opts fastmcp.Options) *fastmcp.Server {
	if opts.Name == "" {
		opts.Name = "test-server"
	}
	if opts.Version == "" {
		opts.Version = "1.0.0"
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	return fastmcp.New(opts)
}
