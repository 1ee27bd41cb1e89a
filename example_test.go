package fastmcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
)

// AddArgs are the arguments of the add tool: the JSON Schema the client sees
// is inferred from the struct.
type AddArgs struct {
	A float64 `json:"a" description:"The first number"`
	B float64 `json:"b" description:"The second number"`
}

func ExampleAddTool() {
	server := fastmcp.New(fastmcp.Options{Name: "calculator", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx *fastmcp.Context, args AddArgs) (string, error) {
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	res, err := client.CallTool(ctx, "add", map[string]any{"a": 1, "b": 2.5})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Content[0].(*fastmcp.TextContent).Text)

	// Arguments that do not fit the schema come back to the model as an
	// error result naming the field.
	res, err = client.CallTool(ctx, "add", map[string]any{"a": 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.IsError, res.Content[0].(*fastmcp.TextContent).Text)
	// Output:
	// 3.5
	// true Invalid arguments for tool "add": missing properties: ["b"]
}

func ExampleAddTool_structuredOutput() {
	type Weather struct {
		City        string  `json:"city"`
		Temperature float64 `json:"temperature" description:"Degrees Celsius"`
		Conditions  string  `json:"conditions"`
	}
	server := fastmcp.New(fastmcp.Options{Name: "weather", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "weather", Description: "Current weather in a city"},
		func(ctx *fastmcp.Context, args struct {
			City string `json:"city"`
		}) (Weather, error) {
			return Weather{City: args.City, Temperature: 21.5, Conditions: "sunny"}, nil
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// The output schema is inferred from the handler's result type.
	tools, err := client.ListTools(ctx)
	if err != nil {
		log.Fatal(err)
	}
	schema, _ := json.Marshal(tools[0].OutputSchema)
	fmt.Println(string(schema))

	res, err := client.CallTool(ctx, "weather", map[string]any{"city": "Lisbon"})
	if err != nil {
		log.Fatal(err)
	}
	structured, _ := json.Marshal(res.StructuredContent)
	fmt.Println(string(structured))
	fmt.Println(res.Content[0].(*fastmcp.TextContent).Text) // the same value as JSON text, for older clients
	// Output:
	// {"additionalProperties":false,"properties":{"city":{"type":"string"},"conditions":{"type":"string"},"temperature":{"description":"Degrees Celsius","type":"number"}},"required":["city","temperature","conditions"],"type":"object"}
	// {"city":"Lisbon","conditions":"sunny","temperature":21.5}
	// {"city":"Lisbon","temperature":21.5,"conditions":"sunny"}
}

func ExampleAddTool_userError() {
	type DivideArgs struct {
		A float64 `json:"a"`
		B float64 `json:"b"`
	}
	server := fastmcp.New(fastmcp.Options{Name: "calculator", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "divide", Description: "Divide a by b"},
		func(ctx *fastmcp.Context, args DivideArgs) (float64, error) {
			if args.B == 0 {
				// A *UserError's message reaches the model as is.
				return 0, fastmcp.UserErrorf("cannot divide %v by zero", args.A)
			}
			return args.A / args.B, nil
		})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "fail", Description: "Fail with an internal error"},
		func(ctx *fastmcp.Context, args fastmcp.NoArgs) (string, error) {
			// Any other error is logged and masked (see Options.ShowErrorDetails).
			return "", errors.New("database password rejected")
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	res, err := client.CallTool(ctx, "divide", DivideArgs{A: 1, B: 0})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.IsError, res.Content[0].(*fastmcp.TextContent).Text)

	res, err = client.CallTool(ctx, "fail", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.IsError, res.Content[0].(*fastmcp.TextContent).Text)
	// Output:
	// true cannot divide 1 by zero
	// true Tool "fail" failed because of an internal error.
}

func ExampleServer_AddResource() {
	server := fastmcp.New(fastmcp.Options{Name: "docs", Version: "1.0.0"})
	server.AddResource(fastmcp.Resource{
		URI:      "docs://readme",
		Name:     "README",
		MIMEType: "text/markdown",
		Load:     fastmcp.StaticText("# Hello\n"),
	})
	server.AddResource(fastmcp.Resource{
		URI:  "config://app",
		Name: "Application configuration",
		Load: func(ctx *fastmcp.Context) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: `{"debug":false}`, MIMEType: "application/json"}}, nil
		},
	})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	resources, err := client.ListResources(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range resources {
		fmt.Println(r.URI, r.Name)
	}

	res, err := client.ReadResource(ctx, "docs://readme")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s %q\n", res.Contents[0].URI, res.Contents[0].MIMEType, res.Contents[0].Text)

	_, err = client.ReadResource(ctx, "docs://missing")
	fmt.Println(fastmcp.ErrorCodeOf(err) == fastmcp.CodeResourceNotFound)
	// Output:
	// config://app Application configuration
	// docs://readme README
	// docs://readme text/markdown "# Hello\n"
	// true
}

func ExampleAddResourceTemplate() {
	type LogArgs struct {
		Name  string `json:"name" enum:"app,access,error"`
		Lines int    `json:"lines"`
	}
	server := fastmcp.New(fastmcp.Options{Name: "logs", Version: "1.0.0"})
	fastmcp.AddResourceTemplate(server,
		fastmcp.ResourceTemplate{URITemplate: "logs://{name}{?lines}", Name: "Logs", MIMEType: "text/plain"},
		func(ctx *fastmcp.Context, uri string, args LogArgs) ([]*fastmcp.ResourceContents, error) {
			return []*fastmcp.ResourceContents{{Text: fmt.Sprintf("last %d lines of %s", args.Lines, args.Name)}}, nil
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	res, err := client.ReadResource(ctx, "logs://access?lines=20")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Contents[0].URI, res.Contents[0].Text)

	// Variables with an enum tag are completed.
	comp, err := client.Complete(ctx, fastmcp.CompleteReference{Type: "ref/resource", URI: "logs://{name}{?lines}"}, "name", "a", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(comp.Completion.Values)
	// Output:
	// logs://access?lines=20 last 20 lines of access
	// [app access]
}

func ExampleAddPrompt() {
	type ReviewArgs struct {
		Language string `json:"language" enum:"go,rust,python"`
		Code     string `json:"code" description:"The code to review"`
	}
	server := fastmcp.New(fastmcp.Options{Name: "reviewer", Version: "1.0.0"})
	fastmcp.AddPrompt(server, fastmcp.Prompt{Name: "review", Description: "Review code"},
		func(ctx *fastmcp.Context, args ReviewArgs) (string, error) {
			return "Review this " + args.Language + " code:\n" + args.Code, nil
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// The enum of the language argument completes what the user typed.
	ref := fastmcp.CompleteReference{Type: "ref/prompt", Name: "review"}
	comp, err := client.Complete(ctx, ref, "language", "py", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(comp.Completion.Values)

	res, err := client.GetPrompt(ctx, "review", map[string]string{"language": "python", "code": "print(1)"})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range res.Messages {
		fmt.Printf("%s: %s\n", m.Role, m.Content.(*fastmcp.TextContent).Text)
	}
	// Output:
	// [python]
	// user: Review this python code:
	// print(1)
}

func ExampleContext_ReportProgress() {
	server := fastmcp.New(fastmcp.Options{Name: "jobs", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "import", Description: "Import three files"},
		func(ctx *fastmcp.Context, args fastmcp.NoArgs) (string, error) {
			files := []string{"a.csv", "b.csv", "c.csv"}
			for i, f := range files {
				// A no-op unless the client asked for progress.
				if err := ctx.ReportProgress(fastmcp.Progress{
					Progress: float64(i + 1), Total: float64(len(files)), Message: "imported " + f,
				}); err != nil {
					return "", err
				}
			}
			return "done", nil
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// The client asks for progress with a progress token in _meta.
	res, err := client.CallToolParams(ctx, &fastmcp.CallToolParams{
		Name: "import",
		Meta: fastmcp.Meta{"progressToken": "import-1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, n := range client.Notifications() {
		if n.Method != "notifications/progress" {
			continue
		}
		var p fastmcp.ProgressParams
		if err := json.Unmarshal(n.Params, &p); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %v/%v %s\n", p.ProgressToken, p.Progress, p.Total, p.Message)
	}
	fmt.Println(res.Content[0].(*fastmcp.TextContent).Text)
	// Output:
	// "import-1" 1/3 imported a.csv
	// "import-1" 2/3 imported b.csv
	// "import-1" 3/3 imported c.csv
	// done
}

func ExampleContext_Log() {
	server := fastmcp.New(fastmcp.Options{Name: "indexer", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "index", Description: "Index the repository"},
		func(ctx *fastmcp.Context, args fastmcp.NoArgs) (string, error) {
			ctx.Debug("scanning") // below the client's level: not sent
			ctx.Info("indexed", "files", 42)
			ctx.Warn("skipped a binary file")
			return "ok", nil
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	if err := client.SetLoggingLevel(ctx, fastmcp.LevelInfo); err != nil {
		log.Fatal(err)
	}
	if _, err := client.CallTool(ctx, "index", nil); err != nil {
		log.Fatal(err)
	}
	for _, n := range client.Notifications() {
		if n.Method != "notifications/message" {
			continue
		}
		var m fastmcp.LoggingMessageParams
		if err := json.Unmarshal(n.Params, &m); err != nil {
			log.Fatal(err)
		}
		data, _ := json.Marshal(m.Data)
		fmt.Println(m.Level, string(data))
	}
	// Output:
	// info {"files":42,"message":"indexed"}
	// warning "skipped a binary file"
}

// User is the application's own auth data.
type User struct {
	Name string
}

func ExampleAuthFunc() {
	server := fastmcp.New(fastmcp.Options{
		Name:    "secure",
		Version: "1.0.0",
		Authenticate: fastmcp.AuthFunc[User](func(r *http.Request) (User, error) {
			if r.Header.Get("Authorization") != "Bearer secret-token" {
				// The answer is 401 with a WWW-Authenticate challenge.
				return User{}, &fastmcp.HTTPError{Message: "invalid token"}
			}
			return User{Name: "alice"}, nil
		}),
	})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "whoami", Description: "Name the caller"},
		func(ctx *fastmcp.Context, args fastmcp.NoArgs) (string, error) {
			user, err := fastmcp.AuthSession[User](ctx)
			if err != nil {
				return "", err
			}
			return user.Name, nil
		})

	handler := server.Handler(fastmcp.HTTP{Stateless: true})
	defer handler.Close()
	ts := httptest.NewServer(handler)
	defer ts.Close()

	call := func(token string) {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami"}}`
		req, _ := http.NewRequest("POST", ts.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("MCP-Protocol-Version", fastmcp.ProtocolVersion20251125)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.Status)
		if c := resp.Header.Get("WWW-Authenticate"); c != "" {
			fmt.Println(c)
		}
		fmt.Println(strings.TrimSpace(string(out)))
	}
	call("wrong-token")
	call("secret-token")
	// Output:
	// 401 Unauthorized
	// Bearer error="invalid_token", error_description="invalid token"
	// {"jsonrpc":"2.0","error":{"code":-32600,"message":"invalid token"}}
	// 200 OK
	// {"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"alice"}]}}
}

func ExampleAuthFrom() {
	// Over stdio (and fastmcptest), the authenticator runs once, with a nil
	// request, when the client initializes: it may read the environment.
	server := fastmcp.New(fastmcp.Options{
		Name:    "local",
		Version: "1.0.0",
		Authenticate: fastmcp.AuthFunc[User](func(r *http.Request) (User, error) {
			if r == nil {
				return User{Name: "local user"}, nil
			}
			return User{Name: r.Header.Get("X-User")}, nil
		}),
	})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "whoami", Description: "Name the caller"},
		func(ctx *fastmcp.Context, args fastmcp.NoArgs) (string, error) {
			if user, ok := fastmcp.AuthFrom[User](ctx); ok {
				return "hello, " + user.Name, nil
			}
			return "hello, stranger", nil
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	res, err := client.CallTool(ctx, "whoami", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Content[0].(*fastmcp.TextContent).Text)
	// Output:
	// hello, local user
}

func ExampleSession_State() {
	server := fastmcp.New(fastmcp.Options{Name: "counter", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "count", Description: "Count this session's calls"},
		func(ctx *fastmcp.Context, args fastmcp.NoArgs) (string, error) {
			n, err := ctx.Session().State().Incr(ctx, "calls", 1)
			if err != nil {
				return "", err
			}
			return strconv.FormatInt(n, 10), nil
		})

	ctx := context.Background()
	alice, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	bob, err := fastmcptest.Dial(ctx, server, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close()

	count := func(c *fastmcptest.Client) string {
		res, err := c.CallTool(ctx, "count", nil)
		if err != nil {
			log.Fatal(err)
		}
		return res.Content[0].(*fastmcp.TextContent).Text
	}
	// Each session has its own state.
	fmt.Println(count(alice), count(alice), count(bob), count(alice))
	// Output:
	// 1 2 1 3
}

func ExampleElicitForm() {
	type Booking struct {
		Date   string `json:"date" format:"date" description:"Day of the booking"`
		Guests int    `json:"guests" minimum:"1" maximum:"8"`
	}
	server := fastmcp.New(fastmcp.Options{Name: "restaurant", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "book", Description: "Book a table"},
		func(ctx *fastmcp.Context, args fastmcp.NoArgs) (string, error) {
			form, err := fastmcp.ElicitForm[Booking](ctx, "When, and for how many?")
			if err != nil {
				return "", err
			}
			if form.Action != fastmcp.ElicitAccept {
				return "booking " + form.Action + "d", nil
			}
			return fmt.Sprintf("booked for %d on %s", form.Content.Guests, form.Content.Date), nil
		})

	ctx := context.Background()
	client, err := fastmcptest.Dial(ctx, server, &fastmcptest.Options{
		// The client declares it can elicit, and answers the server's
		// elicitation/create request as its user would.
		Capabilities: fastmcp.ClientCapabilities{Elicitation: &fastmcp.ElicitationCapability{}},
		OnRequest: func(ctx context.Context, method string, params json.RawMessage) (any, error) {
			var p fastmcp.ElicitParams
			if err := json.Unmarshal(params, &p); err != nil {
				return nil, err
			}
			schema, _ := json.Marshal(p.RequestedSchema)
			fmt.Println(method, p.Message, string(schema))
			return &fastmcp.ElicitResult{
				Action:  fastmcp.ElicitAccept,
				Content: map[string]any{"date": "2025-12-24", "guests": 4},
			}, nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	res, err := client.CallTool(ctx, "book", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Content[0].(*fastmcp.TextContent).Text)
	// Output:
	// elicitation/create When, and for how many? {"properties":{"date":{"description":"Day of the booking","format":"date","type":"string"},"guests":{"maximum":8,"minimum":1,"type":"integer"}},"required":["date","guests"],"type":"object"}
	// booked for 4 on 2025-12-24
}

func ExampleServer_Handler() {
	server := fastmcp.New(fastmcp.Options{Name: "embedded", Version: "1.0.0"})

	// Serve MCP under /agent/ of an existing mux: the MCP endpoint is then
	// /agent/mcp and the health probe /agent/health.
	handler := server.Handler(fastmcp.HTTP{})
	defer handler.Close()
	mux := http.NewServeMux()
	mux.Handle("/agent/", http.StripPrefix("/agent", handler))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "the rest of the application")
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()

	for _, path := range []string{"/agent/health", "/"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, strings.TrimSpace(string(body)))
	}
	// Output:
	// 200 ✓ Ok
	// 200 the rest of the application
}

func ExampleServer_Route() {
	server := fastmcp.New(fastmcp.Options{Name: "api", Version: "1.0.0"})
	server.RouteFunc("GET /api/status/{component}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s: up\n", r.PathValue("component"))
	}, fastmcp.RouteOptions{Public: true})

	handler := server.Handler(fastmcp.HTTP{})
	defer handler.Close()
	ts := httptest.NewServer(handler)
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/api/status/db")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	// Output:
	// db: up
}

func ExampleAuto() {
	// Auto reads the command line and the environment; here both are
	// injected. Args must be non-nil: nil means os.Args[1:].
	env := map[string]string{"FASTMCP_TRANSPORT": "http", "FASTMCP_PORT": "9000"}
	getenv := func(key string) string { return env[key] }

	for _, args := range [][]string{
		{},                    // the environment alone
		{"--port", "3000"},    // a flag wins over its variable
		{"--transport=stdio"}, // so does --transport
	} {
		t, err := fastmcp.Auto{Args: args, Getenv: getenv}.Resolve()
		if err != nil {
			log.Fatal(err)
		}
		if h, ok := t.(fastmcp.HTTP); ok {
			fmt.Printf("%T on port %d\n", t, h.Port)
		} else {
			fmt.Printf("%T\n", t)
		}
	}
	// Output:
	// fastmcp.HTTP on port 9000
	// fastmcp.HTTP on port 3000
	// fastmcp.Stdio
}

// post2026 sends a 2026-07-28 request to an MCP endpoint, with the headers
// and _meta the revision requires, and returns the result.
func post2026(endpoint, method string, params map[string]any) map[string]any {
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
		"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", method)
	req.Header.Set("Mcp-Name", params["name"].(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var msg struct {
		Result map[string]any `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&msg); err != nil {
		log.Fatal(err)
	}
	return msg.Result
}

// A handler asks for input the same way in both protocol eras. For a
// 2026-07-28 client the request is answered with input_required; the client
// retries with the answer, and the handler runs again, getting it.
func ExampleContext_Ask() {
	server := fastmcp.New(fastmcp.Options{Name: "greeter", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "greet", Description: "Greets the user by name"},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			res, err := ctx.Ask(fastmcp.ElicitationRequest(&fastmcp.ElicitParams{
				Message:         "What is your name?",
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}},
			}).WithKey("user_name"))
			if err != nil {
				return "", err // ErrInputRequired until the client answers
			}
			answer, err := res[0].Elicitation()
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Hello, %v!", answer.Content["name"]), nil
		})
	handler := server.Handler(fastmcp.HTTP{})
	defer handler.Close()
	ts := httptest.NewServer(handler)
	defer ts.Close()

	r1 := post2026(ts.URL+"/mcp", "tools/call", map[string]any{"name": "greet"})
	asks := r1["inputRequests"].(map[string]any)["user_name"].(map[string]any)
	fmt.Println("round 1:", r1["resultType"], asks["method"])

	r2 := post2026(ts.URL+"/mcp", "tools/call", map[string]any{
		"name":           "greet",
		"inputResponses": map[string]any{"user_name": map[string]any{"action": "accept", "content": map[string]any{"name": "Ada"}}},
		"requestState":   r1["requestState"],
	})
	fmt.Println("round 2:", r2["resultType"], r2["content"].([]any)[0].(map[string]any)["text"])
	// Output:
	// round 1: input_required elicitation/create
	// round 2: complete Hello, Ada!
}

// Handles keep state across the requests of a client without sessions (the
// 2026-07-28 revision): one tool returns a handle, later tools receive it as
// an argument.
func ExampleContext_NewHandle() {
	server := fastmcp.New(fastmcp.Options{Name: "carts", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "open_cart", Description: "Opens a cart; returns its handle"},
		func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
			handle, _, err := ctx.NewHandle(time.Hour)
			return handle, err
		})
	type addArgs struct {
		Cart string `json:"cart" description:"The cart's handle"`
		Item string `json:"item"`
	}
	fastmcp.AddTool(server, fastmcp.Tool{Name: "add_item", Description: "Adds an item to a cart"},
		func(ctx *fastmcp.Context, args addArgs) (string, error) {
			cart, err := ctx.OpenHandle(args.Cart)
			if err != nil {
				return "", fastmcp.NewUserError("unknown cart")
			}
			n, err := cart.Incr(ctx, "items", 1)
			return fmt.Sprintf("%d item(s)", n), err
		})
	handler := server.Handler(fastmcp.HTTP{})
	defer handler.Close()
	ts := httptest.NewServer(handler)
	defer ts.Close()

	text := func(r map[string]any) any { return r["content"].([]any)[0].(map[string]any)["text"] }
	cart := text(post2026(ts.URL+"/mcp", "tools/call", map[string]any{"name": "open_cart"}))
	for _, item := range []string{"apple", "pear"} {
		fmt.Println(text(post2026(ts.URL+"/mcp", "tools/call", map[string]any{"name": "add_item", "arguments": map[string]any{"cart": cart, "item": item}})))
	}
	fmt.Println(text(post2026(ts.URL+"/mcp", "tools/call", map[string]any{"name": "add_item", "arguments": map[string]any{"cart": "forged", "item": "x"}})))
	// Output:
	// 1 item(s)
	// 2 item(s)
	// unknown cart
}
