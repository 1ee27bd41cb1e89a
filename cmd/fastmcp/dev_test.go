package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDevTerminal drives dev through a pseudo-terminal against the fixture
// server: list tools, call one with every kind of argument asked field by
// field (wrong answers asked again, Tab completing a choice), watch streamed
// output, logs and the progress bar, cancel a call with Ctrl-C, and quit.
func TestDevTerminal(t *testing.T) {
	t.Parallel()
	tm := startTerm(t, nil, "dev", "./cmd/fastmcp/internal/fixture")
	tm.expect("Connected to fixture 0.0.1 over stdio")
	tm.expect("3 tools, ")

	tm.line("mcp> ", "tools")
	tm.expect("Tools (3)")
	tm.expect("echo(text: string, address?: object, count?: integer, loud?: boolean, mode?: enum, ratio?: number, tags?: array)")

	tm.line("mcp> ", "call echo")
	tm.expect("text (string, required) What to echo")
	tm.line("text: ", "")
	tm.expect("a value is required")
	tm.line("text: ", "hi")
	tm.expect("address (object or null) Where")
	tm.line("address — fill in? (y/N, or a JSON object): ", "y")
	tm.expect("address.city (string, required) The city")
	tm.line("address.city: ", "Paris")
	tm.line("address.zip: ", "")
	tm.expect("count (integer) How many times")
	tm.line("count [1]: ", "9")
	tm.expect("9 is above the maximum 5")
	tm.line("count [1]: ", "three")
	tm.expect(`"three" is not an integer`)
	tm.line("count [1]: ", "3")
	tm.line("loud: ", "maybe")
	tm.expect(`"maybe" is not yes or no`)
	tm.line("loud: ", "y")
	tm.expect("mode (one of plain, upper) How to write it")
	tm.expect("mode [plain]: ")
	tm.send("u\t\r") // Tab completes the choice
	tm.line("ratio: ", "0.5")
	tm.expect("tags (list of string or null) Labels")
	tm.line("tags: ", "a, b")
	tm.expect(`HIHIHI! {"text":"hi","count":3,"mode":"upper","loud":true,"tags":["a","b"],"ratio":0.5,"address":{"city":"Paris"}}`)

	// Arguments on the line.
	tm.line("mcp> ", `echo text=yo "tags=[\"x\"]"`)
	tm.expect(`yo {"text":"yo","count":1,"mode":"plain","tags":["x"]}`)

	// Streamed output, logs and progress, in order, before the result.
	tm.line("mcp> ", "stream")
	tm.expect("[info] writing first part")
	tm.expect("│ first part")
	tm.expect("33% first part")
	tm.expect("│ third part")
	tm.expect("all parts written")
	// Output printed while the bar is shown goes above it, and the bar is
	// drawn again below.
	if s := tm.screen(); !strings.Contains(between(s, "writing second part", "67% second part"), "33% first part") ||
		!strings.Contains(between(s, "│ second part", "67% second part"), "33% first part") {
		t.Errorf("the progress bar was not redrawn after a log line:\n%q", between(tm.raw(), "writing second part", "67% second part"))
	}

	// Ctrl-C cancels the running call, not dev.
	tm.line("mcp> ", "wait")
	tm.expect("[info] waiting to be cancelled")
	tm.send("\x03")
	tm.expect("cancelling the request")
	tm.expect("error: cancelled")
	tm.line("mcp> ", "echo text=still-here")
	tm.expect("still-here {")

	tm.line("mcp> ", "quit")
	if code := tm.exit(); code != 0 {
		t.Errorf("dev exited with %d", code)
	}
	if !strings.Contains(tm.raw(), "\x1b[1mmcp\x1b[0m> ") {
		t.Error("no colour on a terminal")
	}
}

// TestCallTerminal checks call's progress bar, drawn on stderr when it is
// a terminal.
func TestCallTerminal(t *testing.T) {
	t.Parallel()
	tm := startTerm(t, []string{"NO_COLOR=1"}, "call", "./cmd/fastmcp/internal/fixture", "stream")
	tm.expect("[info] writing first part")
	tm.expect("first part")
	tm.expect("33% first part")
	tm.expect("all parts written")
	if code := tm.exit(); code != 0 {
		t.Errorf("call exited with %d", code)
	}
	if !strings.Contains(between(tm.screen(), "writing second part", "67% second part"), "33% first part") {
		t.Errorf("the progress bar was not redrawn after a log line:\n%q", between(tm.raw(), "writing second part", "67% second part"))
	}
	if strings.Contains(tm.raw(), "\x1b[1m") || strings.Contains(tm.raw(), "\x1b[3") {
		t.Error("colour despite NO_COLOR")
	}
}

// TestDevEverything drives dev against examples/everything: a templated
// resource, a prompt whose argument the server completes on Tab, the
// complete command, Ctrl-C at the prompt and a mistyped command.
func TestDevEverything(t *testing.T) {
	t.Parallel()
	tm := startTerm(t, nil, "dev", "./examples/everything")
	tm.expect("Connected to fastmcp-everything 1.0.0 over stdio")
	tm.expect("Type help for commands")

	tm.line("mcp> ", "test_tool_with_progress")
	tm.expect("50% step 2 of 3")
	tm.expect("Progress test completed")

	tm.line("mcp> ", "read test://template/{id}/data")
	tm.line("id: ", "42")
	tm.expect(`"data":"Data for ID: 42"`)

	tm.line("mcp> ", "prompt test_prompt_with_arguments")
	tm.expect("arg1 (string, required) First test argument")
	tm.expect("arg1: ")
	tm.send("test\t")
	tm.expect("testValue1  testValue2  testing")
	tm.send("Value2\r")
	tm.line("arg2: ", "two")
	tm.expect("Prompt with arguments: arg1='testValue2', arg2='two'")

	tm.line("mcp> ", "complete test_prompt_with_arguments arg1 ex")
	tm.expect("example")

	tm.expect("mcp> ")
	tm.send("\x03")
	tm.expect("type quit or press Ctrl-D to leave")
	tm.line("mcp> ", "tols")
	tm.expect(`did you mean "tools"?`)
	tm.line("mcp> ", "exit")
	if code := tm.exit(); code != 0 {
		t.Errorf("dev exited with %d", code)
	}
}

// TestDevSampling answers examples/sessions' sampling request and
// elicitation form by typing, over a pseudo-terminal.
func TestDevSampling(t *testing.T) {
	t.Parallel()
	tm := startTerm(t, []string{"FASTMCP_DEMO_USER=dana-dev"}, "dev", "./examples/sessions")
	tm.expect("Connected to fastmcp-sessions 1.0.0")
	tm.line("mcp> ", "whoami")
	tm.expect(`"userId":"dana"`)

	tm.line("mcp> ", "ask_llm")
	tm.expect("prompt (string, required) What to ask")
	tm.line("prompt: ", "What is 2+2?")
	tm.expect("The server asks for an LLM completion (sampling), at most 500 tokens:")
	tm.expect("[user] What is 2+2?")
	tm.line("reply> ", "Four, of course.")
	tm.expect("Four, of course.") // the typed reply
	tm.expect("Four, of course.") // the tool's result

	tm.line("mcp> ", "confirm")
	tm.line("question: ", "Deploy now?")
	tm.expect("The server asks: Deploy now?")
	tm.line("Answer? (y)es, (n)o to decline, (c)ancel [y]: ", "y")
	tm.line("confirmed: ", "sure")
	tm.expect(`"sure" is not yes or no`)
	tm.line("confirmed: ", "yes")
	tm.line("comment: ", "")
	tm.expect(`{"action":"accept","content":{"confirmed":true}}`)

	tm.line("mcp> ", "list_roots")
	tm.expect(fileURI(repoRoot))
	tm.expect("mcp> ")
	tm.send("\x04") // Ctrl-D
	if code := tm.exit(); code != 0 {
		t.Errorf("dev exited with %d", code)
	}
}

// TestDevPipe runs dev without a terminal, as in CI: commands come from
// stdin, one per line, and nothing is redrawn.
func TestDevPipe(t *testing.T) {
	t.Parallel()
	input := strings.Join([]string{
		"tools",
		"test_simple_text",
		"test_tool_with_progress",
		"call test_sampling prompt=hello",
		"describe json_schema_2020_12_tool",
		"resources",
		"read test://static-text",
		"prompts",
		"prompt test_simple_prompt",
		"info",
		"ping",
		"bogus",
	}, "\n") + "\n"
	res := run(t, cliOpts{stdin: input}, "dev", "./examples/everything", "--sampling-reply", "canned reply", "--quiet")
	res.want(t, exitOK,
		"mcp> tools\nTools (",
		"This is a simple text response for testing.",
		"[==============================] 100% step 3 of 3\nProgress test completed",
		"(sampling request answered with --sampling-reply)\nLLM response: canned reply",
		"    name string",
		"Resources (",
		"This is the content of the static text resource.",
		"Prompts (",
		"This is a simple prompt for testing.",
		"protocol: 20",
		"pong",
		`unknown command "bogus"`,
	)
	if strings.Contains(res.stdout, "\x1b[") {
		t.Errorf("dev wrote escape sequences without a terminal:\n%q", res.stdout)
	}
}

// TestNewAndWatch scaffolds a module with new, checks that its test passes,
// then runs dev --watch on it and changes its code: dev rebuilds and
// reconnects, and a change that does not compile leaves the server running.
func TestNewAndWatch(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "hello")
	// The scaffold builds against this checkout, offline.
	env := []string{"GOFLAGS=-mod=mod", "GOPROXY=off", "GOSUMDB=off"}
	res := run(t, cliOpts{env: env}, "new", dir, "--module", "example.com/hello", "--replace", repoRoot)
	res.want(t, exitOK, "created "+filepath.Join(dir, "main_test.go"), "fastmcp dev .")
	for _, f := range []string{"go.mod", "go.sum", "main.go", "main_test.go", "README.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("new did not create %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "Makefile")); err == nil {
		t.Error("new created a Makefile")
	}
	goTest := goCmd(t, dir, env, "test", "./...")
	if out, err := goTest.CombinedOutput(); err != nil {
		t.Fatalf("go test in the scaffold: %v\n%s", err, out)
	}
	if out, err := goCmd(t, dir, env, "vet", "./...").CombinedOutput(); err != nil {
		t.Fatalf("go vet in the scaffold: %v\n%s", err, out)
	}
	run(t, cliOpts{env: env}, "call", dir, "greet", "name=Ada").want(t, exitOK, "Hello, Ada.\n")
	run(t, cliOpts{env: env}, "new", dir).want(t, exitFailure)

	tm := startTerm(t, append(env, "NO_COLOR=1"), "dev", dir, "--watch", "--poll", "50ms")
	tm.expect("Watching " + dir + " for changes.")
	tm.expect("Connected to hello 0.1.0")
	tm.expect("1 tool,")
	tm.expect("mcp> ")

	main := filepath.Join(dir, "main.go")
	src, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	// A second tool.
	changed := strings.Replace(string(src), "\treturn server\n}", `	fastmcp.AddTool(server, fastmcp.Tool{Name: "shout", Description: "Shout"},
		func(ctx *fastmcp.Context, args GreetArgs) (string, error) { return "HEY " + args.Name, nil })
	return server
}`, 1)
	if err := os.WriteFile(main, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	tm.expect("main.go changed: rebuilding and reconnecting")
	tm.expect("2 tools,")
	tm.line("mcp> ", "shout name=Bo")
	tm.expect("HEY Bo")

	// A change that does not compile: the old server keeps serving.
	if err := os.WriteFile(main, []byte(changed+"\nfunc broken() { nope }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm.expect("undefined: nope")
	tm.expect("The previous server is still running")
	tm.line("mcp> ", "shout name=Cy")
	tm.expect("HEY Cy")
	tm.line("mcp> ", "quit")
	if code := tm.exit(); code != 0 {
		t.Errorf("dev exited with %d", code)
	}
}

// between returns the text of s between the first from and the first to
// after it, or "".
func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	in, _, ok := strings.Cut(rest, to)
	if !ok {
		return ""
	}
	return in
}
