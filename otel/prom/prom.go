// Package prom serves the metrics of FastMCP servers to Prometheus, from the
// servers' own HTTP listener:
//
//	exp, err := prom.New(prom.Options{})
//	if err != nil {
//		log.Fatal(err)
//	}
//	tel := fastmcpotel.New(fastmcpotel.Options{MeterProvider: exp.MeterProvider()})
//	tel.Instrument(server)
//	exp.Route(server, fastmcp.RouteOptions{}) // GET /metrics, authenticated like the MCP endpoint
//
// The metrics are those of the OpenTelemetry meter provider New makes,
// translated by the OpenTelemetry Prometheus exporter: dots become
// underscores and units become suffixes, so mcp.server.operation.duration is
// mcp_server_operation_duration_seconds.
//
// This package is separate from fastmcpotel because it pulls in the
// OpenTelemetry SDK and the Prometheus client library.
package prom

import (
	"context"
	"fmt"
	"net/http"

	"github.com/fastmcp-go/fastmcp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
)

// DefaultPath is where Route serves the metrics.
const DefaultPath = "/metrics"

// Options configure an Exporter. The zero value works.
type Options struct {
	// Registry receives the metrics. Default: a registry of its own,
	// holding only the metrics of the Exporter's meter provider (register
	// the Go runtime and process collectors on a Registry you pass, if you
	// want them).
	Registry *prometheus.Registry
	// Path is where Route serves the metrics. Default DefaultPath.
	Path string
	// Resource describes the program in the target_info metric. Default:
	// the SDK's default resource (service.name from OTEL_SERVICE_NAME...).
	Resource *resource.Resource
}

// Exporter is an OpenTelemetry meter provider whose metrics are served to
// Prometheus. It is an http.Handler serving them in the Prometheus text
// format (or OpenMetrics, when the scraper asks for it).
type Exporter struct {
	provider *sdkmetric.MeterProvider
	handler  http.Handler
	path     string
}

// New returns an Exporter configured by opts.
func New(opts Options) (*Exporter, error) {
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if opts.Path == "" {
		opts.Path = DefaultPath
	}
	if opts.Resource == nil {
		opts.Resource = resource.Default()
	}
	reader, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("prom: %w", err)
	}
	return &Exporter{
		provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(opts.Resource)),
		handler:  promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}),
		path:     opts.Path,
	}, nil
}

// MeterProvider returns the meter provider whose metrics the Exporter
// serves: pass it as fastmcpotel.Options.MeterProvider.
func (e *Exporter) MeterProvider() metric.MeterProvider { return e.provider }

// ServeHTTP serves the metrics.
func (e *Exporter) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.handler.ServeHTTP(w, r) }

// Route serves the metrics on every HTTP transport of s, at GET
// Options.Path: authenticated like the MCP endpoint when s has an
// authenticator, unless opts.Public is set (see fastmcp.RouteOptions).
func (e *Exporter) Route(s *fastmcp.Server, opts fastmcp.RouteOptions) {
	s.Route("GET "+e.path, e, opts)
}

// Shutdown stops the meter provider: the metrics are no longer collected.
func (e *Exporter) Shutdown(ctx context.Context) error { return e.provider.Shutdown(ctx) }
