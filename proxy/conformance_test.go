package proxy_test

// The official MCP conformance suite against a proxy of examples/everything,
// as if the proxy were the server itself: the 0.1.16 suite (the handshake
// era, 32 scenarios) and the 2026-07-28 requirement set of 0.2.0-alpha.12,
// with the upstream over stdio and over Streamable HTTP, speaking either era.
// They need the suites and the Node 22 they run on:
//
//	npm ci --prefix interop/conformance
//	npm ci --prefix interop/conformance-2026
//
// Without them the tests are skipped, unless FASTMCP_CONFORMANCE=1 (as in
// CI), when they fail.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/proxy"
)

const (
	conformanceVersion     = "0.1.16"
	conformance2026Version = "0.2.0-alpha.12"
)

// allScenarios are the server scenarios of the 0.1.16 suite's "all"
// selection: every one must pass through the proxy.
var allScenarios = []string{
	"server-initialize", "logging-set-level", "ping", "completion-complete",
	"tools-list", "tools-call-simple-text", "tools-call-image", "tools-call-audio",
	"tools-call-embedded-resource", "tools-call-mixed-content", "tools-call-with-logging",
	"tools-call-error", "tools-call-with-progress", "tools-call-sampling",
	"tools-call-elicitation", "json-schema-2020-12", "elicitation-sep1034-defaults",
	"server-sse-polling", "server-sse-multiple-streams", "elicitation-sep1330-enums",
	"resources-list", "resources-read-text", "resources-read-binary",
	"resources-templates-read", "resources-subscribe", "resources-unsubscribe",
	"prompts-list", "prompts-get-simple", "prompts-get-with-args",
	"prompts-get-embedded-resource", "prompts-get-with-image", "dns-rebinding-protection",
}

// required2026 are the scenarios the 2026-07-28 requirement set scores, and
// pending2026 those it runs without scoring that the everything server
// passes: all must pass through the proxy.
var required2026 = []string{
	"server-stateless", "completion-complete", "tools-list", "tools-call-simple-text",
	"tools-call-image", "tools-call-audio", "tools-call-embedded-resource", "tools-call-mixed-content",
	"tools-call-error", "tools-call-with-progress", "server-sse-multiple-streams", "resources-list",
	"resources-read-text", "resources-read-binary", "resources-templates-read", "sep-2164-resource-not-found",
	"prompts-list", "prompts-get-simple", "prompts-get-with-args", "prompts-get-embedded-resource",
	"prompts-get-with-image", "dns-rebinding-protection", "caching",
	"input-required-result-basic-elicitation", "input-required-result-basic-sampling",
	"input-required-result-basic-list-roots", "input-required-result-request-state",
	"input-required-result-multiple-input-requests", "input-required-result-multi-round",
	"input-required-result-missing-input-response", "input-required-result-non-tool-request",
	"input-required-result-result-type", "input-required-result-unsupported-methods",
	"input-required-result-tampered-state", "input-required-result-capability-check",
	"input-required-result-ignore-extra-params", "input-required-result-validate-input",
}

var pending2026 = []string{"json-schema-2020-12", "http-header-validation", "http-custom-header-server-validation"}

// tasks2026 are the scenarios of the tasks extension, which FastMCP does not
// implement: they may fail, as they do against the everything server.
var tasks2026 = []string{
	"tasks-lifecycle", "tasks-capability-negotiation", "tasks-wire-fields", "tasks-request-state-removal",
	"tasks-mrtr-input", "tasks-request-headers", "tasks-dispatch-and-envelope", "tasks-status-notifications",
	"tasks-required-task-error", "tasks-mrtr-composition",
}

// upstreamCase is an upstream the proxy fronts in the suites.
type upstreamCase struct {
	name    string
	version string // the revision the proxy asks the upstream for
	stdio   bool
}

var conformanceUpstreams = []upstreamCase{
	{"stdio upstream, default era", "", true},
	{"HTTP upstream, default era", "", false},
	{"stdio upstream, handshake era", "2025-11-25", true},
	{"HTTP upstream, handshake era", "2025-11-25", false},
}

// everythingUpstream returns the Upstream of examples/everything for uc.
func everythingUpstream(t *testing.T, uc upstreamCase) proxy.Upstream {
	t.Helper()
	up := proxy.Upstream{ProtocolVersion: uc.version}
	if uc.stdio {
		up.Command = []string{everythingBinary(t)}
		up.Env = []string{"FASTMCP_TRANSPORT=stdio"}
		up.Stderr = io.Discard
	} else {
		up.URL = startEverythingHTTP(t)
	}
	return up
}

// proxyEverything starts a proxy of examples/everything and serves it over
// HTTP; it returns the proxy's URL.
func proxyEverything(t *testing.T, uc upstreamCase) (*proxy.Proxy, string) {
	t.Helper()
	p := newProxy(t, proxy.Options{Upstream: everythingUpstream(t, uc)})
	want := uc.version
	if want == "" {
		want = "2026-07-28" // the everything server serves it
	}
	if got := p.UpstreamProtocolVersion(); got != want {
		t.Fatalf("the upstream negotiated %s, want %s", got, want)
	}
	return p, serveProxy(t, p.Server(), fastmcp.HTTP{})
}

func TestConformanceHandshakeEraThroughProxy(t *testing.T) {
	suite := needSuite(t, "conformance", conformanceVersion)
	for _, uc := range conformanceUpstreams {
		t.Run(uc.name, func(t *testing.T) {
			t.Parallel()
			p, url := proxyEverything(t, uc)
			ctx := testContext(t, 4*time.Minute)
			out := t.TempDir()
			output, err := suite.run(ctx, url, out, "--suite", "all")
			if err != nil {
				t.Fatalf("conformance suite: %v\n%s", err, output)
			}
			results, err := readResults(out)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, results, allScenarios, nil)
			if t.Failed() {
				t.Logf("suite output:\n%s", output)
			}
			t.Logf("proxy stats: %+v", p.Stats())
		})
	}
}

// handshakeUpstreamLimits are the checks of the 2026-07-28 set a proxy
// cannot pass when its upstream speaks the handshake era, by scenario:
//
//   - the suite expects the upstream's own name for an input request
//     (everything names one "user_name"); a handshake-era upstream asks with
//     plain requests, which have no names, so the proxy names them;
//   - the suite expects the three requests of one question in one round; a
//     handshake-era upstream sends them one by one, and the proxy gathers
//     those arriving within a few milliseconds of each other, which a busy
//     machine may exceed;
//   - the suite expects -32021 (MissingRequiredClientCapability) from a tool
//     that needs a capability the client lacks; the proxy's upstream session
//     declares the client's capabilities, so the upstream sees the missing
//     capability itself and, in its era, answers with a tool error.
var handshakeUpstreamLimits = map[string][]string{
	"input-required-result-basic-elicitation":       {"sep-2322-elicitation-incomplete"},
	"input-required-result-multiple-input-requests": {"sep-2322-multiple-inputs-incomplete"},
	"server-stateless":                              {"sep-2575-server-rejects-undeclared-capability", "sep-2575-missing-capability-http-400"},
}

func TestConformance20260728ThroughProxy(t *testing.T) {
	suite := needSuite(t, "conformance-2026", conformance2026Version)
	// A stdio upstream in the handshake era is left out: its requests for
	// input carry nothing tying them to a call, so the proxy attributes one
	// to the only call on its session, and the suite's clients leave calls
	// waiting for answers they never send (by design: they test how the
	// server handles that), until every session holds one and requests
	// become ambiguous. TestSharedStdioSessionRefusesAmbiguousInput covers
	// that limit.
	for _, uc := range conformanceUpstreams {
		if uc.stdio && uc.version != "" {
			continue
		}
		t.Run(uc.name, func(t *testing.T) {
			t.Parallel()
			p, url := proxyEverything(t, uc)
			ctx := testContext(t, 4*time.Minute)
			out := t.TempDir()
			output, err := suite.run(ctx, url, out, "--requirements", "2026-07-28")
			if err != nil {
				t.Fatalf("conformance suite: %v\n%s", err, output)
			}
			results, err := readResults(out)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Concat(required2026, pending2026, tasks2026)
			verify(t, results, want, func(name, check string) bool {
				if slices.Contains(tasks2026, name) {
					return true
				}
				if uc.version != "" && slices.Contains(handshakeUpstreamLimits[name], check) {
					t.Logf("scenario %s, check %s fails as expected with a handshake-era upstream", name, check)
					return true
				}
				return false
			})
			if t.Failed() {
				t.Logf("suite output:\n%s", output)
			}
			t.Logf("proxy stats: %+v", p.Stats())
		})
	}
}

// conformanceSuite is an installed conformance suite and its Node.
type conformanceSuite struct{ node, cli string }

var nodeVersion struct {
	once  sync.Once
	major int
	raw   string
	err   error
}

// needSuite returns the suite of version installed in interop/<dir>, or
// skips the test (fails it when FASTMCP_CONFORMANCE=1).
func needSuite(t *testing.T, dir, version string) conformanceSuite {
	t.Helper()
	required := os.Getenv("FASTMCP_CONFORMANCE") == "1"
	unavailable := func(why string) {
		t.Helper()
		if required {
			t.Fatalf("%s, and FASTMCP_CONFORMANCE=1 requires this test to run; install with: npm ci --prefix interop/%s", why, dir)
		}
		t.Skipf("%s; to run this test: npm ci --prefix interop/%s (set FASTMCP_CONFORMANCE=1 to make a missing setup fail)", why, dir)
	}
	if testing.Short() && !required {
		t.Skip("the conformance suite takes a while; skipped in -short mode")
	}
	root, err := filepath.Abs(filepath.Join("..", "interop", dir))
	if err != nil {
		t.Fatal(err)
	}
	s := conformanceSuite{
		node: filepath.Join(root, "node_modules", ".bin", "node"),
		cli:  filepath.Join(root, "node_modules", ".bin", "conformance"),
	}
	for _, p := range []string{s.node, s.cli} {
		if _, err := os.Stat(p); err != nil {
			unavailable(fmt.Sprintf("%s is missing", p))
		}
	}
	manifest := filepath.Join(root, "node_modules", "@modelcontextprotocol", "conformance", "package.json")
	raw, err := os.ReadFile(manifest)
	if err != nil {
		unavailable(fmt.Sprintf("%s is missing", manifest))
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil || pkg.Version != version {
		t.Fatalf("%s: version %q (%v), want %s: run npm ci --prefix interop/%s", manifest, pkg.Version, err, version, dir)
	}
	nodeVersion.once.Do(func() {
		out, err := exec.Command(s.node, "--version").Output()
		if err != nil {
			nodeVersion.err = err
			return
		}
		nodeVersion.raw = strings.TrimSpace(string(out))
		major, _, _ := strings.Cut(strings.TrimPrefix(nodeVersion.raw, "v"), ".")
		nodeVersion.major, nodeVersion.err = strconv.Atoi(major)
	})
	if nodeVersion.err != nil {
		unavailable(fmt.Sprintf("%s --version: %v", s.node, nodeVersion.err))
	}
	if nodeVersion.major < 22 {
		unavailable(fmt.Sprintf("%s is Node %s; the suite needs Node 22 or later", s.node, nodeVersion.raw))
	}
	return s
}

// testContext returns a context that ends after d, or a little before the go
// test deadline.
func testContext(t *testing.T, d time.Duration) context.Context {
	deadline := time.Now().Add(d)
	if td, ok := t.Deadline(); ok && td.Add(-10*time.Second).Before(deadline) {
		deadline = td.Add(-10 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

// run runs the suite's server command against url, writing results under
// outDir. A failed check is not an error here: the checks are read from
// outDir.
func (s conformanceSuite) run(ctx context.Context, url, outDir string, args ...string) ([]byte, error) {
	argv := append([]string{s.cli, "server", "--url", url, "-o", outDir}, args...)
	cmd := exec.CommandContext(ctx, s.node, argv...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "FORCE_COLOR=0")
	cmd.WaitDelay = 5 * time.Second
	output, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		const mark = "=== Running scenario: "
		if i := bytes.LastIndex(output, []byte(mark)); i >= 0 {
			current, _, _ := strings.Cut(string(output[i+len(mark):]), " ===")
			return output, fmt.Errorf("killed while running scenario %s: %w", current, ctx.Err())
		}
		return output, fmt.Errorf("killed: %w", ctx.Err())
	}
	if exit, ok := err.(*exec.ExitError); ok && exit.ExitCode() == 1 {
		err = nil
	}
	return output, err
}

type check struct {
	ID           string          `json:"id"`
	Status       string          `json:"status"`
	ErrorMessage string          `json:"errorMessage"`
	Details      json.RawMessage `json:"details"`
}

type scenarioResult struct {
	name   string
	checks []check
}

func (r *scenarioResult) failures() []check {
	var out []check
	for _, c := range r.checks {
		if c.Status == "FAILURE" {
			out = append(out, c)
		}
	}
	return out
}

// readResults reads every server-<scenario>-<timestamp>/checks.json in dir.
func readResults(dir string) (map[string]*scenarioResult, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	const stamp = len("2006-01-02T15-04-05-000Z")
	results := map[string]*scenarioResult{}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, "server-") || len(name) < len("server-")+stamp+2 {
			continue
		}
		scenario := name[len("server-") : len(name)-stamp-1]
		raw, err := os.ReadFile(filepath.Join(dir, name, "checks.json"))
		if err != nil {
			return nil, err
		}
		r := &scenarioResult{name: scenario}
		if err := json.Unmarshal(raw, &r.checks); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if _, dup := results[scenario]; dup {
			return nil, fmt.Errorf("%s: two results for scenario %s", dir, scenario)
		}
		results[scenario] = r
	}
	return results, nil
}

// verify fails t for every scenario of want without a result, every result
// outside want, and every failed check of a scenario mayFail does not excuse.
func verify(t *testing.T, results map[string]*scenarioResult, want []string, mayFail func(scenario, check string) bool) {
	t.Helper()
	passed, checksOK, checksFailed := 0, 0, 0
	for _, name := range want {
		r := results[name]
		if r == nil {
			t.Errorf("scenario %s: no results", name)
			continue
		}
		if len(r.failures()) == 0 {
			passed++
		}
		for _, c := range r.checks {
			switch c.Status {
			case "SUCCESS":
				checksOK++
			case "FAILURE":
				checksFailed++
				if mayFail == nil || !mayFail(name, c.ID) {
					t.Errorf("scenario %s: check %s failed: %s", name, c.ID, describe(c))
				}
			}
		}
	}
	for name := range results {
		if !slices.Contains(want, name) {
			t.Errorf("scenario %s: results for a scenario this test did not expect", name)
		}
	}
	t.Logf("%d/%d scenarios passed; checks: %d ok, %d failed", passed, len(want), checksOK, checksFailed)
}

func describe(c check) string {
	msg := c.ErrorMessage
	if msg == "" {
		msg = "(no error message)"
	}
	if len(c.Details) > 0 && string(c.Details) != "null" {
		var b bytes.Buffer
		if json.Compact(&b, c.Details) == nil {
			d := b.String()
			if len(d) > 800 {
				d = d[:800] + "…"
			}
			msg += "; details: " + d
		}
	}
	return msg
}
