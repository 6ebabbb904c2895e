package subgraph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/platform/telemetry"
	"github.com/myshop/supergraph/subgraphs/inventory"
	pgstore "github.com/myshop/supergraph/subgraphs/inventory/postgres"
	"github.com/myshop/supergraph/subgraphs/inventory/stock"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// inventoryRoutes is the inventory subgraph as Start serves it (metrics,
// tracing, probes) over a fresh database, and a staff token for it.
func inventoryRoutes(t *testing.T) (http.Handler, string) { return benchRoutes(t) }

func benchRoutes(t testing.TB) (http.Handler, string) {
	t.Helper()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	if _, err := pool.Exec(context.Background(), `INSERT INTO warehouses (id, name, street, city, postal_code, country, countries, priority)
		VALUES ('wh_a', 'A', 's', 'c', 'p', 'US', '{US}', 10)`); err != nil {
		t.Fatal(err)
	}
	issuer := authtest.New(t)
	deps := subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoaderWait: subgraph.DefaultLoaderWait, Verifier: issuer.Verifier()}
	return subgraph.RoutesFor("inventory", inventory.Handler(deps), pool), issuer.Token("usr_staff", stock.AdjustStock)
}

func post(t *testing.T, h http.Handler, token, query string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	return rec
}

// A request carrying the router's traceparent is served in a server span
// of that trace, named after the operation, and its SQL statements are
// spans below it: one trace from the router down to Postgres.
func TestTraceparentReachesSQLSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(telemetry.NewProvider("inventory", 1, sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	h, token := inventoryRoutes(t)
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	post(t, h, token, `{ warehouses { id name } }`, http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}})

	var server sdktrace.ReadOnlySpan
	var sql []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanContext().TraceID().String() != traceID {
			continue
		}
		switch s.SpanKind() {
		case trace.SpanKindServer:
			server = s
		case trace.SpanKindClient:
			sql = append(sql, s)
		}
	}
	if server == nil {
		t.Fatalf("no server span in trace %s among %d spans", traceID, len(rec.Ended()))
	}
	if got := server.Parent().SpanID().String(); got != parentID {
		t.Errorf("server span's parent %s, want the caller's %s", got, parentID)
	}
	if server.Name() != "query warehouses" {
		t.Errorf("server span named %q, want %q", server.Name(), "query warehouses")
	}
	if len(sql) == 0 {
		t.Fatal("no SQL span in the request's trace")
	}
	for _, s := range sql {
		if s.Parent().SpanID() != server.SpanContext().SpanID() {
			t.Errorf("SQL span %q: parent %s, want the server span %s", s.Name(), s.Parent().SpanID(), server.SpanContext().SpanID())
		}
		var text, db string
		for _, a := range s.Attributes() {
			switch a.Key {
			case "db.query.text":
				text = a.Value.AsString()
			case "db.namespace":
				db = a.Value.AsString()
			}
		}
		if !strings.HasPrefix(db, "test_") {
			t.Errorf("SQL span %q: db.namespace %q, want the test database", s.Name(), db)
		}
		if !strings.Contains(strings.ToLower(text), "warehouses") {
			t.Errorf("SQL span %q: db.query.text %q, want the statement", s.Name(), text)
		}
	}
}

// After a query, /metrics counts it by operation and outcome and shows
// the database pool.
func TestMetricsCountRequests(t *testing.T) {
	h, token := inventoryRoutes(t)
	post(t, h, token, `{ warehouses { id } }`, nil)
	post(t, h, token, `{ warehouses { id } }`, nil)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: status %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`subgraph_requests_total{operation="query warehouses",outcome="ok",subgraph="inventory"} 2`,
		`subgraph_request_duration_seconds_count{operation="query warehouses",subgraph="inventory"} 2`,
		`subgraph_request_sql_statements_count{operation="query warehouses",subgraph="inventory"} 2`,
		`subgraph_request_sql_statements_sum{operation="query warehouses",subgraph="inventory"} 2`,
		`subgraph_db_pool_connections{state="max",subgraph="inventory"}`,
		`subgraph_db_pool_acquires_total{subgraph="inventory"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

// A document over the parser's token limit is refused without being
// parsed to the end.
func TestParserTokenLimit(t *testing.T) {
	h, token := inventoryRoutes(t)
	q := "{ " + strings.Repeat("warehouses { id } ", 5000) + "}"
	body, _ := json.Marshal(map[string]any{"query": q})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), "token limit") {
		t.Fatalf("status %d: %s, want a token limit error", rec.Code, rec.Body.String())
	}
	mrec := httptest.NewRecorder()
	h.ServeHTTP(mrec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if want := `subgraph_requests_total{operation="invalid",outcome="invalid",subgraph="inventory"} 1`; !strings.Contains(mrec.Body.String(), want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

// BenchmarkTracing serves one query with SQL through the whole subgraph
// stack with tracing off (exporter none: the no-op provider) and on (the
// SDK, every trace sampled, spans batched to an exporter that drops them).
// Compare the two: the ratio is tracing's cost per request.
func BenchmarkTracing(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "on" {
				tp := telemetry.NewProvider("inventory", 1, sdktrace.WithBatcher(discard{}))
				otel.SetTracerProvider(tp)
				defer tp.Shutdown(context.Background())
			} else {
				otel.SetTracerProvider(noop.NewTracerProvider())
			}
			defer otel.SetTracerProvider(noop.NewTracerProvider())
			h, token := benchRoutes(b)
			body, _ := json.Marshal(map[string]any{"query": `{ warehouses { id name } }`})
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

func TestTracingConfigFromEnv(t *testing.T) {
	cfg, err := subgraph.ConfigFromEnv(inventory.Def, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tracing.Exporter != telemetry.ExporterNone || cfg.Tracing.SampleRatio != 1 || cfg.Tracing.ServiceName != "inventory" {
		t.Errorf("defaults: %+v, want exporter none, ratio 1, service inventory", cfg.Tracing)
	}
	env := map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_SAMPLER_ARG": "0.25"}
	cfg, err = subgraph.ConfigFromEnv(inventory.Def, func(k string) string { return env[k] })
	if err != nil || cfg.Tracing.Exporter != "otlp" || cfg.Tracing.Endpoint != "http://collector:4318" || cfg.Tracing.SampleRatio != 0.25 {
		t.Errorf("otlp: %+v, %v", cfg.Tracing, err)
	}
	for _, bad := range []map[string]string{
		{"OTEL_TRACES_EXPORTER": "jaeger"},
		{"OTEL_TRACES_EXPORTER": "otlp"},
		{"OTEL_TRACES_SAMPLER_ARG": "2"},
		{"OTEL_TRACES_SAMPLER_ARG": "half"},
	} {
		if _, err := subgraph.ConfigFromEnv(inventory.Def, func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
