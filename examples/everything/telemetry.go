// The example's telemetry, from the environment:
//
//	FASTMCP_METRICS=1                         serve Prometheus metrics at GET /metrics (HTTP transports)
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4318  export traces over OTLP/HTTP
//
// Built with the fastmcp_otel tag while examples/ shares the library's
// go.mod, which must not require OpenTelemetry.

package main

import (
	"context"
	"log"
	"os"
	"time"

	"github.com/fastmcp-go/fastmcp"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	"github.com/fastmcp-go/fastmcp/otel/otlp"
	"github.com/fastmcp-go/fastmcp/otel/prom"
)

var (
	// telemetry instruments the server; nil when neither variable is set.
	telemetry *fastmcpotel.Telemetry
	metrics   *prom.Exporter
	// clientRequestMeta is the server's Options.ClientRequestMeta.
	clientRequestMeta func(context.Context) fastmcp.Meta
)

// startTelemetry sets up what the environment asks for and returns the
// function that flushes it before the program exits.
func startTelemetry() (stop func()) {
	stop = func() {}
	var opts fastmcpotel.Options
	if otlp.Configured() {
		shutdown, err := otlp.Start(context.Background(), otlp.Options{ServiceName: "fastmcp-everything", ServiceVersion: "1.0.0"})
		if err != nil {
			log.Fatal(err)
		}
		stop = func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := shutdown(ctx); err != nil {
				log.Printf("otlp: %v", err)
			}
		}
	} else {
		opts.Traces = fastmcpotel.TraceOff
	}
	if os.Getenv("FASTMCP_METRICS") == "1" {
		var err error
		if metrics, err = prom.New(prom.Options{}); err != nil {
			log.Fatal(err)
		}
		opts.MeterProvider = metrics.MeterProvider()
	} else {
		opts.DisableMetrics = true
	}
	if opts.Traces == fastmcpotel.TraceOff && opts.DisableMetrics {
		return stop
	}
	telemetry = fastmcpotel.New(opts)
	clientRequestMeta = telemetry.ClientRequestMeta
	return stop
}

// instrument installs the telemetry on the server.
func instrument(server *fastmcp.Server) {
	if telemetry == nil {
		return
	}
	telemetry.Instrument(server)
	if metrics != nil {
		// Authenticated like the MCP endpoint, were the server to have an
		// authenticator.
		metrics.Route(server, fastmcp.RouteOptions{})
	}
}
