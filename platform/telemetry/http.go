package telemetry

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Middleware continues the caller's trace (its traceparent header) or
// starts one, and runs next inside a server span named "METHOD /path";
// gqlserver renames it after the GraphQL operation. Requests to the
// untraced paths (probes, /metrics) get no span: a health check every few
// seconds per instance would otherwise be most of what is exported.
func Middleware(next http.Handler, untraced ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(untraced, r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer().Start(ctx, r.Method+" "+r.URL.Path,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				attribute.String("http.request.method", r.Method),
				attribute.String("url.path", r.URL.Path),
			))
		defer span.End()
		if !span.IsRecording() {
			// Nothing to record the status on: keep the caller's writer
			// untouched (and any trace context extracted above).
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	})
}

// statusWriter remembers the status code. It hijacks and flushes through
// to the writer it wraps, because the WebSocket upgrade of subscriptions
// (gorilla's and coder's) asserts http.Hijacker on the writer it is given.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends buffered data (SSE, incremental delivery).
func (w *statusWriter) Flush() {
	_ = w.FlushError() //nolint:errcheck // http.Flusher has no error to return
}

// FlushError is the Flush http.ResponseController calls: it reports a
// gone client to the SSE writer.
func (w *statusWriter) FlushError() error {
	if err := http.NewResponseController(w.ResponseWriter).Flush(); err != nil {
		return fmt.Errorf("telemetry: flush: %w", err)
	}
	return nil
}

// Hijack hands the connection to a WebSocket upgrade.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("telemetry: hijack: %w", err)
	}
	w.status = http.StatusSwitchingProtocols
	return c, rw, nil
}

// Transport wraps next so each outgoing request runs in a client span and
// carries its traceparent. Without a trace in the request's context (and
// with the no-op provider of exporter "none" and no incoming traceparent)
// the request goes out unchanged.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{next: next}
}

type transport struct{ next http.RoundTripper }

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, span := tracer().Start(r.Context(), r.Method+" "+r.URL.Host,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", r.Method),
			attribute.String("server.address", r.URL.Host),
			attribute.String("url.path", r.URL.Path),
		))
	defer span.End()
	if !span.SpanContext().IsValid() {
		return t.next.RoundTrip(r)
	}
	// A RoundTripper must not change the caller's request: a retry would
	// send the first attempt's traceparent.
	out := r.WithContext(ctx)
	out.Header = r.Header.Clone()
	propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
	res, err := t.next.RoundTrip(out)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "request failed")
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
	if res.StatusCode >= 500 {
		span.SetStatus(codes.Error, http.StatusText(res.StatusCode))
	}
	return res, nil
}

// CloseIdleConnections passes through, so http.Client.CloseIdleConnections
// still reaches the pooled connections under the wrapper.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Inject writes ctx's traceparent into h, for requests sent without an
// http.RoundTripper (a WebSocket dial).
func Inject(ctx context.Context, h http.Header) {
	propagator.Inject(ctx, propagation.HeaderCarrier(h))
}
