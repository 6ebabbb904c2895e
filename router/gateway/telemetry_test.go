package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/myshop/supergraph/platform/telemetry"
	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/supergraph"
)

// A subgraph fetch carries the client's trace: the subgraph receives a
// traceparent with the incoming trace id whose parent is the router's
// client span for that fetch.
func TestSubgraphFetchCarriesTraceparent(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(telemetry.NewProvider("router", 1, sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	seen := make(chan string, 1)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Header.Get("Traceparent"):
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":{"items":[{"id":"1"}]}}`)) //nolint:errcheck // test server
	}))
	defer sub.Close()

	sdl, err := compose.Compose([]compose.Subgraph{{Name: "items", URL: sub.URL, SDL: testSDL}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := New(ctx, sg, OptionsFrom(devConfig()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	op, err := e.Prepare(Request{Query: `{ items { id } }`})
	if err != nil {
		t.Fatal(err)
	}

	// The request as the router's HTTP middleware leaves it: the client's
	// traceparent extracted into a server span.
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	in := http.Header{"Traceparent": {"00-" + traceID + "-00f067aa0ba902b7-01"}}
	reqCtx := propagation.TraceContext{}.Extract(ctx, propagation.HeaderCarrier(in))
	reqCtx, span := otel.Tracer("test").Start(reqCtx, "POST /graphql", trace.WithSpanKind(trace.SpanKindServer))
	var out bytes.Buffer
	err = e.Execute(reqCtx, op, http.Header{}, &out)
	span.End()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"id":"1"`) {
		t.Fatalf("response %s", out.String())
	}
	var got string
	select {
	case got = <-seen:
	default:
		t.Fatal("the subgraph was not called")
	}
	if !strings.HasPrefix(got, "00-"+traceID+"-") {
		t.Fatalf("subgraph got traceparent %q, want trace %s", got, traceID)
	}
	var fetch sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindClient && s.SpanContext().TraceID().String() == traceID {
			fetch = s
		}
	}
	if fetch == nil {
		t.Fatal("no client span for the fetch")
	}
	if !strings.Contains(got, fetch.SpanContext().SpanID().String()) {
		t.Errorf("subgraph's parent span is not the fetch's client span %s: %q", fetch.SpanContext().SpanID(), got)
	}
	if fetch.Parent().SpanID() != span.SpanContext().SpanID() {
		t.Errorf("fetch span's parent %s, want the request span %s", fetch.Parent().SpanID(), span.SpanContext().SpanID())
	}
}
