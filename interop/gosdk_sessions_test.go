package interop_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The official Go SDK client on sessions over Streamable HTTP: session
// properties, event order across many sessions, state isolation.

// ssBearer is a RoundTripper adding an Authorization header to every request.
type ssBearer struct {
	rt    http.RoundTripper
	token atomic.Pointer[string]
}

func (b *ssBearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok := b.token.Load(); tok != nil && *tok != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+*tok)
	}
	return b.rt.RoundTrip(r)
}

// ssGoSDKConn is a Go SDK client session over Streamable HTTP.
type ssGoSDKConn struct {
	*mcp.ClientSession
	Client *mcp.Client
	bearer *ssBearer
}

// ssConnectGoSDK connects the official Go SDK client to a Streamable HTTP
// endpoint, sending "Authorization: Bearer <token>" when token is not empty.
// The session is closed when the test ends.
func ssConnectGoSDK(t testing.TB, endpoint, token string, opts *mcp.ClientOptions) *ssGoSDKConn {
	t.Helper()
	c, err := ssDialGoSDK(t, endpoint, token, opts, nil)
	if err != nil {
		t.Fatalf("go-sdk client: connect %s: %v", endpoint, err)
	}
	return c
}

// ssDialGoSDK is ssConnectGoSDK returning the error. roots are added to the
// client before it connects.
func ssDialGoSDK(t testing.TB, endpoint, token string, opts *mcp.ClientOptions, roots []*mcp.Root) (*ssGoSDKConn, error) {
	hc := testkit.HTTPClient(t)
	b := &ssBearer{rt: hc.Transport}
	b.token.Store(&token)
	hc.Transport = b
	client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-sessions", Version: "1.8.0"}, opts)
	if len(roots) > 0 {
		client.AddRoots(roots...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
	defer cancel()
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc, MaxRetries: -1}, &mcp.ClientSessionOptions{ProtocolVersion: fastmcp.LatestHandshakeProtocolVersion})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { cs.Close() })
	return &ssGoSDKConn{ClientSession: cs, Client: client, bearer: b}, nil
}

// ssSDKText returns the text of a Go SDK tool result's first block.
func ssSDKText(t testing.TB, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) == 0 {
		t.Fatalf("tool result has no content: %+v", res)
	}
	return gosdkText(t, res.Content[0])
}

// ssSDKCall calls a tool with the Go SDK client and returns its text, failing
// the test on a protocol error or, unless wantError, a tool error.
func ssSDKCall(t testing.TB, cs *mcp.ClientSession, name string, args map[string]any, wantError bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
	defer cancel()
	if args == nil {
		args = map[string]any{}
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if res.IsError != wantError {
		t.Fatalf("%s: isError %v, want %v: %s", name, res.IsError, wantError, ssSDKText(t, res))
	}
	return ssSDKText(t, res)
}

func TestSessionPropertiesHTTPGoSDK(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{
		Authenticate: fastmcp.AuthFunc[ssUser](func(r *http.Request) (ssUser, error) {
			tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				return ssUser{}, &fastmcp.HTTPError{Message: "no token"}
			}
			id, role, _ := strings.Cut(tok, ":")
			return ssUser{ID: id, Role: role}, nil
		}),
	})
	ssSessionTool(s)
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	roots := []*mcp.Root{{URI: "file:///project", Name: "project"}}
	before := time.Now()
	c, err := ssDialGoSDK(t, srv.Endpoint, "ada:admin", &mcp.ClientOptions{
		CreateMessageHandler: func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
			return nil, errors.New("unused")
		},
	}, roots)
	if err != nil {
		t.Fatal(err)
	}
	sess := rec.WaitConnected(t, 1)
	ctx := testkit.Context(t)
	if err := sess.WaitForReady(ctx); err != nil {
		t.Fatalf("WaitForReady: %v", err)
	}
	if c.ID() == "" || c.ID() != sess.ID() {
		t.Errorf("Mcp-Session-Id %q, Session.ID %q: want equal and non-empty", c.ID(), sess.ID())
	}
	if got, want := sess.ProtocolVersion(), c.InitializeResult().ProtocolVersion; got != want || got == "" {
		t.Errorf("ProtocolVersion %q, client negotiated %q", got, want)
	}
	if ci := sess.ClientInfo(); ci.Name != "go-sdk-sessions" || ci.Version != "1.8.0" {
		t.Errorf("ClientInfo %+v", ci)
	}
	caps := sess.ClientCapabilities()
	if caps.Sampling == nil || caps.Roots == nil || !caps.Roots.ListChanged {
		t.Errorf("ClientCapabilities %+v: want sampling and roots with listChanged", caps)
	}
	if caps.Elicitation != nil {
		t.Errorf("ClientCapabilities has elicitation %+v though the client has no handler", caps.Elicitation)
	}
	if u, ok := sess.Auth().(ssUser); !ok || u != (ssUser{ID: "ada", Role: "admin"}) {
		t.Errorf("Auth() = %#v", sess.Auth())
	}
	if err := c.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "error"}); err != nil {
		t.Fatal(err)
	}
	if got := sess.LoggingLevel(); got != fastmcp.LevelError {
		t.Errorf("LoggingLevel after setLevel error: %q", got)
	}
	if sess.CreatedAt().Before(before) || sess.LastActive().Before(sess.CreatedAt()) {
		t.Errorf("CreatedAt %v, LastActive %v (test began %v)", sess.CreatedAt(), sess.LastActive(), before)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(ssSDKCall(t, c.ClientSession, "session", nil, false)), &got); err != nil {
		t.Fatal(err)
	}
	if got["sessionId"] != c.ID() {
		t.Errorf("Context.SessionID %v, Mcp-Session-Id %q", got["sessionId"], c.ID())
	}
	// Roots: fetched after initialized, over the GET stream the SDK opens.
	ready := rec.Wait(t, sess.ID(), "ready")
	missed := rec.RootsMissedForNoChannel(sess, ready)
	if diff := testdiff.Diff([]fastmcp.Root{{URI: "file:///project", Name: "project"}}, sess.Roots()); diff != "" && !missed {
		t.Errorf("Roots (-want +got):\n%s", diff)
	}
	c.Close()
	testkit.WaitClosed(t, sess)
	testkit.CauseIs(t, sess.CloseCause(), "client ended")
	rec.CheckLifecycle(t, sess.ID())
	if missed {
		t.Error(testkit.RootsBug)
	}
}

// ssSessionTool registers a tool "session" that reports what its Context
// says about the session.
func ssSessionTool(s *fastmcp.Server) {
	fastmcp.AddTool(s, fastmcp.Tool{Name: "session", Description: "Reports the session."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
			out := map[string]any{"sessionId": ctx.SessionID(), "hasSession": ctx.Session() != nil, "requestId": ctx.RequestID()}
			if s := ctx.Session(); s != nil {
				out["id"] = s.ID()
				out["protocolVersion"] = s.ProtocolVersion()
				out["loggingLevel"] = s.LoggingLevel()
			}
			return out, nil
		})
}

type ssUser struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

func TestEventsOrderManySessionsHTTPGoSDK(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{})
	ssSessionTool(s)
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	const n = 8
	var wg sync.WaitGroup
	ids := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := ssDialGoSDK(t, srv.Endpoint, "", nil, []*mcp.Root{{URI: fmt.Sprintf("file:///h%d", i)}})
			if err != nil {
				t.Error(err)
				return
			}
			ids <- c.ID()
			ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
			defer cancel()
			if _, err := c.CallTool(ctx, &mcp.CallToolParams{Name: "session", Arguments: map[string]any{}}); err != nil {
				t.Error(err)
			}
			if _, err := rec.Await(c.ID(), "ready"); err != nil {
				t.Error(err)
			}
			if err := c.Close(); err != nil {
				t.Logf("close: %v", err)
			}
		}()
	}
	wg.Wait()
	close(ids)
	for id := range ids {
		rec.Wait(t, id, "disconnect")
		life := rec.CheckLifecycle(t, id)
		if len(life) == 3 {
			testkit.CauseIs(t, life[2].Cause, "client ended")
		}
	}
	if srv.Handler.SessionCount() != 0 {
		t.Errorf("SessionCount %d after every client closed", srv.Handler.SessionCount())
	}
}

// stIsolationServer has whoami and counter tools, with users from bearer
// tokens "tok-<id>".
func stIsolationServer(t testing.TB) *fastmcp.Server {
	s := testkit.NewServer(t, fastmcp.Options{Authenticate: fastmcp.AuthFunc[atUser](func(r *http.Request) (atUser, error) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer tok-")
		if !ok {
			return atUser{}, &fastmcp.HTTPError{Message: "no token"}
		}
		return atUser{ID: tok, Role: "user"}, nil
	})})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		u, err := fastmcp.AuthSession[atUser](ctx)
		return u.ID + " " + ctx.SessionID(), err
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "incr"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		n, err := ctx.State().Incr(ctx, "counter", 1)
		if err != nil {
			return "", err
		}
		// A cached entry, as the seeds' SessionStateManager keeps.
		u, _ := fastmcp.AuthFrom[atUser](ctx)
		if err := ctx.State().Set(ctx, "owner", u.ID, time.Hour); err != nil {
			return "", err
		}
		return fmt.Sprint(n), nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "read"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		n, _, err := fastmcp.StateValue[int64](ctx, ctx.State(), "counter")
		if err != nil {
			return "", err
		}
		owner, _, err := fastmcp.StateValue[string](ctx, ctx.State(), "owner")
		return fmt.Sprintf("%d %s", n, owner), err
	})
	return s
}

// 50 concurrent sessions over HTTP with the Go SDK client: each increments
// its own counter N times and reads exactly N; whoami returns its own user.
func TestStateIsolation50SessionsHTTPGoSDK(t *testing.T) {
	t.Parallel()
	s := stIsolationServer(t)
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	const sessions, n = 50, 10
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("user%02d", i)
			c, err := ssDialGoSDK(t, srv.Endpoint, "tok-"+user, &mcp.ClientOptions{Capabilities: &mcp.ClientCapabilities{}}, nil)
			if err != nil {
				t.Errorf("%s: connect: %v", user, err)
				failures.Add(1)
				return
			}
			defer c.Close()
			call := func(name string) string {
				ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
				defer cancel()
				res, err := c.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{}})
				if err != nil || res.IsError {
					t.Errorf("%s: %s: %v %+v", user, name, err, res)
					failures.Add(1)
					return ""
				}
				return res.Content[0].(*mcp.TextContent).Text
			}
			for k := 1; k <= n; k++ {
				if got := call("incr"); got != fmt.Sprint(k) {
					t.Errorf("%s: incr #%d returned %q", user, k, got)
				}
				if k == n/2 {
					if got, want := call("whoami"), user+" "+c.ID(); got != want {
						t.Errorf("whoami: %q, want %q", got, want)
					}
				}
			}
			if got, want := call("read"), fmt.Sprintf("%d %s", n, user); got != want {
				t.Errorf("%s: read %q, want %q", user, got, want)
			}
		}()
	}
	wg.Wait()
	if failures.Load() > 0 {
		return
	}
	if got := len(rec.IDs()); got != sessions {
		t.Errorf("%d sessions connected, want %d", got, sessions)
	}
	for _, id := range rec.IDs() {
		rec.Wait(t, id, "disconnect")
	}
}
