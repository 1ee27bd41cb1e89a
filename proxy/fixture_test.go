package proxy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/auth"
)

// fixtureEnv makes the test binary serve the fixture server over stdio (an
// upstream for the stdio tests).
const fixtureEnv = "FASTMCP_PROXY_TEST_FIXTURE"

// fixture is the upstream of the functional tests: tools exercising every
// forwarded feature, a resource, a template and a prompt.
type fixture struct {
	server *fastmcp.Server
	// cancelled receives the tag of each call of "block" whose context
	// ended (in-process fixtures only).
	cancelled chan string
	// started receives the tag of each call of "block" when it starts.
	started chan string
	// outside receives the outcome of the roots requests "roots_outside"
	// sends outside any call.
	outside chan string
}

type nameForm struct {
	Name string `json:"name" description:"Your name"`
}

func newFixture() *fixture { return newAuthFixture(nil) }

// newAuthFixture is a fixture whose server authenticates its clients with a.
func newAuthFixture(a fastmcp.Authenticator) *fixture {
	f := &fixture{cancelled: make(chan string, 16), started: make(chan string, 16), outside: make(chan string, 16)}
	s := fastmcp.New(fastmcp.Options{
		Name: "fixture", Title: "The fixture", Version: "2.0.1",
		Instructions: "Use the fixture's tools.",
		Logger:       quietLogger(),
		Authenticate: a,
	})
	f.server = s
	type textArgs struct {
		Text string `json:"text" description:"What to echo" minLength:"1"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{
		Name: "echo", Title: "Echo", Description: "Echoes its text.",
		Annotations: &fastmcp.ToolAnnotations{ReadOnlyHint: fastmcp.Bool(true), OpenWorldHint: fastmcp.Bool(false)},
		Meta:        fastmcp.Meta{"example.com/owner": "tests"},
	}, func(ctx *fastmcp.Context, a textArgs) (string, error) {
		return a.Text, nil
	})
	type sumOut struct {
		Sum float64 `json:"sum"`
	}
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sum", Description: "Adds numbers, with structured output."},
		func(ctx *fastmcp.Context, a struct {
			Values []float64 `json:"values"`
		}) (sumOut, error) {
			var t float64
			for _, v := range a.Values {
				t += v
			}
			return sumOut{Sum: t}, nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "fail", Description: "Fails as a tool (isError)."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			return "", fastmcp.NewUserError("it failed on purpose")
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "protocol_error", Description: "Fails with a JSON-RPC error."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			return "", &fastmcp.Error{Code: -32042, Message: "go elsewhere first", Data: map[string]any{"url": "https://example.com"}}
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "whoami", Description: "The bearer token the proxy presented."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			if u, ok := auth.UserFrom(ctx); ok {
				return u.Token, nil
			}
			return "anonymous", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "block", Description: "Waits until cancelled."},
		func(ctx *fastmcp.Context, a struct {
			Tag string `json:"tag"`
		}) (string, error) {
			select {
			case f.started <- a.Tag:
			default:
			}
			fmt.Fprintf(os.Stderr, "block started %s\n", a.Tag)
			<-ctx.Done()
			fmt.Fprintf(os.Stderr, "block cancelled %s\n", a.Tag)
			select {
			case f.cancelled <- a.Tag:
			default:
			}
			return "", ctx.Err()
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "progress", Description: "Reports progress n times, then returns."},
		func(ctx *fastmcp.Context, a struct {
			N int `json:"n"`
		}) (string, error) {
			for i := 1; i <= a.N; i++ {
				if err := ctx.ReportProgress(fastmcp.Progress{Progress: float64(i), Total: float64(a.N), Message: fmt.Sprintf("step %d", i)}); err != nil {
					return "", err
				}
			}
			return "done", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "logs", Description: "Logs n info messages (padded with pad bytes), then returns."},
		func(ctx *fastmcp.Context, a struct {
			N   int `json:"n"`
			Pad int `json:"pad,omitempty"`
		}) (string, error) {
			for i := 1; i <= a.N && ctx.Err() == nil; i++ {
				if a.Pad > 0 {
					ctx.Info(fmt.Sprintf("message %d", i), "i", i, "pad", strings.Repeat("x", a.Pad))
				} else {
					ctx.Info(fmt.Sprintf("message %d", i), "i", i)
				}
			}
			return "logged", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "ask_name", Description: "Asks the user's name (elicitation)."},
		func(ctx *fastmcp.Context, a struct {
			Tag string `json:"tag,omitempty"`
		}) (string, error) {
			res, err := fastmcp.ElicitForm[nameForm](ctx, "What is your name?")
			if err != nil {
				if ctx.Err() != nil && a.Tag != "" {
					select {
					case f.cancelled <- a.Tag:
					default:
					}
				}
				return "", err
			}
			if res.Action != fastmcp.ElicitAccept {
				return "no name (" + res.Action + ")", nil
			}
			return "Hello, " + res.Content.Name, nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "ask_twice", Description: "Asks for a name, then for a colour."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			name, err := fastmcp.ElicitForm[nameForm](ctx, "What is your name?")
			if err != nil {
				return "", err
			}
			colour, err := fastmcp.ElicitForm[nameForm](ctx, "What is your favourite colour?")
			if err != nil {
				return "", err
			}
			return name.Content.Name + " likes " + colour.Content.Name, nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "sample", Description: "Asks the client's LLM."},
		func(ctx *fastmcp.Context, a struct {
			Prompt string `json:"prompt"`
		}) (string, error) {
			res, err := ctx.Sample(&fastmcp.CreateMessageParams{
				Messages:  []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text(a.Prompt)}},
				MaxTokens: 50,
			})
			if err != nil {
				return "", err
			}
			if t, ok := res.Content.(*fastmcp.TextContent); ok {
				return "LLM: " + t.Text, nil
			}
			return "LLM: (not text)", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "roots", Description: "Lists the client's roots."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			roots, err := ctx.Roots()
			if err != nil {
				return "", err
			}
			var uris []string
			for _, r := range roots {
				uris = append(uris, r.URI)
			}
			return strings.Join(uris, ","), nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "roots_outside", Description: "Asks for the roots outside any call; the outcome goes to fixture.outside."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			sess := ctx.Session()
			go func() {
				roots, err := sess.ListRoots(context.Background(), nil)
				if err != nil {
					f.outside <- "error: " + err.Error()
					return
				}
				var uris []string
				for _, r := range roots {
					uris = append(uris, r.URI)
				}
				f.outside <- strings.Join(uris, ",")
			}()
			return "asked", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "log_outside", Description: "Logs a warning on the session, outside any call."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			sess := ctx.Session()
			go sess.Log(fastmcp.LevelWarning, "fixture-bg", map[string]any{"note": "outside"})
			return "ok", nil
		})
	var dynMu sync.Mutex
	fastmcp.AddTool(s, fastmcp.Tool{Name: "mutate", Description: "Adds (add: true) or removes the tool dyn, the resource test://dyn and the prompt dyn."},
		func(ctx *fastmcp.Context, a struct {
			Add bool `json:"add"`
		}) (string, error) {
			dynMu.Lock()
			defer dynMu.Unlock()
			if !a.Add {
				s.RemoveTools("dyn")
				s.RemoveResources("test://dyn")
				s.RemovePrompts("dyn")
				return "removed", nil
			}
			fastmcp.AddTool(s, fastmcp.Tool{Name: "dyn", Description: "Added at run time."},
				func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "dyn!", nil })
			s.AddResource(fastmcp.Resource{URI: "test://dyn", Name: "dyn", Load: fastmcp.StaticText("dyn resource")})
			fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "dyn"}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) { return "dyn prompt", nil })
			return "added", nil
		})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "exit", Description: "Ends the process (stdio fixture)."},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			os.Exit(3)
			return "", nil
		})

	s.AddResource(fastmcp.Resource{
		URI: "test://static", Name: "static", Title: "A static text", Description: "Always the same.",
		MIMEType: "text/plain", Size: 11, Annotations: &fastmcp.Annotations{Audience: []fastmcp.Role{fastmcp.RoleUser}},
		Load: fastmcp.StaticText("hello world"),
	})
	s.AddResource(fastmcp.Resource{URI: "test://blob", Name: "blob", MIMEType: "application/octet-stream", Load: fastmcp.StaticBlob([]byte{0, 1, 2, 255})})
	fastmcp.AddResourceTemplate(s, fastmcp.ResourceTemplate{URITemplate: "test://items/{id}", Name: "item", MIMEType: "application/json"},
		func(ctx *fastmcp.Context, uri string, a struct {
			ID string `json:"id" enum:"alpha,beta,gamma"`
		}) ([]*fastmcp.ResourceContents, error) {
			b, _ := json.Marshal(map[string]string{"id": a.ID})
			return []*fastmcp.ResourceContents{{Text: string(b)}}, nil
		})
	fastmcp.AddPrompt(s, fastmcp.Prompt{Name: "greet", Title: "Greeting", Description: "Greets someone."},
		func(ctx *fastmcp.Context, a struct {
			Name  string `json:"name" description:"Who to greet"`
			Style string `json:"style,omitempty" enum:"formal,casual"`
		}) (string, error) {
			return fmt.Sprintf("Greet %s (%s)", a.Name, a.Style), nil
		})
	return f
}

// fixtureMain serves the fixture over stdio, for the proxy's stdio tests.
func fixtureMain() int {
	f := newFixture()
	if err := f.server.Serve(context.Background(), fastmcp.Stdio{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
