package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

var callCommand = &command{
	name:    "call",
	summary: "call a tool and print its result",
	usage: `fastmcp call [flags] <server> <tool> [key=value ...]
fastmcp call [flags] <tool> [key=value ...] -- <command> [args...]`,
	help: `Call connects to the server, calls one tool and prints its result: text
blocks as they are, other content as a one-line summary. --json prints the
whole result (content, structuredContent, isError) as JSON.

Arguments are key=value pairs, or a JSON object with --args (--args - reads
it from stdin); pairs are applied over --args. A value is parsed as JSON when
it parses (n=3 is a number, ok=true a boolean, tags=["a","b"] a list) and is a
string otherwise; a property the tool's schema types as a string takes the
text as it is (zip=01234 stays "01234"). Dotted keys build nested objects:
address.city=Paris.

Log messages, streamed partial output and (on a terminal) a progress bar go
to stderr; the result goes to stdout. A tool that asks the client's LLM
(sampling) gets --sampling-reply; one that asks the user (elicitation) gets
--elicitation-reply; without them the client does not offer these
capabilities.

Exit status:
  0  the tool succeeded
  1  the tool reported an error (isError: true); its message goes to stderr
  2  bad usage or bad arguments (not JSON, not key=value)
  3  the server could not be built, started or reached, the connection failed,
     or the tool did not answer within --timeout
  4  the server answered with a JSON-RPC error (unknown tool, invalid params)`,
	examples: `fastmcp call ./examples/quickstart add a=1 b=2
fastmcp call ./cmd/server search --args '{"query": "go", "limit": 5}'
echo '{"query": "go"}' | fastmcp call ./cmd/server search --args -
fastmcp call https://example.com/mcp whoami --bearer "$TOKEN" --json
fastmcp call ./examples/sessions ask_llm prompt="2+2?" --sampling-reply 4
fastmcp call add a=1 b=2 -- ./bin/server --config dev.yaml`,
	setup: func(a *app, f *flagSet) func(context.Context, []string, []string) int {
		var cf connFlags
		var jsonArgs, samplingReply, elicitReply string
		logLevel := "info"
		var asJSON, quiet bool
		f.String(&jsonArgs, "args", "a", "JSON", "the arguments as a JSON object (- reads stdin)")
		f.Bool(&asJSON, "json", "", "print the whole result as JSON")
		f.Bool(&quiet, "quiet", "q", "do not show log messages, progress or streamed output")
		f.String(&logLevel, "log-level", "", "LEVEL", "show the server's log messages from LEVEL up (default info):\ndebug, info, notice, warning, error, critical, alert, emergency")
		f.Duration(&cf.timeout, "timeout", "DURATION", "give up on the call after this long (default: no limit)")
		f.String(&samplingReply, "sampling-reply", "", "TEXT", "answer the server's sampling requests with TEXT")
		f.String(&elicitReply, "elicitation-reply", "", "JSON|decline|cancel", "answer the server's elicitation requests:\naccept with the JSON object, or decline or cancel")
		cf.register(f)
		return func(ctx context.Context, args, server []string) int {
			// With "--", the server follows it and the positionals are the
			// tool and its arguments; otherwise the server comes first.
			var t *target
			var rest []string
			var err error
			switch {
			case server != nil:
				t, err = resolveTarget(server)
				rest = args
			case len(args) > 0:
				var words []string
				if words, err = splitServer(args[0], nil); err == nil {
					t, err = resolveTarget(words)
				}
				rest = args[1:]
			default:
				err = usagef("no server given: fastmcp call <server> <tool> [key=value ...]")
			}
			if err != nil {
				return a.fail("call", err)
			}
			if len(rest) == 0 {
				return a.fail("call", usagef("no tool given: fastmcp call <server> <tool> [key=value ...]"))
			}
			tool, pairs := rest[0], rest[1:]
			// Check the arguments' syntax before building anything.
			if _, err := parseArgs(jsonArgs, strings.NewReader("{}"), pairs, nil); err != nil && jsonArgs != "-" {
				return a.fail("call", err)
			}
			var elicit func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error)
			if f.Set("elicitation-reply") {
				action, content, err := parseElicitReply(elicitReply)
				if err != nil {
					return a.fail("call", err)
				}
				elicit = func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
					return &mcp.ElicitResult{Action: action, Content: content}, nil
				}
			}
			pal := a.colorFor(a.stderr)
			bar := &stderrBar{a: a, on: isTerminal(a.stderr) && !quiet, p: pal}
			h := &handlers{elicit: elicit}
			if f.Set("sampling-reply") {
				h.sampling = cannedSampling(samplingReply)
			}
			if !quiet {
				h.log = func(m *mcp.LoggingMessageParams) {
					bar.println(logLine(pal, m))
				}
				h.stream = func(sc *streamContent) {
					if text := rawContentText(sc.Content); text != "" {
						bar.println(text)
					}
				}
			}
			h.progress = bar.update
			sess, code := a.open(ctx, "call", t, &cf, h)
			if sess == nil {
				return code
			}
			defer sess.Close()

			var input schema
			var names []string
			if caps := sess.InitializeResult().Capabilities; caps != nil && caps.Tools != nil {
				tools, err := collect(sess.Tools(ctx, nil))
				if err != nil {
					return a.fail("call", sess.classify("tools/list", err))
				}
				for _, t := range tools {
					names = append(names, t.Name)
					if t.Name == tool {
						input = asSchema(t.InputSchema)
					}
				}
			}
			arguments, err := parseArgs(jsonArgs, a.stdin, pairs, input)
			if err != nil {
				return a.fail("call", err)
			}
			callCtx := ctx
			if cf.timeout > 0 {
				var cancel context.CancelFunc
				callCtx, cancel = context.WithTimeout(ctx, cf.timeout)
				defer cancel()
			}
			params := &mcp.CallToolParams{Name: tool, Arguments: arguments}
			if !quiet {
				if sess.modern() {
					params.Meta = sess.requestMeta(logLevel)
				} else if f.Set("log-level") {
					if err := sess.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: mcp.LoggingLevel(logLevel)}); err != nil {
						return a.fail("call", sess.classify("logging/setLevel", err))
					}
				}
			}
			params.SetProgressToken("fastmcp-call")
			res, err := sess.CallTool(callCtx, params)
			bar.clear()
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
					return a.fail("call", &connectError{msg: fmt.Sprintf("the tool %s did not answer within %v", tool, cf.timeout)})
				}
				err = sess.classify("tools/call", err)
				var pe *protocolError
				if errors.As(err, &pe) && names != nil && !slices.Contains(names, tool) {
					pe.hint = "the server has no tool " + tool + "; its tools: " + strings.Join(names, ", ")
				}
				return a.fail("call", err)
			}
			if asJSON {
				if err := writeJSON(a.stdout, res); err != nil {
					return a.fail("call", err)
				}
			} else if res.IsError {
				msg := strings.TrimSpace(toolText(res))
				if msg == "" {
					msg = "(no message)"
				}
				fmt.Fprintf(a.stderr, "%s the tool %s reported an error: %s\n", pal.red("error:"), tool, msg)
			} else {
				writeResult(a.stdout, a.colorFor(a.stdout), res)
			}
			if res.IsError {
				return exitFailure
			}
			return exitOK
		}
	},
}

// writeResult writes a successful result: its content, or its structured
// content when it has no content.
func writeResult(w interface{ Write([]byte) (int, error) }, p palette, res *mcp.CallToolResult) {
	if len(res.Content) == 0 && res.StructuredContent != nil {
		writeJSON(w, res.StructuredContent)
		return
	}
	writeContent(w, p, res.Content)
}

func logLine(p palette, m *mcp.LoggingMessageParams) string {
	s := "[" + p.level(m.Level) + "]"
	if m.Logger != "" {
		s += " " + p.dim(m.Logger+":")
	}
	return s + " " + logData(m.Data)
}

// cannedSampling answers every sampling request with text.
func cannedSampling(text string) func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	return func(context.Context, *mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
		return &mcp.CreateMessageResult{
			Role:       "assistant",
			Content:    &mcp.TextContent{Text: text},
			Model:      "fastmcp-cli",
			StopReason: "endTurn",
		}, nil
	}
}

// parseElicitReply reads --elicitation-reply.
func parseElicitReply(s string) (action string, content map[string]any, err error) {
	switch strings.TrimSpace(s) {
	case "decline", "cancel":
		return strings.TrimSpace(s), nil, nil
	}
	if err := json.Unmarshal([]byte(s), &content); err != nil {
		return "", nil, usagef(`--elicitation-reply must be a JSON object (accept with that content), "decline" or "cancel"`)
	}
	return "accept", content, nil
}

// stderrBar draws progress on stderr when it is a terminal, and keeps
// other lines written to stderr from mixing with the bar.
type stderrBar struct {
	a     *app
	on    bool
	p     palette
	mu    sync.Mutex
	shown string // the bar on the last line, redrawn below other lines
	last  time.Time
}

func (b *stderrBar) update(m *mcp.ProgressNotificationParams) {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shown = progressBar(b.p, m.Progress, m.Total, m.Message, 30)
	fmt.Fprint(b.a.stderr, "\r\x1b[K"+b.shown)
}

func (b *stderrBar) println(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shown != "" {
		fmt.Fprint(b.a.stderr, "\r\x1b[K"+s+"\n"+b.shown)
		return
	}
	fmt.Fprintln(b.a.stderr, s)
}

func (b *stderrBar) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shown != "" {
		fmt.Fprint(b.a.stderr, "\r\x1b[K")
		b.shown = ""
	}
}
