package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/myshop/supergraph/platform/telemetry"
)

const (
	traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentID = "00f067aa0ba902b7"
	incoming = "00-" + traceID + "-" + parentID + "-01"
)

func record(t *testing.T) *tracetest.SpanRecorder {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(telemetry.NewProvider("test", 1, sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
	return rec
}

// downstreamTraceparent serves a request carrying a traceparent behind
// Middleware, whose handler calls a downstream service through Transport,
// and returns the traceparent the downstream service saw.
func downstreamTraceparent(t *testing.T) (got string, rec *tracetest.SpanRecorder) {
	rec = record(t)
	seen := make(chan string, 1)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("Traceparent")
	}))
	defer down.Close()
	client := &http.Client{Transport: telemetry.Transport(nil)}
	h := telemetry.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, down.URL, nil)
		res, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		res.Body.Close()
		if req.Header.Get("Traceparent") != "" {
			t.Error("Transport changed the caller's request headers")
		}
	}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("Traceparent", incoming)
	h.ServeHTTP(httptest.NewRecorder(), req)
	return <-seen, rec
}

func TestTransportCarriesTheTrace(t *testing.T) {
	got, rec := downstreamTraceparent(t)
	if !strings.HasPrefix(got, "00-"+traceID+"-") || strings.Contains(got, parentID) {
		t.Fatalf("downstream traceparent %q: want trace %s with the client span as parent", got, traceID)
	}
	var client sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindClient {
			client = s
		}
	}
	if client == nil || !strings.Contains(got, client.SpanContext().SpanID().String()) {
		t.Fatalf("downstream traceparent %q does not name the client span", got)
	}
}

// With the no-op provider (exporter none) nothing is recorded, yet the
// caller's trace id still reaches the next service.
func TestNoopStillPropagates(t *testing.T) {
	shutdown, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "test", Exporter: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())
	seen := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen <- r.Header.Get("Traceparent") }))
	defer srv.Close()
	h := telemetry.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, srv.URL, nil)
		res, err := (&http.Client{Transport: telemetry.Transport(nil)}).Do(req)
		if err == nil {
			res.Body.Close()
		}
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Traceparent", incoming)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if down := <-seen; down != incoming {
		t.Fatalf("downstream traceparent %q, want the caller's %q passed on", down, incoming)
	}

	// And without a caller's trace the request goes out without one.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if down := <-seen; down != "" {
		t.Fatalf("downstream traceparent %q, want none", down)
	}
}

func TestUntracedPaths(t *testing.T) {
	rec := record(t)
	h := telemetry.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "/health")
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/health", nil))
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("/health made %d spans, want none", n)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/graphql", nil))
	if n := len(rec.Ended()); n != 1 {
		t.Fatalf("/graphql made %d spans, want 1", n)
	}
}

// The WebSocket upgrade asserts http.Hijacker on the writer it gets.
func TestMiddlewareKeepsHijacker(t *testing.T) {
	record(t)
	hijacker := make(chan bool, 1)
	srv := httptest.NewServer(telemetry.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := w.(http.Hijacker)
		hijacker <- ok
	})))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if !<-hijacker {
		t.Fatal("the writer behind Middleware is not an http.Hijacker")
	}
}

func TestLogHandlerAddsTraceID(t *testing.T) {
	record(t)
	var buf bytes.Buffer
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(&buf, nil)))
	ctx, span := otel.Tracer("t").Start(context.Background(), "op")
	log.InfoContext(ctx, "inside")
	span.End()
	log.Info("outside")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var in, out map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &out); err != nil {
		t.Fatal(err)
	}
	if in["trace_id"] != span.SpanContext().TraceID().String() || in["span_id"] != span.SpanContext().SpanID().String() {
		t.Errorf("log inside a span: %s, want its trace_id and span_id", lines[0])
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("log outside a span has a trace_id: %s", lines[1])
	}
}

func TestSetupStdoutExports(t *testing.T) {
	var buf bytes.Buffer
	shutdown, err := telemetry.Setup(context.Background(), telemetry.Config{ServiceName: "svc", Exporter: "stdout", SampleRatio: 1, Stdout: &buf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
	_, span := otel.Tracer("t").Start(context.Background(), "exported-span")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "exported-span") || !strings.Contains(buf.String(), "svc") {
		t.Fatalf("stdout exporter wrote %q", buf.String())
	}
}

func TestSetupRejectsBadConfig(t *testing.T) {
	for _, cfg := range []telemetry.Config{
		{Exporter: "jaeger"},
		{Exporter: "otlp"},
		{Exporter: "otlp", Endpoint: "collector:4318"},
		{Exporter: "stdout", SampleRatio: 2},
	} {
		if _, err := telemetry.Setup(context.Background(), cfg); err == nil {
			t.Errorf("Setup(%+v): no error", cfg)
		}
	}
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
}

// A WebSocket upgrade (subscriptions) works through a recording span's
// writer, and the span records the switch of protocols.
func TestMiddlewareWebSocketUpgrade(t *testing.T) {
	rec := record(t)
	srv := httptest.NewServer(telemetry.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer c.CloseNow()
		typ, msg, err := c.Read(r.Context())
		if err == nil {
			err = c.Write(r.Context(), typ, msg)
		}
		if err != nil {
			t.Error(err)
		}
	})))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.Read(ctx); err != nil || string(msg) != "ping" {
		t.Fatalf("echo: %q, %v", msg, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	// A hijacked connection's handler outlives the client's close: wait for
	// its span to end.
	var status int64
	for deadline := time.Now().Add(5 * time.Second); len(rec.Ended()) == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	for _, s := range rec.Ended() {
		for _, a := range s.Attributes() {
			if a.Key == "http.response.status_code" {
				status = a.Value.AsInt64()
			}
		}
	}
	if status != http.StatusSwitchingProtocols {
		t.Errorf("span status code %d, want 101", status)
	}
}
