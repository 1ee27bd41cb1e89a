package proxy_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
	"github.com/fastmcp-go/fastmcp/proxy"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// bearerClient connects with an Authorization header.
func bearerClient(t testing.TB, url, token string) *mcp.ClientSession {
	t.Helper()
	ht := &http.Transport{}
	hc := &http.Client{Transport: headerRT{base: ht, token: token}}
	c := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	cs, err := c.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1, HTTPClient: hc}, &mcp.ClientSessionOptions{ProtocolVersion: handshake})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ht.CloseIdleConnections()
	})
	return cs
}

type headerRT struct {
	base  http.RoundTripper
	token string
}

func (h headerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+h.token)
	return h.base.RoundTrip(r)
}

// perUserSetup is a proxy that passes each caller's bearer token upstream,
// in front of a fixture that requires one and says whose it got.
func perUserSetup(t *testing.T, pu proxy.PerUser, version string) (*proxy.Proxy, string, *upstream) {
	t.Helper()
	tokens := fastmcp.AuthFunc[*auth.User](func(r *http.Request) (*auth.User, error) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return nil, &fastmcp.HTTPError{Message: "no token"}
		}
		return &auth.User{Subject: tok, Token: tok}, nil
	})
	fx := newAuthFixture(tokens)
	up := serveUpstream(t, fx.server, fastmcp.HTTP{})
	server := fastmcp.New(fastmcp.Options{Name: "proxy", Version: "1", Authenticate: proxy.PassBearer(), Logger: quietLogger()})
	p := newProxy(t, proxy.Options{
		Upstream: proxy.Upstream{URL: up.url, Header: http.Header{"Authorization": {"Bearer service"}}, ProtocolVersion: version},
		Server:   server,
		PerUser:  &pu,
		Logger:   quietLogger(),
	})
	return p, serveProxy(t, server, fastmcp.HTTP{}), up
}

// TestPerUser: with PerUser and ForwardBearer each client's calls reach the
// upstream with its own token, on sessions of its own; the lists come from
// the proxy's own session.
func TestPerUser(t *testing.T) {
	t.Parallel()
	for _, version := range []string{handshake, ""} {
		t.Run("upstream-"+version, func(t *testing.T) {
			t.Parallel()
			testPerUser(t, version)
		})
	}
}

func testPerUser(t *testing.T, version string) {
	p, url, up := perUserSetup(t, proxy.PerUser{Identify: proxy.ForwardBearer}, version)
	users := []string{"alice", "bob", "carol"}
	var wg sync.WaitGroup
	for _, u := range users {
		cs := bearerClient(t, url, u)
		wg.Go(func() {
			for range 5 {
				if got := textOf(t, call(t, cs, "whoami", nil)); got != u {
					t.Errorf("%s: whoami answered %q", u, got)
				}
			}
		})
	}
	wg.Wait()
	st := p.Stats()
	if st.Users != len(users) {
		t.Errorf("Stats.Users = %d, want %d", st.Users, len(users))
	}
	if got, want := st.SessionsOpened, int64(1+len(users)); got != want {
		t.Errorf("the proxy opened %d upstream sessions, want %d (its own and one per user)", got, want)
	}
	if version == handshake {
		if got := up.sessions.Load(); got != st.SessionsOpened {
			t.Errorf("the upstream saw %d sessions, the proxy opened %d", got, st.SessionsOpened)
		}
	}
	// Without a token, the proxy refuses the client.
	c := mcp.NewClient(&mcp.Implementation{Name: "anon", Version: "1"}, nil)
	if _, err := c.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: url, MaxRetries: -1}, nil); err == nil {
		t.Error("a client without a token was accepted")
	}
}

// TestPerUserBounds: MaxUsers bounds the principals holding upstream
// sessions; the least recently active idle one gives way, and when all are
// busy the call fails instead of opening more.
func TestPerUserBounds(t *testing.T) {
	t.Parallel()
	fx := newFixture()
	up := serveUpstream(t, fx.server, fastmcp.HTTP{})
	server := fastmcp.New(fastmcp.Options{Name: "proxy", Version: "1", Authenticate: proxy.PassBearer(), Logger: quietLogger()})
	p := newProxy(t, proxy.Options{
		Upstream: proxy.Upstream{URL: up.url},
		Server:   server,
		PerUser:  &proxy.PerUser{Identify: proxy.ForwardBearer, MaxUsers: 1},
		Logger:   quietLogger(),
	})
	released := make(chan struct{}, 64)
	proxy.SetReleaseHook(p, func() { released <- struct{}{} })
	url := serveProxy(t, server, fastmcp.HTTP{})
	alice, bob := bearerClient(t, url, "alice"), bearerClient(t, url, "bob")
	call(t, alice, "echo", map[string]any{"text": "a"})
	call(t, bob, "echo", map[string]any{"text": "b"}) // alice is idle: she gives way
	if n := p.Stats().Users; n != 1 {
		t.Errorf("Stats.Users = %d, want 1 (MaxUsers)", n)
	}
	// Bob busy: alice cannot take his place.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		bob.CallTool(ctx, &mcp.CallToolParams{Name: "block", Arguments: map[string]any{"tag": "bob"}})
	}()
	waitFor(t, fx.started, "bob's call to start")
	_, err := alice.CallTool(t.Context(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "a"}})
	if err == nil || !strings.Contains(err.Error(), "MaxUsers") {
		t.Errorf("alice while bob holds the only slot: %v, want an error naming MaxUsers", err)
	}
	drain(released)
	cancel()
	<-done
	waitFor(t, released, "bob's call to leave its upstream session")
	if got := textOf(t, call(t, alice, "echo", map[string]any{"text": "a2"})); got != "a2" {
		t.Errorf("alice after bob's call ended: %q", got)
	}
}
