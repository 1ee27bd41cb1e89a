package fastmcp_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	"github.com/fastmcp-go/fastmcp/internal/testdiff"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
)

// acUser is auth data with a subject, a role and scopes.
type acUser struct {
	ID     string
	Role   string
	Scopes []string
}

func (u acUser) AuthSubject() string  { return u.ID }
func (u acUser) AuthRoles() []string  { return []string{u.Role} }
func (u acUser) AuthScopes() []string { return u.Scopes }

var (
	acAlice = acUser{ID: "alice", Role: "admin", Scopes: []string{"read", "write"}}
	acBob   = acUser{ID: "bob", Role: "user", Scopes: []string{"read"}}
)

// acServer returns a server whose stdio authenticator yields *who, with items
// behind every kind of access check.
func acServer(t *testing.T, who *atomic.Pointer[acUser]) *fastmcp.Server {
	t.Helper()
	s := testkit.NewServer(t, fastmcp.Options{
		Authenticate: fastmcp.AuthFunc[acUser](func(*http.Request) (acUser, error) {
			if u := who.Load(); u != nil {
				return *u, nil
			}
			return acUser{}, errors.New("nobody")
		}),
	})
	text := func(v string) fastmcp.ToolHandler[fastmcp.NoArgs, string] {
		return func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return v, nil }
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "public"}, text("public"))
	fastmcp.AddTool(s, fastmcp.Tool{Name: "authed", CanAccess: fastmcp.RequireAuth}, text("authed"))
	fastmcp.AddTool(s, fastmcp.Tool{Name: "admin_action", CanAccess: fastmcp.RequireRole("admin")}, text("admin"))
	fastmcp.AddTool(s, fastmcp.Tool{Name: "write_note", CanAccess: fastmcp.RequireScopes("write")}, text("written"))
	fastmcp.AddTool(s, fastmcp.Tool{Name: "either", CanAccess: fastmcp.RequireAny(fastmcp.RequireRole("auditor"), fastmcp.RequireScopes("write"))}, text("either"))
	fastmcp.AddTool(s, fastmcp.Tool{Name: "both", CanAccess: fastmcp.RequireAll(fastmcp.RequireRole("admin"), fastmcp.RequireScopes("read"))}, text("both"))
	fastmcp.AddTool(s, fastmcp.Tool{Name: "panicky", CanAccess: func(*fastmcp.Context) bool { panic("check failed") }}, text("never"))
	fastmcp.AddTool(s, fastmcp.Tool{Name: "promote"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Session().UpdateAuth(acAlice)
		return "promoted", nil
	})
	s.AddResource(fastmcp.Resource{URI: "notes://all", Name: "notes", CanAccess: fastmcp.RequireScopes("read"), Load: fastmcp.StaticText("notes")})
	s.AddResource(fastmcp.Resource{URI: "notes://secret", Name: "secret", CanAccess: fastmcp.RequireRole("admin"), Load: fastmcp.StaticText("secret")})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "admin://{id}", Name: "admin-docs", CanAccess: fastmcp.RequireRole("admin"),
		Complete: map[string]fastmcp.Completer{"id": fastmcp.EnumCompleter("one", "two")}},
		func(_ *fastmcp.Context, uri string, args map[string]string) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: "doc " + args["id"]}}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "admin_report", CanAccess: fastmcp.RequireRole("admin"),
		Arguments: []fastmcp.PromptArgument{{Name: "period", Enum: []string{"day", "week"}}}},
		func(*fastmcp.Context, map[string]string) (string, error) { return "report", nil })
	return s
}

func acNames[E any](items []E, name func(E) string) []string {
	var out []string
	for _, e := range items {
		out = append(out, name(e))
	}
	slices.Sort(out)
	return out
}

// Hidden items are absent from the lists and refused when used directly,
// exactly as items that do not exist.
func TestAccessChecksHideItems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		who       acUser
		tools     []string
		resources []string
		templates []string
		prompts   []string
	}{
		{acBob, []string{"authed", "promote", "public"}, []string{"notes://all"}, nil, nil},
		{acAlice, []string{"admin_action", "authed", "both", "either", "promote", "public", "write_note"},
			[]string{"notes://all", "notes://secret"}, []string{"admin://{id}"}, []string{"admin_report"}},
	}
	for _, tt := range tests {
		t.Run(tt.who.ID, func(t *testing.T) {
			t.Parallel()
			var who atomic.Pointer[acUser]
			u := tt.who
			who.Store(&u)
			c := testkit.Connect(t, acServer(t, &who), nil)
			ctx := testkit.Context(t)
			tools, err := c.ListTools(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := testdiff.Diff(tt.tools, acNames(tools, func(x *fastmcp.Tool) string { return x.Name })); diff != "" {
				t.Errorf("tools (-want +got):\n%s", diff)
			}
			res, _ := c.ListResources(ctx)
			if diff := testdiff.Diff(tt.resources, acNames(res, func(x *fastmcp.Resource) string { return x.URI })); diff != "" {
				t.Errorf("resources (-want +got):\n%s", diff)
			}
			tmpls, _ := c.ListResourceTemplates(ctx)
			if diff := testdiff.Diff(tt.templates, acNames(tmpls, func(x *fastmcp.ResourceTemplate) string { return x.URITemplate })); diff != "" {
				t.Errorf("templates (-want +got):\n%s", diff)
			}
			prompts, _ := c.ListPrompts(ctx)
			if diff := testdiff.Diff(tt.prompts, acNames(prompts, func(x *fastmcp.Prompt) string { return x.Name })); diff != "" {
				t.Errorf("prompts (-want +got):\n%s", diff)
			}
			// Every tool the caller sees works; every other is unknown,
			// with the same error as a tool that never existed.
			for _, name := range []string{"public", "authed", "admin_action", "write_note", "either", "both", "panicky", "no_such_tool"} {
				r, err := c.CallTool(ctx, name, nil)
				if slices.Contains(tt.tools, name) {
					if err != nil || r.IsError {
						t.Errorf("visible tool %s: %v %+v", name, err, r)
					}
					continue
				}
				if fastmcp.ErrorCodeOf(err) != fastmcp.CodeInvalidParams || !strings.Contains(err.Error(), "Unknown tool: "+name) {
					t.Errorf("hidden tool %s: err = %v, want the unknown-tool error", name, err)
				}
			}
			for _, uri := range []string{"notes://all", "notes://secret", "admin://one"} {
				_, err := c.ReadResource(ctx, uri)
				visible := slices.Contains(tt.resources, uri) || (strings.HasPrefix(uri, "admin://") && tt.templates != nil)
				if visible != (err == nil) {
					t.Errorf("read %s: err = %v, visible = %v", uri, err, visible)
				}
				if err != nil && fastmcp.ErrorCodeOf(err) != fastmcp.CodeResourceNotFound {
					t.Errorf("read hidden %s: code %d, want resource not found", uri, fastmcp.ErrorCodeOf(err))
				}
			}
			_, err = c.GetPrompt(ctx, "admin_report", nil)
			if (err == nil) != (tt.prompts != nil) {
				t.Errorf("get admin_report: %v", err)
			}
			_, err = c.Complete(ctx, fastmcp.PromptRef("admin_report"), "period", "d", nil)
			if (err == nil) != (tt.prompts != nil) {
				t.Errorf("complete on admin_report: %v", err)
			}
			_, err = c.Complete(ctx, fastmcp.ResourceRef("admin://{id}"), "id", "o", nil)
			if (err == nil) != (tt.templates != nil) {
				t.Errorf("complete on the admin template: %v", err)
			}
		})
	}
}

// When a session's auth data changes, its lists are evaluated again and the
// client is told which changed.
func TestAccessReevaluatedOnAuthChange(t *testing.T) {
	t.Parallel()
	var who atomic.Pointer[acUser]
	u := acBob
	who.Store(&u)
	c := testkit.Connect(t, acServer(t, &who), nil)
	ctx := testkit.Context(t)
	if r, err := c.CallTool(ctx, "promote", nil); err != nil || r.IsError {
		t.Fatalf("promote: %v %+v", err, r)
	}
	for _, m := range []string{"notifications/tools/list_changed", "notifications/resources/list_changed", "notifications/prompts/list_changed"} {
		if _, err := c.WaitNotification(ctx, m, 1); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := c.CallTool(ctx, "admin_action", nil); err != nil || fastmcptest.Text(r) != "admin" {
		t.Errorf("admin_action after promotion: %v %+v", err, r)
	}
}

// A check that panics denies access and is logged; the server keeps serving.
func TestAccessCheckPanicDenies(t *testing.T) {
	t.Parallel()
	var who atomic.Pointer[acUser]
	u := acAlice
	who.Store(&u)
	c := testkit.Connect(t, acServer(t, &who), nil)
	ctx := testkit.Context(t)
	if _, err := c.CallTool(ctx, "panicky", nil); fastmcp.ErrorCodeOf(err) != fastmcp.CodeInvalidParams {
		t.Errorf("panicking check: %v", err)
	}
	if r, err := c.CallTool(ctx, "public", nil); err != nil || r.IsError {
		t.Errorf("after a panicking check: %v %+v", err, r)
	}
}

func acGet(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// The OAuth discovery documents: RFC 9728 at the root and sub-path forms,
// RFC 8414 at the root and path-inserted forms, snake_case, public, open to
// every origin; and 401 challenges name the metadata.
func TestOAuthDiscoveryDocuments(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, fastmcp.Options{
		Authenticate: fastmcp.AuthFunc[acUser](func(r *http.Request) (acUser, error) {
			return acUser{}, &fastmcp.HTTPError{Message: "no token"}
		}),
		OAuth: &fastmcp.OAuthDiscovery{
			ProtectedResource: fastmcp.ProtectedResourceMetadata{
				AuthorizationServers:   []string{"https://auth.example.com"},
				ScopesSupported:        []string{"read", "write"},
				BearerMethodsSupported: []string{"header"},
			},
			AuthorizationServer: &fastmcp.AuthorizationServerMetadata{
				Issuer:                        "https://auth.example.com",
				AuthorizationEndpoint:         "https://auth.example.com/authorize",
				TokenEndpoint:                 "https://auth.example.com/token",
				ResponseTypesSupported:        []string{"code"},
				CodeChallengeMethodsSupported: []string{"S256"},
				RegistrationEndpoint:          "https://auth.example.com/register",
			},
		},
	})
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{BasePath: "/api"})
	base := srv.URL // the server's origin
	endpoint := base + "/api/mcp"
	for _, path := range []string{"/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/api/mcp"} {
		resp, body := acGet(t, base+path, http.Header{"Origin": {"https://elsewhere.example"}})
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, resp.Header)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"resource":                 base + "/api/mcp",
			"authorization_servers":    []any{"https://auth.example.com"},
			"scopes_supported":         []any{"read", "write"},
			"bearer_methods_supported": []any{"header"},
		}
		if diff := testdiff.Diff(want, got); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", path, diff)
		}
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/oauth-authorization-server/api"} {
		resp, body := acGet(t, base+path, nil)
		var got map[string]any
		if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		want := map[string]any{
			"issuer":                           "https://auth.example.com",
			"authorization_endpoint":           "https://auth.example.com/authorize",
			"token_endpoint":                   "https://auth.example.com/token",
			"registration_endpoint":            "https://auth.example.com/register",
			"response_types_supported":         []any{"code"},
			"code_challenge_methods_supported": []any{"S256"},
		}
		if diff := testdiff.Diff(want, got); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", path, diff)
		}
	}
	// Discovery is exempt from the Host check: it is public metadata.
	if resp, _ := acGet(t, base+"/.well-known/oauth-protected-resource", http.Header{"Host": {"evil.example.com"}}); resp.StatusCode != 200 {
		t.Errorf("discovery with a foreign Host: %d", resp.StatusCode)
	}
	// A refused request names the metadata in its challenge.
	c := ssNewRaw(t, nil, endpoint)
	resp, err := c.post(testkit.Encode(1, "initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "c", "version": "1"}}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := `Bearer error="invalid_token", error_description="no token", resource_metadata="` + base + `/.well-known/oauth-protected-resource/api/mcp"`
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("401 challenge: %d %q, want %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
}

// Tool calls over a limit get an isError result saying when to retry; the
// bucket refills. HTTP requests over the server-wide limit get 429.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	t.Run("per session", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{RateLimits: &fastmcp.RateLimits{PerSession: fastmcp.Rate{Limit: 2, Per: 300 * time.Millisecond}}})
		fastmcp.AddTool(s, fastmcp.Tool{Name: "t"}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "ok", nil })
		c1, c2 := testkit.Connect(t, s, nil), testkit.Connect(t, s, nil)
		ctx := testkit.Context(t)
		for i := range 2 {
			if r, err := c1.CallTool(ctx, "t", nil); err != nil || r.IsError {
				t.Fatalf("call %d: %v %+v", i, err, r)
			}
		}
		r, err := c1.CallTool(ctx, "t", nil)
		if err != nil || !r.IsError || !strings.Contains(fastmcptest.Text(r), "Rate limit exceeded for this session; retry in") {
			t.Fatalf("third call: %v %+v", err, r)
		}
		if ms, ok := r.Meta["fastmcp/retryAfterMs"].(float64); !ok || ms <= 0 || ms > 300 {
			t.Errorf("retryAfterMs = %v", r.Meta["fastmcp/retryAfterMs"])
		}
		// Another session has its own bucket.
		if r, err := c2.CallTool(ctx, "t", nil); err != nil || r.IsError {
			t.Errorf("other session: %v %+v", err, r)
		}
		// The bucket refills.
		deadline := time.Now().Add(5 * time.Second)
		for {
			r, err := c1.CallTool(ctx, "t", nil)
			if err == nil && !r.IsError {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the limit never reset")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("per user and per tool", func(t *testing.T) {
		t.Parallel()
		var who atomic.Pointer[acUser]
		u := acBob
		who.Store(&u)
		s := testkit.NewServer(t, fastmcp.Options{
			Authenticate: fastmcp.AuthFunc[acUser](func(*http.Request) (acUser, error) { return *who.Load(), nil }),
			RateLimits: &fastmcp.RateLimits{
				PerUser: fastmcp.Rate{Limit: 3, Per: time.Minute},
				Tools:   map[string]fastmcp.Rate{"costly": {Limit: 1, Per: time.Minute}},
			},
		})
		for _, n := range []string{"cheap", "costly"} {
			fastmcp.AddTool(s, fastmcp.Tool{Name: n}, func(*fastmcp.Context, fastmcp.NoArgs) (string, error) { return "ok", nil })
		}
		c1, c2 := testkit.Connect(t, s, nil), testkit.Connect(t, s, nil) // two sessions of bob
		ctx := testkit.Context(t)
		if r, _ := c1.CallTool(ctx, "costly", nil); r.IsError {
			t.Fatalf("first costly call: %+v", r)
		}
		if r, _ := c2.CallTool(ctx, "costly", nil); !r.IsError || !strings.Contains(fastmcptest.Text(r), `tool "costly"`) {
			t.Errorf("second costly call by the same user, other session: %+v", r)
		}
		// The per-user bucket (3) is shared by both sessions: 2 calls so far.
		if r, _ := c2.CallTool(ctx, "cheap", nil); r.IsError {
			t.Errorf("third call: %+v", r)
		}
		if r, _ := c1.CallTool(ctx, "cheap", nil); !r.IsError || !strings.Contains(fastmcptest.Text(r), "this user") {
			t.Errorf("fourth call by the same user: %+v", r)
		}
	})
	t.Run("HTTP", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{RateLimits: &fastmcp.RateLimits{HTTP: fastmcp.Rate{Limit: 2, Per: time.Minute}}})
		srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
		var statuses []int
		for range 3 {
			c := ssNewRaw(t, nil, srv.Endpoint)
			resp, err := c.post(testkit.Encode(1, "initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "c", "version": "1"}}))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			statuses = append(statuses, resp.StatusCode)
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
		if diff := testdiff.Diff([]int{200, 200, 429}, statuses); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		// Probes are not MCP requests: not limited.
		if resp, _ := acGet(t, srv.URL+"/health", nil); resp.StatusCode != 200 {
			t.Errorf("/health over the limit: %d", resp.StatusCode)
		}
	})
	t.Run("route", func(t *testing.T) {
		t.Parallel()
		s := testkit.NewServer(t, fastmcp.Options{}) // no RateLimits: the route's own limit still applies
		s.RouteFunc("GET /api/register", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) },
			fastmcp.RouteOptions{Public: true, RateLimit: fastmcp.Rate{Limit: 2, Per: time.Hour}})
		s.RouteFunc("GET /api/free", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }, fastmcp.RouteOptions{Public: true})
		srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
		base := srv.URL
		var statuses []int
		for range 3 {
			resp, _ := acGet(t, base+"/api/register", nil)
			statuses = append(statuses, resp.StatusCode)
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
		if diff := testdiff.Diff([]int{201, 201, 429}, statuses); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if resp, _ := acGet(t, base+"/api/free", nil); resp.StatusCode != 200 {
			t.Errorf("a route without a limit: %d", resp.StatusCode)
		}
	})
}
