package fastmcp_test

// Tests of typed auth data: AuthFunc[T] over HTTP and stdio, HTTPError
// answers, AuthFrom/RequireAuth in every kind of handler, UpdateAuth and
// refreshed credentials, custom routes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// atUser is the application's auth data in these tests.
type atUser struct {
	ID    string
	Role  string
	Scope []string
}

// AuthSubject makes atUser a fastmcp.Identity: a refreshed token of the same
// user updates a session, another user's token is refused.
func (u atUser) AuthSubject() string { return u.ID }

// atOther is an auth type the server does not use.
type atOther struct{ X int }

// atAuth authenticates "Bearer tok-<id>-<role>" over HTTP and the user
// "local"/"guest" on stdio. Special tokens choose failures.
type atAuth struct {
	calls    atomic.Int32
	nilCalls atomic.Int32
}

func (a *atAuth) authenticate(r *http.Request) (atUser, error) {
	a.calls.Add(1)
	if r == nil {
		a.nilCalls.Add(1)
		return atUser{ID: "local", Role: "guest"}, nil
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok:
		return atUser{}, &fastmcp.HTTPError{Message: "missing bearer token"}
	case tok == "forbidden":
		return atUser{}, &fastmcp.HTTPError{Status: http.StatusForbidden, Message: "this token may not connect",
			Header: http.Header{"X-Auth-Reason": {"blocked"}}}
	case tok == "ratelimited":
		return atUser{}, &fastmcp.HTTPError{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"7"}}}
	case tok == "custom-challenge":
		return atUser{}, &fastmcp.HTTPError{Message: "expired", Header: http.Header{"Www-Authenticate": {`Bearer realm="mcp", error="invalid_token"`}}}
	case tok == "plain-error":
		return atUser{}, errors.New("database password is hunter2")
	case tok == "user-error":
		return atUser{}, fastmcp.NewUserError("your token was revoked")
	case tok == "panic":
		panic("authenticator panics")
	}
	spec, ok := strings.CutPrefix(tok, "tok-")
	id, role, ok2 := strings.Cut(spec, "-")
	if !ok || !ok2 {
		return atUser{}, &fastmcp.HTTPError{Message: "unknown token"}
	}
	return atUser{ID: id, Role: role}, nil
}

// atServer returns a server with an authenticator and handlers of every kind
// that report the caller's auth data.
func atServer(t testing.TB, a *atAuth) *fastmcp.Server {
	opts := fastmcp.Options{}
	if a != nil {
		opts.Authenticate = fastmcp.AuthFunc[atUser](a.authenticate)
	}
	s := testkit.NewServer(t, opts)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		u, err := fastmcp.AuthSession[atUser](ctx)
		if err != nil {
			return "", err
		}
		return u.ID + "/" + u.Role, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "probe"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (map[string]any, error) {
		u, ok := fastmcp.AuthFrom[atUser](ctx)
		_, otherOK := fastmcp.AuthFrom[atOther](ctx)
		_, otherErr := fastmcp.AuthSession[atOther](ctx)
		sessAuth := ""
		if sess := ctx.Session(); sess != nil {
			if su, ok := sess.Auth().(atUser); ok {
				sessAuth = su.ID + "/" + su.Role
			}
		}
		return map[string]any{
			"user": u.ID + "/" + u.Role, "ok": ok, "otherOK": otherOK,
			"otherErr":         fmt.Sprint(otherErr),
			"otherErrIsUnauth": strings.Contains(fmt.Sprint(otherErr), fastmcp.ErrUnauthenticated.Error()),
			"ctxAuthIsUser":    fmt.Sprintf("%T", ctx.Auth()),
			"sessionAuth":      sessAuth,
		}, nil
	})
	// A derived context still carries the auth data.
	fastmcp.AddTool(s, fastmcp.Tool{Name: "derived"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		dctx, cancel := context.WithCancel(ctx)
		defer cancel()
		u, ok := fastmcp.AuthFrom[atUser](dctx)
		if !ok {
			return "", fastmcp.NewUserError("no auth in a derived context")
		}
		return u.ID, nil
	})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "promote"}, func(ctx *fastmcp.Context, args struct {
		Role string `json:"role"`
	}) (string, error) {
		u, err := fastmcp.AuthSession[atUser](ctx)
		if err != nil {
			return "", err
		}
		u.Role = args.Role
		ctx.Session().UpdateAuth(u)
		return "ok", nil
	})
	s.AddResource(fastmcp.Resource{URI: "auth://me", Name: "me", MIMEType: "text/plain",
		Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
			u, err := fastmcp.AuthSession[atUser](ctx)
			if err != nil {
				return nil, err
			}
			return []*fastmcp.ResourceContents{{Text: "resource:" + u.ID}}, nil
		}})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "auth://users/{id}", Name: "user",
		Complete: map[string]fastmcp.Completer{"id": func(ctx *fastmcp.Context, value string, _ map[string]string) ([]string, error) {
			u, err := fastmcp.AuthSession[atUser](ctx)
			if err != nil {
				return nil, err
			}
			return []string{"template-completion:" + u.ID}, nil
		}}},
		func(ctx *fastmcp.Context, uri string, args struct {
			ID string `json:"id"`
		}) ([]*fastmcp.ResourceContents, error) {
			u, ok := fastmcp.AuthFrom[atUser](ctx)
			if !ok {
				return nil, fastmcp.NewUserError("unauthenticated")
			}
			return []*fastmcp.ResourceContents{{Text: "template:" + args.ID + ":by:" + u.ID}}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "greet", Arguments: []fastmcp.PromptArgument{{Name: "tone",
		Complete: func(ctx *fastmcp.Context, value string, _ map[string]string) ([]string, error) {
			u, err := fastmcp.AuthSession[atUser](ctx)
			if err != nil {
				return nil, err
			}
			return []string{"prompt-completion:" + u.ID}, nil
		}}}},
		func(ctx *fastmcp.Context, args map[string]string) (string, error) {
			u, err := fastmcp.AuthSession[atUser](ctx)
			if err != nil {
				return "", err
			}
			return "prompt:" + u.ID + ":" + args["tone"], nil
		})
	return s
}

// atCheckHandlers checks that every kind of handler sees the user, in-process.
func atCheckHandlers(t *testing.T, c *fastmcptest.Client, want string) {
	t.Helper()
	ctx := testkit.Context(t)
	if got := testkit.CallText(t, c, "whoami", nil, false); got != want {
		t.Errorf("tool: %q, want %q", got, want)
	}
	id, _, _ := strings.Cut(want, "/")
	res, err := c.ReadResource(ctx, "auth://me")
	if err != nil || res.Contents[0].Text != "resource:"+id {
		t.Errorf("resource loader: %v %+v", err, res)
	}
	res, err = c.ReadResource(ctx, "auth://users/42")
	if err != nil || res.Contents[0].Text != "template:42:by:"+id {
		t.Errorf("template loader: %v %+v", err, res)
	}
	pr, err := c.GetPrompt(ctx, "greet", map[string]string{"tone": "warm"})
	if err != nil || len(pr.Messages) != 1 {
		t.Fatalf("prompt: %v %+v", err, pr)
	} else if tc, ok := pr.Messages[0].Content.(*fastmcp.TextContent); !ok || tc.Text != "prompt:"+id+":warm" {
		t.Errorf("prompt handler: %+v", pr.Messages[0].Content)
	}
	cr, err := c.Complete(ctx, fastmcp.CompleteReference{Type: "ref/prompt", Name: "greet"}, "tone", "", nil)
	if err != nil || len(cr.Completion.Values) != 1 || cr.Completion.Values[0] != "prompt-completion:"+id {
		t.Errorf("prompt completer: %v %+v", err, cr)
	}
	cr, err = c.Complete(ctx, fastmcp.CompleteReference{Type: "ref/resource", URI: "auth://users/{id}"}, "id", "", nil)
	if err != nil || len(cr.Completion.Values) != 1 || cr.Completion.Values[0] != "template-completion:"+id {
		t.Errorf("template completer: %v %+v", err, cr)
	}
	if got := testkit.CallText(t, c, "derived", nil, false); got != id {
		t.Errorf("derived context: %q", got)
	}
}

func TestAuthStdioCalledOnceWithNilRequest(t *testing.T) {
	t.Parallel()
	a := &atAuth{}
	s := atServer(t, a)
	rec := testkit.Record(s)
	c := testkit.Connect(t, s, nil)
	atCheckHandlers(t, c, "local/guest")
	var probe map[string]any
	json.Unmarshal([]byte(testkit.CallText(t, c, "probe", nil, false)), &probe)
	want := map[string]any{"user": "local/guest", "ok": true, "otherOK": false, "otherErrIsUnauth": true,
		"otherErr":      probe["otherErr"],
		"ctxAuthIsUser": "fastmcp_test.atUser", "sessionAuth": "local/guest"}
	if diff := testdiff.Diff(want, probe); diff != "" {
		t.Errorf("probe (-want +got):\n%s", diff)
	}
	if !strings.Contains(probe["otherErr"].(string), "fastmcp_test.atOther") {
		t.Errorf("RequireAuth of the wrong type says %q; want it to name the type expected", probe["otherErr"])
	}
	if n, nn := a.calls.Load(), a.nilCalls.Load(); n != 1 || nn != 1 {
		t.Errorf("authenticator called %d times (%d with a nil request), want once with nil", n, nn)
	}
	sess := rec.WaitConnected(t, 1)
	if u, _ := sess.Auth().(atUser); u.ID != "local" {
		t.Errorf("Session.Auth %#v", sess.Auth())
	}
}

func TestAuthStdioFailureRefusesInitialize(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{Authenticate: fastmcp.AuthFunc[atUser](func(r *http.Request) (atUser, error) {
		return atUser{}, errors.New("FASTMCP user not configured")
	})})
	rec := testkit.Record(s)
	_, err := fastmcptest.Dial(testkit.Context(t), s, nil)
	if err == nil {
		t.Fatal("initialize succeeded though authentication failed")
	}
	var e *fastmcp.Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "authentication failed") {
		t.Errorf("initialize error %v, want a JSON-RPC error saying authentication failed", err)
	}
	if ids := rec.IDs(); len(ids) != 0 {
		t.Errorf("a refused client fired connect for %v", ids)
	}
	// A panicking authenticator refuses too.
	s2 := testkit.NewServer(t, fastmcp.Options{Authenticate: fastmcp.AuthFunc[atUser](func(*http.Request) (atUser, error) { panic("boom") })})
	if _, err := fastmcptest.Dial(testkit.Context(t), s2, nil); err == nil {
		t.Error("initialize succeeded though the authenticator panicked")
	}
}

// With no authenticator, handlers see no auth data: AuthFrom reports false
// and RequireAuth fails with a message naming ErrUnauthenticated.
func TestAuthWithoutAuthenticator(t *testing.T) {
	t.Parallel()
	s := atServer(t, nil)
	c := testkit.Connect(t, s, nil)
	got := testkit.CallText(t, c, "whoami", nil, true)
	if !strings.Contains(got, fastmcp.ErrUnauthenticated.Error()) || !strings.Contains(got, "atUser") {
		t.Errorf("whoami without auth: %q", got)
	}
	if _, err := c.ReadResource(testkit.Context(t), "auth://me"); err == nil || !strings.Contains(err.Error(), "unauthenticated") {
		t.Errorf("resource without auth: %v", err)
	}
}

func TestAuthHTTPEveryRequestAuthenticated(t *testing.T) {
	t.Parallel()
	a := &atAuth{}
	s := atServer(t, a)
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := ssNewRaw(t, nil, srv.Endpoint)
	c.header.Set("Authorization", "Bearer tok-ada-admin")
	c.initialize(fastmcp.ClientCapabilities{}) // initialize + initialized
	if n := a.calls.Load(); n != 2 {
		t.Errorf("after the handshake: %d authentications, want 2", n)
	}
	res := c.call("tools/call", map[string]any{"name": "whoami"})
	if txt, isErr := testkit.ToolText(t, res); isErr || txt != "ada/admin" {
		t.Errorf("whoami: %q (isError %v)", txt, isErr)
	}
	c.openGET()
	c.closeGET()
	if n := a.calls.Load(); n != 4 {
		t.Errorf("after a call and a GET: %d authentications, want 4", n)
	}
	if a.nilCalls.Load() != 0 {
		t.Error("the authenticator got a nil request over HTTP")
	}
	// A valid session id does not stand in for credentials.
	c.header.Set("Authorization", "Bearer nonsense")
	resp, err := c.post(testkit.Encode(9, "tools/call", map[string]any{"name": "whoami"}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("request with a bad token on a live session: %d, want 401", resp.StatusCode)
	}
	if st := c.delete(); st != http.StatusUnauthorized {
		t.Errorf("DELETE with a bad token: %d, want 401", st)
	}
	sess := rec.WaitConnected(t, 1)
	if u, _ := sess.Auth().(atUser); u.ID != "ada" {
		t.Errorf("a refused request changed the session's auth to %#v", sess.Auth())
	}
	c.header.Set("Authorization", "Bearer tok-ada-admin")
	if st := c.delete(); st != http.StatusOK {
		t.Errorf("DELETE: %d", st)
	}
}

func TestAuthHTTPFailures(t *testing.T) {
	t.Parallel()
	s := atServer(t, &atAuth{})
	rec := testkit.Record(s)
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	hc := testkit.HTTPClient(t)
	initBody := string(testkit.Encode(1, "initialize", map[string]any{"protocolVersion": fastmcp.LatestHandshakeProtocolVersion,
		"capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "x", "version": "1"}}))
	for _, tc := range []struct {
		token      string // "" sends no Authorization header
		status     int
		challenge  string // substring of WWW-Authenticate; "-" for none
		header     [2]string
		message    string // in the JSON-RPC error
		notMessage string
	}{
		{"", 401, `Bearer error="invalid_token", error_description="missing bearer token"`, [2]string{}, "missing bearer token", ""},
		{"tok-bad", 401, `Bearer error="invalid_token"`, [2]string{}, "unknown token", ""},
		{"forbidden", 403, "-", [2]string{"X-Auth-Reason", "blocked"}, "this token may not connect", ""},
		{"ratelimited", 429, "-", [2]string{"Retry-After", "7"}, "", ""}, // see TestAuthHTTPErrorWithoutMessage
		{"custom-challenge", 401, `Bearer realm="mcp", error="invalid_token"`, [2]string{}, "expired", ""},
		{"plain-error", 401, "Bearer", [2]string{}, "Unauthorized", "hunter2"},
		{"user-error", 401, "Bearer", [2]string{}, "your token was revoked", ""},
		{"panic", 500, "-", [2]string{}, "Internal error", "panics"},
	} {
		for _, path := range []struct{ method, url, body string }{
			{http.MethodPost, srv.Endpoint, initBody},
			{http.MethodGet, srv.Endpoint, ""},
			{http.MethodDelete, srv.Endpoint, ""},
			{http.MethodGet, srv.Server.URL + "/sse", ""},
			{http.MethodPost, srv.Server.URL + "/messages?sessionId=x", initBody},
		} {
			name := fmt.Sprintf("%s %s token %q", path.method, path.url[len(srv.Server.URL):], tc.token)
			req, _ := http.NewRequest(path.method, path.url, strings.NewReader(path.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("%s: status %d, want %d", name, resp.StatusCode, tc.status)
			}
			ch := resp.Header.Get("WWW-Authenticate")
			if tc.challenge == "-" && ch != "" {
				t.Errorf("%s: WWW-Authenticate %q on a %d", name, ch, tc.status)
			} else if tc.challenge != "-" && !strings.Contains(ch, tc.challenge) {
				t.Errorf("%s: WWW-Authenticate %q, want it to contain %q", name, ch, tc.challenge)
			}
			if tc.header[0] != "" && resp.Header.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("%s: %s %q, want %q", name, tc.header[0], resp.Header.Get(tc.header[0]), tc.header[1])
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s: Content-Type %q", name, ct)
			}
			var m struct {
				JSONRPC string          `json:"jsonrpc"`
				ID      json.RawMessage `json:"id"`
				Error   struct {
					Code    int64  `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(body, &m); err != nil || m.JSONRPC != "2.0" || m.Error.Code == 0 {
				t.Errorf("%s: body %s is not a JSON-RPC error (%v)", name, body, err)
			}
			if !strings.Contains(m.Error.Message, tc.message) {
				t.Errorf("%s: message %q, want %q", name, m.Error.Message, tc.message)
			}
			if tc.notMessage != "" && strings.Contains(string(body), tc.notMessage) {
				t.Errorf("%s: body leaks %q: %s", name, tc.notMessage, body)
			}
		}
	}
	if n := srv.Handler.SessionCount(); n != 0 {
		t.Errorf("%d sessions created by refused requests", n)
	}
	if ids := rec.IDs(); len(ids) != 0 {
		t.Errorf("connect fired for refused requests: %v", ids)
	}
}

// A panic in the authenticator is a server bug: 500, not 401 (the client's
// credentials were never judged), logged once with its value, which the client
// does not see; over stdio the initialize error does not show it either.
func TestAuthPanicIs500AndLogged(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	s := testkit.NewServer(t, fastmcp.Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Authenticate: fastmcp.AuthFunc[atUser](func(*http.Request) (atUser, error) {
			panic("secret-panic-value")
		}),
	})
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	resp, err := testkit.HTTPClient(t).Post(srv.Endpoint, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	if ch := resp.Header.Get("WWW-Authenticate"); ch != "" {
		t.Errorf("WWW-Authenticate %q on a server error", ch)
	}
	if strings.Contains(string(body), "secret-panic-value") {
		t.Errorf("body leaks the panic value: %s", body)
	}
	if got := logs.String(); strings.Count(got, "secret-panic-value") != 1 || !strings.Contains(got, "level=ERROR") {
		t.Errorf("log, want the panic logged once at ERROR:\n%s", got)
	}
	_, err = fastmcptest.Dial(testkit.Context(t), s, nil)
	var e *fastmcp.Error
	if !errors.As(err, &e) || strings.Contains(e.Message, "secret-panic-value") {
		t.Errorf("stdio initialize error %v, want a JSON-RPC error without the panic value", err)
	}
}

// An HTTPError with a status but no message: its Error() is the status text,
// and the body should say the same rather than "Unauthorized".
func TestAuthHTTPErrorWithoutMessage(t *testing.T) {
	t.Parallel()
	if got := (&fastmcp.HTTPError{Status: http.StatusTooManyRequests}).Error(); got != "Too Many Requests" {
		t.Errorf("HTTPError.Error() = %q", got)
	}
	if got := (&fastmcp.HTTPError{}).Error(); got != "Unauthorized" {
		t.Errorf("zero HTTPError.Error() = %q", got)
	}
	s := atServer(t, &atAuth{})
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	req, _ := http.NewRequest(http.MethodGet, srv.Endpoint, nil)
	req.Header.Set("Authorization", "Bearer ratelimited")
	resp, err := testkit.HTTPClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(string(body), "Too Many Requests") {
		t.Fatalf("regression: a 429 HTTPError without Message is answered with the JSON-RPC message %s; want the status text \"Too Many Requests\" "+
			"(auth.go writeAuthError starts from msg \"Unauthorized\" and only uses he.Error() when Message or Err is set)", body)
	}
}

// UpdateAuth changes what later requests see, and survives later requests
// with the same credentials; a refreshed credential with different data
// replaces it.
func TestAuthUpdateAuth(t *testing.T) {
	t.Parallel()
	t.Run("stdio", func(t *testing.T) {
		t.Parallel()
		s := atServer(t, &atAuth{})
		c := testkit.Connect(t, s, nil)
		testkit.CallText(t, c, "promote", map[string]any{"role": "admin"}, false)
		for range 3 {
			atCheckHandlers(t, c, "local/admin")
		}
	})
	t.Run("HTTP", func(t *testing.T) {
		t.Parallel()
		a := &atAuth{}
		s := atServer(t, a)
		rec := testkit.Record(s)
		srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
		c := ssNewRaw(t, nil, srv.Endpoint)
		c.header.Set("Authorization", "Bearer tok-ada-user")
		c.initialize(fastmcp.ClientCapabilities{})
		whoami := func() string {
			txt, _ := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "whoami"}))
			return txt
		}
		if got := whoami(); got != "ada/user" {
			t.Fatalf("whoami: %q", got)
		}
		c.call("tools/call", map[string]any{"name": "promote", "arguments": map[string]any{"role": "admin"}})
		for i := range 3 {
			if got := whoami(); got != "ada/admin" {
				t.Errorf("whoami #%d after UpdateAuth with the same token: %q, want ada/admin", i, got)
			}
		}
		// Server-side UpdateAuth from outside any request.
		sess := rec.WaitConnected(t, 1)
		sess.UpdateAuth(atUser{ID: "ada", Role: "auditor"})
		if got := whoami(); got != "ada/auditor" {
			t.Errorf("whoami after Session.UpdateAuth: %q", got)
		}
		// A refreshed credential yielding different data replaces it.
		c.header.Set("Authorization", "Bearer tok-ada-owner")
		if got := whoami(); got != "ada/owner" {
			t.Errorf("whoami with a refreshed token: %q, want ada/owner", got)
		}
		if u, _ := sess.Auth().(atUser); u.Role != "owner" {
			t.Errorf("Session.Auth after a refreshed token: %#v", sess.Auth())
		}
		// Back to the first token: different from the last result, so it
		// replaces again.
		c.header.Set("Authorization", "Bearer tok-ada-user")
		if got := whoami(); got != "ada/user" {
			t.Errorf("whoami with the first token again: %q", got)
		}
		// Another user's token on ada's session: refused, and the session
		// keeps ada.
		c.header.Set("Authorization", "Bearer tok-bob-admin")
		resp, err := c.post(testkit.Encode(99, "tools/call", map[string]any{"name": "whoami"}))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("another user's token on the session: status %d, want 403", resp.StatusCode)
		}
		if u, _ := sess.Auth().(atUser); u.ID != "ada" {
			t.Errorf("Session.Auth after a hijack attempt: %#v", sess.Auth())
		}
	})
}

// Custom routes are authenticated unless public; AuthFromRequest reads the
// data in the route.
func TestAuthCustomRoutes(t *testing.T) {
	t.Parallel()
	a := &atAuth{}
	s := atServer(t, a)
	s.RouteFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		u, ok := fastmcp.AuthFromRequest[atUser](r)
		_, otherOK := fastmcp.AuthFromRequest[atOther](r)
		fmt.Fprintf(w, "%s/%s %v %v", u.ID, u.Role, ok, otherOK)
	}, fastmcp.RouteOptions{})
	s.RouteFunc("GET /api/public", func(w http.ResponseWriter, r *http.Request) {
		_, ok := fastmcp.AuthFromRequest[atUser](r)
		fmt.Fprintf(w, "public %v", ok)
	}, fastmcp.RouteOptions{Public: true})
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	hc := testkit.HTTPClient(t)
	get := func(path, token string) (int, string, http.Header) {
		req, _ := http.NewRequest(http.MethodGet, srv.Server.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	if st, body, _ := get("/api/me", "tok-cy-ops"); st != 200 || body != "cy/ops true false" {
		t.Errorf("/api/me with a token: %d %q", st, body)
	}
	st, body, hdr := get("/api/me", "")
	if st != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), "Bearer") || !strings.Contains(body, `"error"`) {
		t.Errorf("/api/me without a token: %d %q %v", st, body, hdr)
	}
	if st, _, _ := get("/api/me", "forbidden"); st != 403 {
		t.Errorf("/api/me with a forbidden token: %d", st)
	}
	before := a.calls.Load()
	if st, body, _ := get("/api/public", ""); st != 200 || body != "public false" {
		t.Errorf("/api/public: %d %q", st, body)
	}
	if st, body, _ := get("/api/public", "tok-cy-ops"); st != 200 || body != "public false" {
		t.Errorf("/api/public with a token: %d %q", st, body)
	}
	if a.calls.Load() != before {
		t.Error("a public route ran the authenticator")
	}
	// Probes stay unauthenticated.
	if st, _, _ := get("/health", ""); st != 200 {
		t.Errorf("/health without a token: %d", st)
	}
}

// In stateless mode each request is authenticated on its own and handlers
// read that request's auth data.
func TestAuthStateless(t *testing.T) {
	t.Parallel()
	s := atServer(t, &atAuth{})
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{Stateless: true})
	for _, tok := range []string{"tok-dee-a", "tok-eve-b", "tok-dee-c"} {
		c := ssNewRaw(t, nil, srv.Endpoint)
		c.header.Set("Authorization", "Bearer "+tok)
		txt, isErr := testkit.ToolText(t, c.call("tools/call", map[string]any{"name": "whoami"}))
		want := strings.Replace(strings.TrimPrefix(tok, "tok-"), "-", "/", 1)
		if isErr || txt != want {
			t.Errorf("stateless whoami with %s: %q, want %q", tok, txt, want)
		}
	}
}
