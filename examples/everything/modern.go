package main

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/fastmcp-go/fastmcp"
)

// addModernFixtures registers the fixtures of the 2026-07-28 conformance
// scenarios. They serve both eras: in the handshake era, Sample, Elicit, Roots
// and Ask send requests to the client over the session; in 2026-07-28 they
// become multi round-trip requests (input_required results), with nothing to
// change in the handlers.
func addModernFixtures(server *fastmcp.Server) {
	// Needs sampling: a client that did not declare it gets
	// MissingRequiredClientCapability (-32021, HTTP 400) in 2026-07-28.
	// The *fastmcp.Error is returned as is, so it stays a protocol error.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_missing_capability",
		Description: "Needs the client's sampling capability.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Sample(&fastmcp.CreateMessageParams{
			Messages:  []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("Say hello")}},
			MaxTokens: 20,
		})
		if err != nil {
			return "", err
		}
		return "Success: " + textOf(res.Content), nil
	})

	// Streams partial output, then needs the user's confirmation: the
	// elicitation travels in the result (input_required), never as a
	// request on the stream.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_streaming_elicitation",
		Description: "Streams partial output, then asks the user to confirm.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		if err := ctx.StreamContent(fastmcp.Text("Working...")); err != nil {
			return "", err
		}
		res, err := fastmcp.ElicitForm[confirmForm](ctx, "Continue?")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Streaming complete (action=%s)", res.Action), nil
	})

	// Logs at info level: in 2026-07-28 the messages go out only when the
	// request's _meta sets io.modelcontextprotocol/logLevel.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_logging_tool",
		Description: "Logs three info messages; 2026-07-28 clients get them only when they set a log level.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Info("Logging tool started")
		ctx.Info("Logging tool working")
		ctx.Info("Logging tool done")
		return "Logging evaluated", nil
	})

	// Tell every client the lists changed, without changing them: list
	// changes reach 2026-07-28 clients on their subscriptions/listen
	// streams, handshake-era sessions as before.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_trigger_tool_change",
		Description: "Notifies clients that the tool list changed.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Server().ToolsListChanged()
		return "Tool list change notified", nil
	})
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_trigger_prompt_change",
		Description: "Notifies clients that the prompt list changed.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		ctx.Server().PromptsListChanged()
		return "Prompt list change notified", nil
	})

	// A named input request: the client answers inputResponses.user_name.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_elicitation",
		Description: "Asks the user's name (elicitation, as user_name) and greets them.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Ask(fastmcp.ElicitationRequest(&fastmcp.ElicitParams{
			Message:         "What is your name?",
			RequestedSchema: nameSchema,
		}).WithKey("user_name"))
		if err != nil {
			return "", err
		}
		answer, err := res[0].Elicitation()
		if err != nil {
			return "", err
		}
		if answer.Action != fastmcp.ElicitAccept {
			return "No name given (" + answer.Action + ")", nil
		}
		return fmt.Sprintf("Hello, %v!", answer.Content["name"]), nil
	})

	// An elicitation in URL mode: the client needs the elicitation.url
	// capability. The elicitationId is for handshake-era clients (2025-11-25
	// requires one); the 2026-07-28 input request carries none.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_url_elicitation",
		Description: "Asks the user to visit a URL (elicitation in URL mode) and reports the action.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Elicit(&fastmcp.ElicitParams{
			Mode:          "url",
			URL:           "https://example.com/verify",
			Message:       "Please verify your account at the URL.",
			ElicitationID: rand.Text(),
		})
		if err != nil {
			return "", err
		}
		return "URL elicitation: " + res.Action, nil
	})

	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_sampling",
		Description: "Asks the client's LLM a question (sampling).",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Sample(&fastmcp.CreateMessageParams{
			Messages:  []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("What is the capital of France?")}},
			MaxTokens: 100,
		})
		if err != nil {
			return "", err
		}
		return "The model said: " + textOf(res.Content), nil
	})

	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_list_roots",
		Description: "Asks the client for its roots.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		roots, err := ctx.Roots()
		if err != nil {
			return "", err
		}
		uris := make([]string, len(roots))
		for i, r := range roots {
			uris[i] = r.URI
		}
		return "Roots: " + strings.Join(uris, ", "), nil
	})

	// The handler's own state travels in requestState between rounds.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_request_state",
		Description: "Asks for a confirmation and carries its own state across the round trip.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		state := ctx.RequestState()
		if state == nil {
			ctx.SetRequestState([]byte("state-ok"))
		}
		res, err := fastmcp.ElicitForm[confirmForm](ctx, "Please confirm")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Confirmed ok=%t with %s", res.Content.OK, state), nil
	})

	// Three inputs in one round: Ask sends them together.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_multiple_inputs",
		Description: "Asks for a name, an LLM greeting and the client's roots at once.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := ctx.Ask(
			fastmcp.ElicitationRequest(&fastmcp.ElicitParams{Message: "What is your name?", RequestedSchema: nameSchema}).WithKey("user_name"),
			fastmcp.SamplingRequest(&fastmcp.CreateMessageParams{
				Messages:  []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("Write a short greeting")}},
				MaxTokens: 50,
			}).WithKey("greeting"),
			fastmcp.RootsRequest().WithKey("roots"),
		)
		if err != nil {
			return "", err
		}
		name, err := res[0].Elicitation()
		if err != nil {
			return "", err
		}
		greeting, err := res[1].Sampling()
		if err != nil {
			return "", err
		}
		roots, err := res[2].Roots()
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s, %v (%d roots)", textOf(greeting.Content), name.Content["name"], len(roots)), nil
	})

	// Two rounds: the second question is asked once the first is answered.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_multi_round",
		Description: "Asks for a name, then for a favourite colour.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		name, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "What is your name?", RequestedSchema: nameSchema})
		if err != nil {
			return "", err
		}
		color, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "What is your favourite colour?", RequestedSchema: map[string]any{
			"type":       "object",
			"properties": map[string]any{"color": map[string]any{"type": "string"}},
			"required":   []string{"color"},
		}})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%v likes %v", name.Content["name"], color.Content["color"]), nil
	})

	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_tampered_state",
		Description: "Asks for a confirmation; a tampered requestState is refused.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		res, err := fastmcp.ElicitForm[confirmForm](ctx, "Please confirm")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("Confirmed ok=%t", res.Content.OK), nil
	})

	// Asks only for what the client can answer.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_input_required_result_capabilities",
		Description: "Asks for input the client declared it can give: elicitation, else sampling, else roots.",
	}, func(ctx *fastmcp.Context, _ fastmcp.NoArgs) (string, error) {
		caps := ctx.ClientCapabilities()
		switch {
		case caps.Elicitation != nil:
			res, err := ctx.Elicit(&fastmcp.ElicitParams{Message: "What is your name?", RequestedSchema: nameSchema})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Elicited: %v", res.Content["name"]), nil
		case caps.Sampling != nil:
			res, err := ctx.Sample(&fastmcp.CreateMessageParams{
				Messages:  []*fastmcp.SamplingMessage{{Role: fastmcp.RoleUser, Content: fastmcp.Text("Say hello")}},
				MaxTokens: 20,
			})
			if err != nil {
				return "", err
			}
			return "Sampled: " + textOf(res.Content), nil
		default:
			roots, err := ctx.Roots()
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%d roots", len(roots)), nil
		}
	})

	// A parameter mirrored in the Mcp-Param-Region header (x-mcp-header):
	// over HTTP the server checks that the header matches the argument.
	fastmcp.AddTool(server, fastmcp.Tool{
		Name:        "test_header_params",
		Description: "Echoes a region sent both as an argument and as the Mcp-Param-Region header.",
	}, func(ctx *fastmcp.Context, args headerArgs) (string, error) {
		return fmt.Sprintf("region=%s query=%s", args.Region, args.Query), nil
	})

	// A prompt can ask for input too.
	fastmcp.AddPrompt(server, fastmcp.Prompt{
		Name:        "test_input_required_result_prompt",
		Description: "Asks the user for context (elicitation) and builds a prompt with it.",
	}, func(ctx *fastmcp.Context, _ map[string]string) (*fastmcp.GetPromptResult, error) {
		res, err := ctx.Ask(fastmcp.ElicitationRequest(&fastmcp.ElicitParams{
			Message: "What context should the prompt use?",
			RequestedSchema: map[string]any{
				"type":       "object",
				"properties": map[string]any{"context": map[string]any{"type": "string"}},
				"required":   []string{"context"},
			},
		}).WithKey("user_context"))
		if err != nil {
			return nil, err
		}
		answer, err := res[0].Elicitation()
		if err != nil {
			return nil, err
		}
		return &fastmcp.GetPromptResult{Messages: []*fastmcp.PromptMessage{{
			Role:    fastmcp.RoleUser,
			Content: fastmcp.Text(fmt.Sprintf("Answer with this context in mind: %v", answer.Content["context"])),
		}}}, nil
	})
}

// nameSchema is a form asking for a name.
var nameSchema = map[string]any{
	"type":       "object",
	"properties": map[string]any{"name": map[string]any{"type": "string"}},
	"required":   []string{"name"},
}

// confirmForm is a one-checkbox form.
type confirmForm struct {
	OK bool `json:"ok" description:"Confirm"`
}

// headerArgs are the arguments of test_header_params.
type headerArgs struct {
	Region string `json:"region" description:"The region, mirrored in Mcp-Param-Region" mcpheader:"Region"`
	Query  string `json:"query,omitempty" description:"Anything"`
}

// textOf returns the text of a text content block, or "".
func textOf(c fastmcp.Content) string {
	if t, ok := c.(*fastmcp.TextContent); ok {
		return t.Text
	}
	return ""
}
