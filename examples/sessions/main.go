// Command sessions shows FastMCP sessions: typed auth data, lifecycle events,
// per-session state and metrics, roots, sampling and elicitation.
//
//	go run ./examples/sessions                                 # stdio
//	go run ./examples/sessions --transport http --port 8080    # HTTP
//
// Authentication is a demonstration only. Over HTTP, the bearer token
// demo-<user>-<role> is accepted (Authorization: Bearer demo-alice-admin) and
// any other is refused with 401. Over stdio, the user comes from the
// environment variable FASTMCP_DEMO_USER (<user>-<role>, default local-guest).
//
// Every tool answers with JSON text. Two sessions never see each other's
// state, counters or auth.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

// User is the auth data of a session: what the authenticator returns and what
// handlers read with fastmcp.AuthFrom[User].
type User struct {
	ID   string `json:"userId"`
	Role string `json:"role"`
}

// authenticate accepts the demo bearer tokens over HTTP and the environment's
// user over stdio (r is nil there).
func authenticate(r *http.Request) (User, error) {
	if r == nil {
		return parseUser(envOr("FASTMCP_DEMO_USER", "local-guest"))
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return User{}, &fastmcp.HTTPError{Message: "missing bearer token"}
	}
	spec, ok := strings.CutPrefix(token, "demo-")
	if !ok {
		return User{}, &fastmcp.HTTPError{Message: "unknown token"}
	}
	u, err := parseUser(spec)
	if err != nil {
		return User{}, &fastmcp.HTTPError{Message: err.Error()}
	}
	return u, nil
}

func parseUser(spec string) (User, error) {
	id, role, ok := strings.Cut(spec, "-")
	if !ok || id == "" || role == "" {
		return User{}, fmt.Errorf("a user is <user>-<role>, not %q", spec)
	}
	return User{ID: id, Role: role}, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	server := newServer(slog.Default())
	if err := server.Start(context.Background(), nil); err != nil {
		log.Fatal(err)
	}
}

// newServer returns the example server.
func newServer(logger *slog.Logger) *fastmcp.Server {
	server := fastmcp.New(fastmcp.Options{
		Name:         "fastmcp-sessions",
		Version:      "1.0.0",
		Instructions: "Demonstrates sessions: identity, per-session state, roots, sampling and elicitation.",
		Logger:       logger,
		Authenticate: fastmcp.AuthFunc[User](authenticate),
	})

	// Lifecycle events. Handlers run in order per session, off the request
	// path: a slow one never holds up the client.
	server.OnConnect(func(s *fastmcp.Session) {
		user, _ := s.Auth().(User)
		logger.Info("session connected", "session", s.ID(), "user", user.ID, "client", s.ClientInfo().Name)
		s.OnReady(func() { logger.Info("session ready", "session", s.ID(), "roots", len(s.Roots())) })
		s.OnRootsChanged(func(roots []fastmcp.Root) {
			logger.Info("roots changed", "session", s.ID(), "roots", len(roots))
		})
		s.OnError(func(err error) { logger.Warn("session error", "session", s.ID(), "error", err) })
	})
	server.OnDisconnect(func(s *fastmcp.Session) {
		logger.Info("session ended", "session", s.ID(), "cause", s.CloseCause(), "toolCalls", s.Metrics().ToolCalls)
	})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "whoami", Description: "Who is calling, in which session",
		Annotations: &fastmcp.ToolAnnotations{ReadOnlyHint: fastmcp.Bool(true)}},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			user, err := fastmcp.AuthSession[User](ctx)
			if err != nil {
				return "", err
			}
			return jsonText(map[string]any{"userId": user.ID, "role": user.Role, "sessionId": ctx.SessionID()})
		})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "session_stats", Description: "Tool calls and uptime of this session",
		Annotations: &fastmcp.ToolAnnotations{ReadOnlyHint: fastmcp.Bool(true)}},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			s := ctx.Session()
			if s == nil {
				return "", fastmcp.NewUserError("session_stats needs a session; this server is running statelessly")
			}
			// This call is still running, so it is not counted yet.
			return jsonText(map[string]any{
				"sessionId": s.ID(),
				"toolCalls": s.Metrics().ToolCalls + 1,
				"uptimeMs":  time.Since(s.CreatedAt()).Milliseconds(),
			})
		})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "counter_increment", Description: "Increment a counter kept in this session's state"},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			st := ctx.State()
			if st == nil {
				return "", fastmcp.NewUserError("counter_increment needs a session; this server is running statelessly")
			}
			n, err := st.Incr(ctx, "counter", 1)
			if err != nil {
				return "", err
			}
			return jsonText(map[string]any{"sessionId": ctx.SessionID(), "value": n})
		})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "list_roots", Description: "The roots the client reported"},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			roots, err := ctx.Roots()
			if err != nil {
				return "", fastmcp.UserErrorf("cannot list roots: %v", err)
			}
			out := make([]map[string]string, 0, len(roots))
			for _, r := range roots {
				out = append(out, map[string]string{"uri": r.URI, "name": r.Name})
			}
			return jsonText(map[string]any{"roots": out})
		})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "ask_llm", Description: "Ask the client's LLM (sampling)"},
		func(ctx *fastmcp.Context, args struct {
			Prompt string `json:"prompt" description:"What to ask"`
		}) (string, error) {
			res, err := ctx.Sample(&fastmcp.CreateMessageParams{
				Messages:  []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text(args.Prompt)}},
				MaxTokens: 500,
			})
			if err != nil {
				return "", fastmcp.UserErrorf("sampling failed: %v", err)
			}
			if t, ok := res.Content.(*fastmcp.TextContent); ok {
				return t.Text, nil
			}
			return "", fastmcp.UserErrorf("the client answered with %s content, not text", res.Content.ContentType())
		})

	fastmcp.AddTool(server, fastmcp.Tool{Name: "confirm", Description: "Ask the user a yes/no question (elicitation)"},
		func(ctx *fastmcp.Context, args struct {
			Question string `json:"question" description:"The question to ask"`
		}) (string, error) {
			res, err := fastmcp.ElicitForm[confirmation](ctx, args.Question)
			if errors.Is(err, fastmcp.ErrCapability) || errors.Is(err, fastmcp.ErrNoSession) {
				return "", fastmcp.UserErrorf("cannot ask the user: %v", err)
			}
			if err != nil {
				return "", err
			}
			var content any
			if res.Action == fastmcp.ElicitAccept {
				content = res.Content
			}
			return jsonText(map[string]any{"action": res.Action, "content": content})
		})
	return server
}

// confirmation is the form of the confirm tool.
type confirmation struct {
	Confirmed bool   `json:"confirmed" title:"Confirm" description:"Yes or no"`
	Comment   string `json:"comment,omitempty" description:"Anything to add"`
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
