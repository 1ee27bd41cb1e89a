package proxy_test

// The official TypeScript SDK clients against proxies of examples/everything,
// as the root module's interop tests run them against the server itself:
//
//   - the v1 SDK client (@modelcontextprotocol/sdk, interop/ts) runs its
//     handshake-era suite, interop/ts/client.mjs, over Streamable HTTP (with
//     interop/ts2/v1http) and over stdio;
//   - the v2 SDK client (@modelcontextprotocol/client, interop/ts2) runs
//     interop/ts2/client2.mjs, pinned to 2026-07-28, over HTTP and stdio.
//
// The upstream is examples/everything over Streamable HTTP or stdio, spoken
// to in the default era (2026-07-28) or the handshake era. They need Node and
// the clients:
//
//	npm ci --prefix interop/ts && npm ci --prefix interop/ts2
//
// Without them the tests are skipped, unless FASTMCP_INTEROP=1 (as in CI).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
)

const (
	tsV1SDKVersion    = "1.32.2"
	tsV2ClientVersion = "2.4.0"
)

// stdioProxyFlag, as the first argument of the test binary, makes it a stdio
// proxy of the upstream given by the next arguments (a URL, or a command),
// for the TypeScript clients, which start their stdio servers with an
// environment of their own choosing.
const stdioProxyFlag = "-fastmcp-proxy-stdio"

// needNode returns a Node of at least minMajor and checks the installed
// client packages, or skips the test (fails it when FASTMCP_INTEROP=1).
func needNode(t *testing.T, minMajor int) string {
	t.Helper()
	const install = "npm ci --prefix interop/ts && npm ci --prefix interop/ts2"
	unavailable := func(why string) {
		t.Helper()
		if os.Getenv("FASTMCP_INTEROP") == "1" {
			t.Fatalf("%s, and FASTMCP_INTEROP=1 requires this test to run; install with: %s", why, install)
		}
		t.Skipf("%s; to run this test: %s (set FASTMCP_INTEROP=1 to make a missing setup fail)", why, install)
	}
	for _, m := range []struct{ dir, pkg, want string }{
		{"ts", "sdk", tsV1SDKVersion},
		{"ts2", "client", tsV2ClientVersion},
	} {
		manifest := filepath.Join("..", "interop", m.dir, "node_modules", "@modelcontextprotocol", m.pkg, "package.json")
		raw, err := os.ReadFile(manifest)
		if err != nil {
			unavailable(fmt.Sprintf("interop/%s/node_modules is missing", m.dir))
		}
		var v struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(raw, &v); err != nil || v.Version != m.want {
			t.Fatalf("%s: version %q (%v), want %s", manifest, v.Version, err, m.want)
		}
	}
	candidates := []string{filepath.Join("..", "interop", "conformance", "node_modules", ".bin", "node")}
	if p, err := exec.LookPath("node"); err == nil {
		candidates = append([]string{p}, candidates...)
	}
	why := "node is not installed"
	for _, p := range candidates {
		out, err := exec.Command(p, "--version").Output()
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(out))
		major, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), ".")
		if n, err := strconv.Atoi(major); err == nil && n >= minMajor {
			abs, err := filepath.Abs(p)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
		why = fmt.Sprintf("%s is Node %s; Node %d or later is needed", p, v, minMajor)
	}
	unavailable(why)
	return ""
}

// nodeRun runs a script under node from the repository root.
func nodeRun(t *testing.T, node string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = ".."
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// checkV1 checks the one line of JSON interop/ts/client.mjs prints.
func checkV1(t *testing.T, stdout, stderr string, runErr error) {
	t.Helper()
	var summary struct {
		OK     bool `json:"ok"`
		Passed int  `json:"passed"`
		Failed int  `json:"failed"`
		Checks []struct {
			Name  string `json:"name"`
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"checks"`
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &summary) != nil {
		t.Fatalf("client.mjs: %v; stdout is not one line of JSON:\n%s\nstderr:\n%s", runErr, stdout, stderr)
	}
	for _, c := range summary.Checks {
		if !c.OK {
			t.Errorf("FAIL %s: %s", c.Name, c.Error)
		}
	}
	if !summary.OK || summary.Failed != 0 || summary.Passed != len(summary.Checks) || summary.Passed < 20 || runErr != nil {
		t.Errorf("summary: ok %v, %d passed, %d failed, exit %v (want at least 20 checks, all passing)\nstderr:\n%s", summary.OK, summary.Passed, summary.Failed, runErr, stderr)
	}
}

// handshakeUpstreamV2 are the checks of client2.mjs a proxy cannot pass when
// its upstream speaks the handshake era, and why: the suite expects the
// everything server's behaviour in 2026-07-28.
var handshakeUpstreamV2 = map[string]string{
	// Plain requests for input have no names; the proxy names them.
	"MRTR elicitation (form)":           "input requests are named by the proxy",
	"MRTR multiple inputs in one round": "input requests are named by the proxy",
	"MRTR prompts/get":                  "input requests are named by the proxy",
	// The tool keeps state across rounds with Context.SetRequestState,
	// which does nothing in the handshake era: it runs once.
	"MRTR handler state across rounds": "the upstream's handler runs once",
	// The upstream sees the missing capability and, in its era, answers
	// with a tool error, not -32021.
	"missing client capability (-32021)": "a tool error, not -32021",
}

// checkV2 checks what interop/ts2/client2.mjs prints: a line per check, then
// a line of JSON. The checks in allowed may fail.
func checkV2(t *testing.T, stdout, stderr string, runErr error, transport string, minChecks int, allowed map[string]string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var summary struct {
		Transport       string `json:"transport"`
		ProtocolVersion string `json:"protocolVersion"`
		OK              bool   `json:"ok"`
		Passed          int    `json:"passed"`
		Failed          int    `json:"failed"`
	}
	if len(lines) < 2 || json.Unmarshal([]byte(lines[len(lines)-1]), &summary) != nil {
		t.Fatalf("client2.mjs: %v; stdout does not end with a JSON summary:\n%s\nstderr:\n%s", runErr, stdout, stderr)
	}
	excused := 0
	for _, line := range lines[:len(lines)-1] {
		if rest, ok := strings.CutPrefix(line, "FAIL "); ok {
			name, _, _ := strings.Cut(rest, ": ")
			if why, ok := allowed[name]; ok {
				excused++
				t.Logf("%s (expected: %s)", line, why)
				continue
			}
			t.Errorf("%s", line)
		}
	}
	if summary.Transport != transport || summary.ProtocolVersion != "2026-07-28" || summary.Failed != excused || summary.Passed+excused < minChecks || (runErr == nil) != (excused == 0) {
		t.Errorf("summary %+v, exit %v: want transport %s, 2026-07-28, at least %d checks, all passing but %d excused\nstderr:\n%s", summary, runErr, transport, minChecks, excused, stderr)
	}
}

// tsUpstreams are the upstreams of the TypeScript interop tests.
var tsUpstreams = []upstreamCase{
	{"HTTP upstream, default era", "", false},
	{"stdio upstream, default era", "", true},
	{"HTTP upstream, handshake era", "2025-11-25", false},
}

func allowedV2(uc upstreamCase) map[string]string {
	if uc.version != "" {
		return handshakeUpstreamV2
	}
	return nil
}

func TestTypeScriptClientsThroughProxy(t *testing.T) {
	node := needNode(t, 20)
	v1http, _ := filepath.Abs(filepath.Join("..", "interop", "ts2", "v1http", "register.mjs"))
	v1, _ := filepath.Abs(filepath.Join("..", "interop", "ts", "client.mjs"))
	v2, _ := filepath.Abs(filepath.Join("..", "interop", "ts2", "client2.mjs"))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, uc := range tsUpstreams {
		t.Run(uc.name, func(t *testing.T) {
			t.Parallel()
			up := everythingUpstream(t, uc)
			// An HTTP proxy of it.
			p := newProxy(t, proxyOptions(up))
			url := serveProxy(t, p.Server(), fastmcp.HTTP{})
			t.Run("v1 client over HTTP", func(t *testing.T) {
				t.Parallel()
				stdout, stderr, err := nodeRun(t, node, "--import", v1http, v1, "--suite", "everything", url)
				checkV1(t, stdout, stderr, err)
			})
			t.Run("v2 client over HTTP", func(t *testing.T) {
				t.Parallel()
				stdout, stderr, err := nodeRun(t, node, v2, "http", url)
				checkV2(t, stdout, stderr, err, "http", 25, allowedV2(uc))
			})
			// A stdio proxy of it, which the clients start.
			spec := []string{self, stdioProxyFlag, uc.version}
			if up.URL != "" {
				spec = append(spec, up.URL)
			} else {
				spec = append(spec, up.Command...)
			}
			t.Run("v1 client over stdio", func(t *testing.T) {
				t.Parallel()
				stdout, stderr, err := nodeRun(t, node, append([]string{v1, "--suite", "everything"}, spec...)...)
				checkV1(t, stdout, stderr, err)
			})
			t.Run("v2 client over stdio", func(t *testing.T) {
				t.Parallel()
				stdout, stderr, err := nodeRun(t, node, append([]string{v2, "stdio"}, spec...)...)
				checkV2(t, stdout, stderr, err, "stdio", 23, allowedV2(uc))
			})
		})
	}
}
