package prom_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	"github.com/fastmcp-go/fastmcp/otel/prom"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type addArgs struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// server returns an instrumented server whose metrics are served at
// /metrics, over real HTTP, with a bearer token when token is set.
func server(t *testing.T, token string, public bool) (url string) {
	t.Helper()
	exp, err := prom.New(prom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exp.Shutdown(context.Background()) })
	tel := fastmcpotel.New(fastmcpotel.Options{MeterProvider: exp.MeterProvider(), Traces: fastmcpotel.TraceOff})
	opts := fastmcp.Options{Name: "prom-test"}
	if token != "" {
		opts.Authenticate = fastmcp.AuthFunc[string](func(r *http.Request) (string, error) {
			if r.Header.Get("Authorization") != "Bearer "+token {
				return "", errors.New("bad token")
			}
			return "user", nil
		})
	}
	s := fastmcp.New(opts)
	fastmcp.AddTool(s, fastmcp.Tool{Name: "add"}, func(ctx *fastmcp.Context, a addArgs) (string, error) {
		return fmt.Sprint(a.A + a.B), nil
	})
	tel.Instrument(s)
	exp.Route(s, fastmcp.RouteOptions{Public: public})
	hs := httptest.NewServer(s.Handler(fastmcp.HTTP{}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// bearer adds a token to a client's requests.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// scrape gets /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, url, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return resp.StatusCode, families
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func TestScrape(t *testing.T) {
	t.Parallel()
	const token = "s3cret"
	url := server(t, token, false)

	// Not public: the scrape needs the token like the MCP endpoint.
	if code, _ := scrape(t, url, ""); code != http.StatusUnauthorized {
		t.Fatalf("scrape without token: %d, want 401", code)
	}

	client := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "1"}, nil)
	cs, err := client.Connect(testCtx(t), &mcp.StreamableClientTransport{Endpoint: url + "/mcp", MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearer{token, http.DefaultTransport}}},
		&mcp.ClientSessionOptions{ProtocolVersion: fastmcp.LatestHandshakeProtocolVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	const calls = 7
	for i := range calls {
		if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: "add", Arguments: map[string]any{"a": i, "b": 1}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.CallTool(testCtx(t), &mcp.CallToolParams{Name: "missing"}); err == nil {
		t.Fatal("calling a missing tool succeeded")
	}

	code, families := scrape(t, url, token)
	if code != http.StatusOK {
		t.Fatalf("scrape: %d", code)
	}
	op := families["mcp_server_operation_duration_seconds"]
	if op == nil || op.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("no histogram mcp_server_operation_duration_seconds; families: %v", keys(families))
	}
	var found bool
	for _, m := range op.GetMetric() {
		if label(m, "mcp_method_name") != "tools/call" {
			continue
		}
		h := m.GetHistogram()
		// The conventions' buckets, and +Inf.
		var bounds []float64
		for _, b := range h.GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
		}
		if len(bounds) > 0 && bounds[len(bounds)-1] > 1e300 {
			bounds = bounds[:len(bounds)-1] // +Inf, when the parser keeps it
		}
		if !slices.Equal(bounds, fastmcpotel.OperationBuckets) {
			t.Errorf("buckets %v, want %v", bounds, fastmcpotel.OperationBuckets)
		}
		switch label(m, "gen_ai_tool_name") {
		case "add":
			found = true
			if h.GetSampleCount() != calls || label(m, "error_type") != "" || label(m, "network_transport") != "tcp" {
				t.Errorf("add: count %d (want %d), labels %v", h.GetSampleCount(), calls, m.GetLabel())
			}
		case "":
			if h.GetSampleCount() != 1 || label(m, "error_type") != "-32602" {
				t.Errorf("missing tool: count %d, labels %v", h.GetSampleCount(), m.GetLabel())
			}
		default:
			t.Errorf("unexpected series %v", m.GetLabel())
		}
	}
	if !found {
		t.Errorf("no series for tools/call add: %v", op.GetMetric())
	}
	sessions := families["fastmcp_server_session_active"]
	if sessions == nil || len(sessions.GetMetric()) != 1 || sessions.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("fastmcp_server_session_active: %v", sessions)
	}
	if inflight := families["fastmcp_server_request_active"]; inflight == nil {
		t.Errorf("no fastmcp_server_request_active; families: %v", keys(families))
	} else {
		for _, m := range inflight.GetMetric() {
			if v := m.GetGauge().GetValue(); v != 0 {
				t.Errorf("requests in flight %v after all were answered: %v", v, m.GetLabel())
			}
		}
	}
}

func TestScrapePublic(t *testing.T) {
	t.Parallel()
	url := server(t, "s3cret", true)
	code, families := scrape(t, url, "")
	if code != http.StatusOK {
		t.Fatalf("public scrape without token: %d", code)
	}
	if families["fastmcp_server_session_active"] == nil {
		t.Errorf("families: %v", keys(families))
	}
}

func keys(m map[string]*dto.MetricFamily) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
