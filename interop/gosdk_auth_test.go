package interop_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Typed auth data in every kind of handler, with the official Go SDK client.

// Typed auth data in every kind of handler, over HTTP with the Go SDK client.
func TestAuthHTTPHandlersGoSDK(t *testing.T) {
	t.Parallel()
	s := atServer(t, &atAuth{})
	srv := testkit.ServeHTTP(t, s, fastmcp.HTTP{})
	c := ssConnectGoSDK(t, srv.Endpoint, "tok-bob-user", nil)
	ctx := testkit.Context(t)
	if got := ssSDKCall(t, c.ClientSession, "whoami", nil, false); got != "bob/user" {
		t.Errorf("tool: %q", got)
	}
	rr, err := c.ReadResource(ctx, &mcp.ReadResourceParams{URI: "auth://me"})
	if err != nil || rr.Contents[0].Text != "resource:bob" {
		t.Errorf("resource: %v %+v", err, rr)
	}
	rr, err = c.ReadResource(ctx, &mcp.ReadResourceParams{URI: "auth://users/7"})
	if err != nil || rr.Contents[0].Text != "template:7:by:bob" {
		t.Errorf("template: %v %+v", err, rr)
	}
	pr, err := c.GetPrompt(ctx, &mcp.GetPromptParams{Name: "greet", Arguments: map[string]string{"tone": "dry"}})
	if err != nil || pr.Messages[0].Content.(*mcp.TextContent).Text != "prompt:bob:dry" {
		t.Errorf("prompt: %v %+v", err, pr)
	}
	cr, err := c.Complete(ctx, &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/prompt", Name: "greet"},
		Argument: mcp.CompleteParamsArgument{Name: "tone", Value: ""}})
	if err != nil || len(cr.Completion.Values) != 1 || cr.Completion.Values[0] != "prompt-completion:bob" {
		t.Errorf("completion: %v %+v", err, cr)
	}
	cr, err = c.Complete(ctx, &mcp.CompleteParams{Ref: &mcp.CompleteReference{Type: "ref/resource", URI: "auth://users/{id}"},
		Argument: mcp.CompleteParamsArgument{Name: "id", Value: ""}})
	if err != nil || len(cr.Completion.Values) != 1 || cr.Completion.Values[0] != "template-completion:bob" {
		t.Errorf("template completion: %v %+v", err, cr)
	}
	// A token the authenticator refuses: the SDK reports the failure.
	if _, err := ssDialGoSDK(t, srv.Endpoint, "tok-nope", nil, nil); err == nil {
		t.Error("the Go SDK connected with a refused token")
	}
}

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
