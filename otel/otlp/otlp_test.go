package otlp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fastmcp-go/fastmcp"
	"github.com/fastmcp-go/fastmcp/fastmcptest"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	"github.com/fastmcp-go/fastmcp/otel/otlp"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is an OTLP/HTTP trace receiver on loopback.
type collector struct {
	mu       sync.Mutex
	spans    []string
	services []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "unexpected "+r.URL.Path+" "+r.Header.Get("Content-Type"), http.StatusBadRequest)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				c.services = append(c.services, a.GetValue().GetStringValue())
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans = append(c.spans, s.GetName())
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Write(out)
}

// Start exports the server's spans to the endpoint the environment names.
func TestStartExports(t *testing.T) {
	col := &collector{}
	hs := httptest.NewServer(col)
	defer hs.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", hs.URL)
	t.Setenv("OTEL_SERVICE_NAME", "")
	if !otlp.Configured() {
		t.Fatal("Configured is false with OTEL_EXPORTER_OTLP_ENDPOINT set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	shutdown, err := otlp.Start(ctx, otlp.Options{ServiceName: "otlp-test"})
	if err != nil {
		t.Fatal(err)
	}
	tel := fastmcpotel.New(fastmcpotel.Options{})
	s := fastmcp.New(fastmcp.Options{Name: "otlp-test", ClientRequestMeta: tel.ClientRequestMeta})
	fastmcp.AddTool(s, fastmcp.Tool{Name: "hello"}, func(ctx *fastmcp.Context, _ struct{}) (string, error) { return "hi", nil })
	tel.Instrument(s)
	c := fastmcptest.Connect(t, s, nil)
	if _, err := c.CallTool(ctx, "hello", nil); err != nil {
		t.Fatal(err)
	}
	// Shutdown flushes the batch.
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	found := false
	for _, name := range col.spans {
		found = found || name == "tools/call hello"
	}
	if !found || len(col.services) == 0 || col.services[0] != "otlp-test" {
		t.Errorf("collector got spans %v from services %v", col.spans, col.services)
	}
}

func TestStartRefusesGRPC(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	if _, err := otlp.Start(context.Background(), otlp.Options{}); err == nil {
		t.Fatal("Start accepted the grpc protocol it does not include")
	}
}
