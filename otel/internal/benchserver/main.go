// Command benchserver is the benchmark's add server (bench/servers/fastmcp)
// with the OpenTelemetry instrumentation of this module, for the load
// generator of bench/: build it as "fastmcp" into a directory and run
//
//	go run ./loadgen -bin-dir DIR -servers fastmcp -server-arg fastmcp=-telemetry=all
//
// -telemetry chooses: none (no Telemetry: the baseline), off (Instrument
// with traces and metrics off), metrics (SDK meter provider), traces (SDK
// tracer provider batching to an exporter that drops the spans), all (both).
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"strconv"

	"github.com/fastmcp-go/fastmcp"
	fastmcpotel "github.com/fastmcp-go/fastmcp/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

type addArgs struct {
	A float64 `json:"a" jsonschema:"the first number"`
	B float64 `json:"b" jsonschema:"the second number"`
}

// discard drops the spans it is given.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

func main() {
	host := flag.String("host", "127.0.0.1", "listen host")
	port := flag.Int("port", 8080, "listen port")
	maxSessions := flag.Int("max-sessions", 0, "HTTP.MaxSessions")
	jsonResponse := flag.Bool("json-response", false, "HTTP.JSONResponse")
	telemetry := flag.String("telemetry", "none", "none, off, metrics, traces or all")
	flag.Parse()

	server := fastmcp.New(fastmcp.Options{Name: "bench-add", Version: "1.0.0"})
	fastmcp.AddTool(server, fastmcp.Tool{Name: "add", Description: "Add two numbers"},
		func(ctx *fastmcp.Context, args addArgs) (string, error) {
			return strconv.FormatFloat(args.A+args.B, 'f', -1, 64), nil
		})
	var opts fastmcpotel.Options
	switch *telemetry {
	case "none":
	case "off":
		opts.Traces, opts.DisableMetrics = fastmcpotel.TraceOff, true
	case "metrics", "traces", "all":
		if *telemetry != "traces" {
			opts.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		} else {
			opts.DisableMetrics = true
		}
		if *telemetry != "metrics" {
			opts.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
		} else {
			opts.Traces = fastmcpotel.TraceOff
		}
	default:
		log.Fatalf("-telemetry %q: want none, off, metrics, traces or all", *telemetry)
	}
	if *telemetry != "none" {
		fastmcpotel.New(opts).Instrument(server)
	}
	err := server.Start(context.Background(), fastmcp.HTTP{Host: *host, Port: *port, MaxSessions: *maxSessions, JSONResponse: *jsonResponse})
	if err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
