package interop_test

// The sessions example (examples/sessions) as a real process, driven by the
// official TypeScript SDK client (interop/ts/sessions.mjs) over stdio and
// Streamable HTTP, and by the official Go SDK client over stdio.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp/internal/testkit"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// tsSessionsSDKVersion is the version of @modelcontextprotocol/sdk pinned in
// interop/ts/package.json.
const tsSessionsSDKVersion = "1.32.2"

// sessionsBuild is the examples/sessions binary, built on first use and
// removed when the last test using it ends.
var sessionsBuild struct {
	mu    sync.Mutex
	users int
	dir   string
	path  string
}

func sessionsBinary(t testing.TB) string {
	t.Helper()
	b := &sessionsBuild
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.users == 0 {
		dir, err := os.MkdirTemp("", "fastmcp-sessions-example-")
		if err != nil {
			t.Fatal(err)
		}
		exe := filepath.Join(dir, "sessions")
		if runtime.GOOS == "windows" {
			exe += ".exe"
		}
		if out, err := exec.Command("go", "build", "-o", exe, "github.com/fastmcp-go/fastmcp/examples/sessions").CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			t.Fatalf("go build ./examples/sessions: %v\n%s", err, out)
		}
		b.dir, b.path = dir, exe
	}
	b.users++
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.users--; b.users == 0 {
			os.RemoveAll(b.dir)
			b.dir, b.path = "", ""
		}
	})
	return b.path
}

// tsSessionsAvailable skips (or, with FASTMCP_INTEROP=1, fails) the test when
// Node or the TypeScript SDK is missing, as TestTypeScriptSDKClient does.
func tsSessionsAvailable(t *testing.T) string {
	t.Helper()
	unavailable := func(why string) {
		t.Helper()
		if os.Getenv("FASTMCP_INTEROP") == "1" {
			t.Fatalf("%s, and FASTMCP_INTEROP=1 requires this test to run; install with: npm ci --prefix interop/ts", why)
		}
		t.Skipf("%s; to run this test: npm ci --prefix interop/ts (set FASTMCP_INTEROP=1 to make a missing setup fail)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed")
	}
	raw, err := os.ReadFile(filepath.Join("ts", "node_modules", "@modelcontextprotocol", "sdk", "package.json"))
	if err != nil {
		unavailable("interop/ts/node_modules is missing")
	}
	var manifest struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil || manifest.Version != tsSessionsSDKVersion {
		t.Fatalf("TypeScript SDK version %q (%v), want %s: run npm ci --prefix interop/ts", manifest.Version, err, tsSessionsSDKVersion)
	}
	return node
}

// tsSessionsSummary is the one line sessions.mjs prints.
type tsSessionsSummary struct {
	Suite  string `json:"suite"`
	OK     bool   `json:"ok"`
	Passed int    `json:"passed"`
	Failed int    `json:"failed"`
	Checks []struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"checks"`
}

// runSessionsScript runs sessions.mjs with args and checks its summary.
// Failures of the checks in knownBugs are returned rather than reported.
func runSessionsScript(t *testing.T, node string, knownBugs map[string]bool, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, node, append([]string{filepath.Join("ts", "sessions.mjs")}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var summary tsSessionsSummary
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &summary) != nil {
		t.Fatalf("sessions.mjs %v: %v; stdout is not one line of JSON:\n%s\nstderr:\n%s", args, runErr, stdout.String(), stderr.String())
	}
	var bugs []string
	unexpected := 0
	for _, c := range summary.Checks {
		switch {
		case c.OK:
			t.Logf("ok   %s", c.Name)
		case knownBugs[c.Name]:
			t.Logf("BUG  %s: %s", c.Name, c.Error)
			bugs = append(bugs, c.Name+": "+c.Error)
		default:
			unexpected++
			t.Errorf("FAIL %s: %s", c.Name, c.Error)
		}
	}
	if unexpected > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
	if summary.Passed+summary.Failed != len(summary.Checks) || summary.Passed < 10 {
		t.Errorf("summary: %d passed, %d failed of %d checks (want at least 10 passing)", summary.Passed, summary.Failed, len(summary.Checks))
	}
	if (runErr == nil) != summary.OK {
		t.Errorf("exit status (%v) disagrees with the summary (ok %v)", runErr, summary.OK)
	}
	return bugs
}

func TestTypeScriptSDKSessionsExample(t *testing.T) {
	node := tsSessionsAvailable(t)
	bin := sessionsBinary(t)
	t.Parallel()
	t.Run("stdio", func(t *testing.T) {
		t.Parallel()
		if bugs := runSessionsScript(t, node, nil, "--user", "ts-tester", "stdio", bin); len(bugs) > 0 {
			t.Errorf("unexpected: %v", bugs)
		}
	})
	t.Run("HTTP", func(t *testing.T) {
		t.Parallel()
		url := startExampleHTTP(t, bin)
		// The TypeScript SDK opens its GET stream only after sending
		// notifications/initialized; see TestRootsHTTPInitializedBeforeGETStream.
		runSessionsScript(t, node, nil, "--user", "ts-tester", "http", url, "demo-ts-tester")
	})
}

// The example as a process over stdio with the Go SDK client's
// CommandTransport: the user comes from FASTMCP_DEMO_USER.
func TestGoSDKSessionsExampleProcess(t *testing.T) {
	t.Parallel()
	bin := sessionsBinary(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FASTMCP_DEMO_USER=proc-runner", "FASTMCP_TRANSPORT=")
	client := mcp.NewClient(&mcp.Implementation{Name: "go-sdk-process", Version: "1.8.0"}, &mcp.ClientOptions{
		CreateMessageHandler: smSDKSampler,
	})
	client.AddRoots(&mcp.Root{URI: "file:///proc", Name: "proc"})
	ctx := testkit.Context(t)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"}) // the handshake era
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	var who map[string]any
	json.Unmarshal([]byte(ssSDKCall(t, cs, "whoami", nil, false)), &who)
	if who["userId"] != "proc" || who["role"] != "runner" || who["sessionId"] == "" {
		t.Errorf("whoami: %v", who)
	}
	for k := 1; k <= 2; k++ {
		var got map[string]any
		json.Unmarshal([]byte(ssSDKCall(t, cs, "counter_increment", nil, false)), &got)
		if got["value"] != float64(k) || got["sessionId"] != who["sessionId"] {
			t.Errorf("counter_increment #%d: %v", k, got)
		}
	}
	if got := ssSDKCall(t, cs, "ask_llm", map[string]any{"prompt": "from a process"}, false); got != "sdk: from a process" {
		t.Errorf("ask_llm: %q", got)
	}
	if got := ssSDKCall(t, cs, "list_roots", nil, false); got != `{"roots":[{"name":"proc","uri":"file:///proc"}]}` {
		t.Errorf("list_roots: %s", got)
	}
	// No elicitation handler: a clear tool error.
	if got := ssSDKCall(t, cs, "confirm", map[string]any{"question": "?"}, true); !strings.Contains(got, "elicitation") {
		t.Errorf("confirm without elicitation: %q", got)
	}
}
