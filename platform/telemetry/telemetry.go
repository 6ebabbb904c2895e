// Package telemetry is the OpenTelemetry tracing the router and every
// subgraph share: a TracerProvider with a configurable exporter (off by
// default), W3C traceparent propagation in and out of HTTP, SQL spans from
// pgx, and trace ids in the slog records written while a request runs.
//
// The pieces are written here rather than taken from the otel contrib
// modules: each is a few dozen lines, and the contrib HTTP middleware
// wraps the ResponseWriter in ways the WebSocket upgrade of subscriptions
// would have to be checked against on every upgrade.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Exporters Setup knows.
const (
	ExporterNone   = "none"
	ExporterStdout = "stdout"
	ExporterOTLP   = "otlp"
)

// Config says where a process's spans go.
type Config struct {
	// ServiceName is the service.name resource of every span ("router",
	// "products").
	ServiceName string
	// Exporter is "none" (also ""), "stdout" or "otlp".
	Exporter string
	// Endpoint is the OTLP/HTTP collector, e.g. http://otel-collector:4318;
	// without a path, /v1/traces is appended as OTEL_EXPORTER_OTLP_ENDPOINT
	// does. Required for "otlp".
	Endpoint string
	// SampleRatio is the share of new traces recorded, 0 to 1. It is
	// parent-based: a request whose traceparent says "sampled" is recorded
	// whatever the ratio, so one trace is never half kept.
	SampleRatio float64
	// Stdout is where the "stdout" exporter writes (default os.Stdout).
	Stdout io.Writer
}

// scope names this package's tracer in the spans it makes.
const scope = "github.com/myshop/supergraph/platform/telemetry"

// propagator is W3C Trace Context, used directly by Middleware and
// Transport rather than through the global, so propagation works in tests
// and in-process stacks that never call Setup.
var propagator = propagation.TraceContext{}

// Setup installs the global TracerProvider and the W3C propagator as cfg
// says and returns the function that flushes and stops the exporter.
//
// With exporter "none" the provider is OpenTelemetry's no-op: spans are
// not recorded, yet an incoming traceparent is still passed on to
// subgraphs (a no-op span carries its parent's context), so a caller's
// trace id reaches the logs of every service at almost no cost.
func Setup(ctx context.Context, cfg Config) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagator)
	var exp sdktrace.SpanExporter
	switch cfg.Exporter {
	case "", ExporterNone:
		otel.SetTracerProvider(noop.NewTracerProvider())
		return func(context.Context) error { return nil }, nil
	case ExporterStdout:
		w := cfg.Stdout
		if w == nil {
			w = os.Stdout
		}
		exp, err = stdouttrace.New(stdouttrace.WithWriter(w))
	case ExporterOTLP:
		var u string
		u, err = otlpURL(cfg.Endpoint)
		if err == nil {
			exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u))
		}
	default:
		return nil, fmt.Errorf("telemetry: exporter %q: want none, stdout or otlp", cfg.Exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: %s exporter: %w", cfg.Exporter, err)
	}
	if cfg.SampleRatio < 0 || cfg.SampleRatio > 1 {
		return nil, fmt.Errorf("telemetry: sample ratio %v: want 0 to 1", cfg.SampleRatio)
	}
	tp := NewProvider(cfg.ServiceName, cfg.SampleRatio, sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(2*time.Second)))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// NewProvider is the SDK provider Setup installs, with the span processor
// given (tests pass a tracetest.SpanRecorder).
func NewProvider(service string, ratio float64, opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	res := resource.NewSchemaless(attribute.String("service.name", service))
	opts = append([]sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	}, opts...)
	return sdktrace.NewTracerProvider(opts...)
}

func otlpURL(endpoint string) (string, error) {
	if endpoint == "" {
		return "", errors.New("otlp needs an endpoint (http://collector:4318)")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("endpoint %q: want http(s)://host:port", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

// tracer is looked up on every use, not cached at init: the global
// provider's delegation is set once only, and tests install their own.
func tracer() trace.Tracer { return otel.GetTracerProvider().Tracer(scope) }

// TraceID is the trace id of ctx's span, "" when there is none.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	return sc.TraceID().String()
}
