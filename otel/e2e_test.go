package fastmcpotel_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// tsSDK is the TypeScript SDK installed for the repository's interop tests.
var tsSDK = filepath.Join("..", "interop", "ts", "node_modules")

// tsNode returns node and the SDK's node_modules, skipping the test when
// either is missing, or failing it when FASTMCP_INTEROP=1 (as in CI).
func tsNode(t *testing.T) string {
	t.Helper()
	unavailable := func(why string) {
		t.Helper()
		const install = "npm ci --no-audit --no-fund --prefix interop/ts"
		if os.Getenv("FASTMCP_INTEROP") == "1" {
			t.Fatalf("%s, and FASTMCP_INTEROP=1 requires this test to run; install with: %s", why, install)
		}
		t.Skipf("%s; to run this test: %s (FASTMCP_INTEROP=1 makes a missing setup fail)", why, install)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("node is not installed")
	}
	out, err := exec.Command(node, "--version").Output()
	major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
	if n, _ := strconv.Atoi(major); err != nil || n < 18 {
		unavailable("node " + strings.TrimSpace(string(out)) + " is older than 18")
	}
	if _, err := os.Stat(filepath.Join(tsSDK, "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		unavailable("interop/ts/node_modules is missing")
	}
	return node
}

// One trace from the official TypeScript SDK client through the server into
// a downstream HTTP call the tool makes with otelhttp.
func TestTraceFromTypeScriptClient(t *testing.T) {
	node := tsNode(t)
	t.Parallel()
	r := newRig(t, fastmcpotel.Options{}, fastmcp.Options{})
	httpOpts := []otelhttp.Option{otelhttp.WithTracerProvider(r.tp), otelhttp.WithPropagators(propagation.TraceContext{})}

	downstream := httptest.NewServer(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "sunny")
	}), "weather-api", httpOpts...))
	t.Cleanup(downstream.Close)
	client := &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport, httpOpts...)}
	fastmcp.AddTool(r.srv, fastmcp.Tool{Name: "forecast"}, func(ctx *fastmcp.Context, _ empty) (string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", downstream.URL, nil)
		if err != nil {
			return "", err
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	})
	mcpServer := httptest.NewServer(otelhttp.NewHandler(r.srv.Handler(fastmcp.HTTP{}), "mcp", httpOpts...))
	t.Cleanup(mcpServer.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "traceclient.cjs"), mcpServer.URL+"/mcp", "forecast")
	cmd.Env = append(os.Environ(), "NODE_PATH="+tsSDK)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var got struct {
		TraceID, SpanID string
		Result          struct {
			Content []struct{ Text string }
			IsError bool
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("node printed %q: %v", out, err)
	}
	if got.Result.IsError || len(got.Result.Content) != 1 || got.Result.Content[0].Text != "sunny" {
		t.Fatalf("tool result %+v", got.Result)
	}

	// otelhttp names server spans by method: the downstream server's is
	// the only GET.
	r.waitSpan("GET", 1)
	call := r.oneSpan("tools/call forecast")
	if call.SpanContext().TraceID().String() != got.TraceID || call.Parent().SpanID().String() != got.SpanID {
		t.Errorf("tools/call span in trace %s under %s, want trace %s under the client's span %s",
			call.SpanContext().TraceID(), call.Parent().SpanID(), got.TraceID, got.SpanID)
	}
	// The tool's outgoing request and the downstream server's span.
	var outgoing, served sdktrace.ReadOnlySpan
	for _, s := range r.spans.Ended() {
		switch {
		case s.SpanKind() == trace.SpanKindClient:
			outgoing = s
		case s.SpanKind() == trace.SpanKindServer && s.Name() == "GET":
			served = s
		}
	}
	if outgoing == nil || served == nil {
		t.Fatalf("spans: %s", spanNames(r.spans.Ended()))
	}
	if outgoing.Parent().SpanID() != call.SpanContext().SpanID() {
		t.Errorf("the tool's HTTP request is under %s, want the tools/call span %s", outgoing.Parent().SpanID(), call.SpanContext().SpanID())
	}
	if served.Parent().SpanID() != outgoing.SpanContext().SpanID() {
		t.Errorf("the downstream server's span is under %s, want the request's %s", served.Parent().SpanID(), outgoing.SpanContext().SpanID())
	}
	for _, s := range []sdktrace.ReadOnlySpan{call, outgoing, served} {
		if s.SpanContext().TraceID().String() != got.TraceID {
			t.Errorf("%s in trace %s, want %s", s.Name(), s.SpanContext().TraceID(), got.TraceID)
		}
	}
}
