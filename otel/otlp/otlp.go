// Package otlp sets up OpenTelemetry tracing with an OTLP exporter in one
// call, for FastMCP servers instrumented with the fastmcpotel package:
//
//	shutdown, err := otlp.Start(ctx, otlp.Options{ServiceName: "weather"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer shutdown(context.Background())
//	tel := fastmcpotel.New(fastmcpotel.Options{}) // uses what Start installed
//
// Start installs the OpenTelemetry SDK's tracer provider, which batches spans
// to an OTLP/HTTP endpoint, as the global one, and W3C Trace Context and
// Baggage as the global propagator. The exporter reads the standard
// environment variables: OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_EXPORTER_OTLP_HEADERS,
// OTEL_EXPORTER_OTLP_PROTOCOL ("http/protobuf", the default, or "http/json";
// gRPC is not included, to keep its dependencies out), and the rest; the
// SDK reads OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and
// OTEL_TRACES_SAMPLER.
//
// This package is separate from fastmcpotel because it pulls in the SDK, the
// exporter and protobuf: a program that installs its own SDK does not build
// them.
package otlp

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Options configure Start. The zero value works: the environment configures
// the rest.
type Options struct {
	// ServiceName is the service.name resource attribute. Default:
	// OTEL_SERVICE_NAME, else the SDK's default (unknown_service:<program>).
	ServiceName string
	// ServiceVersion is the service.version resource attribute. Default: none.
	ServiceVersion string
	// Sampler decides which traces are recorded. Default: the SDK's, from
	// OTEL_TRACES_SAMPLER, else parent-based always-on.
	Sampler sdktrace.Sampler
	// Exporter adds options to the OTLP/HTTP exporter, after those the
	// environment gives. Default: none.
	Exporter []otlptracehttp.Option
}

// Configured reports whether the environment names an OTLP endpoint for
// traces (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT):
// programs that export only when asked to can test it before Start, whose
// exporter otherwise sends to localhost:4318.
func Configured() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Start installs a tracer provider exporting over OTLP/HTTP as the global
// tracer provider, and W3C Trace Context and Baggage as the global
// propagator. shutdown flushes the spans not yet sent and stops the exporter;
// call it before the program exits. Start fails when the environment asks
// for a protocol this package does not include (gRPC) or the exporter cannot
// be configured; it does not contact the endpoint.
func Start(ctx context.Context, opts Options) (shutdown func(context.Context) error, err error) {
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if strings.HasPrefix(proto, "grpc") {
		return nil, fmt.Errorf("otlp: protocol %q is not included: set OTEL_EXPORTER_OTLP_PROTOCOL to http/protobuf or http/json, or install the gRPC exporter yourself", proto)
	}
	exp, err := otlptracehttp.New(ctx, opts.Exporter...)
	if err != nil {
		return nil, fmt.Errorf("otlp: %w", err)
	}
	res := resource.Default()
	var attrs []attribute.KeyValue
	if opts.ServiceName != "" {
		attrs = append(attrs, attribute.String("service.name", opts.ServiceName))
	}
	if opts.ServiceVersion != "" {
		attrs = append(attrs, attribute.String("service.version", opts.ServiceVersion))
	}
	if len(attrs) > 0 {
		if os.Getenv("OTEL_SERVICE_NAME") != "" {
			// The environment names the service: it wins over code, as the
			// SDK's configuration rules say.
			attrs = attrs[:0]
			if opts.ServiceVersion != "" {
				attrs = append(attrs, attribute.String("service.version", opts.ServiceVersion))
			}
		}
		if res, err = resource.Merge(res, resource.NewSchemaless(attrs...)); err != nil {
			return nil, fmt.Errorf("otlp: %w", err)
		}
	}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(exp), sdktrace.WithResource(res)}
	if opts.Sampler != nil {
		tpOpts = append(tpOpts, sdktrace.WithSampler(opts.Sampler))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}
