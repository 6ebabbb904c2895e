package gqlserver

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// Metrics counts a subgraph's GraphQL requests. It is per subgraph
// instance, not global, so the seven subgraphs of one process (make run)
// each report their own.
type Metrics struct {
	requests   *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	statements *prometheus.HistogramVec
}

// Metric names, also read by deploy/check (the Grafana dashboard test).
const (
	MetricRequests = "subgraph_requests_total"
	MetricDuration = "subgraph_request_duration_seconds"
	// MetricStatements is SQL round trips per request: with dataloaders it
	// stays flat as pages grow; a rise is an N+1.
	MetricStatements = "subgraph_request_sql_statements"
)

// NewMetrics registers a subgraph's request metrics on reg, each labelled
// subgraph=name.
func NewMetrics(reg prometheus.Registerer, name string) *Metrics {
	labels := prometheus.Labels{"subgraph": name}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRequests, ConstLabels: labels,
			Help: "GraphQL requests by operation (type and first root field) and outcome (ok, error: the response has errors, invalid: refused before execution).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricDuration, ConstLabels: labels,
			Help:    "Time from reading a GraphQL request to its response, by operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"operation"}),
		statements: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: MetricStatements, ConstLabels: labels,
			Help:    "SQL statements (a batch counts once) a query or mutation ran, by operation.",
			Buckets: []float64{0, 1, 2, 3, 5, 8, 13, 21, 34, 55},
		}, []string{"operation"}),
	}
	reg.MustRegister(m.requests, m.duration, m.statements)
	return m
}

type metricsKey struct{}

type requestMetrics struct {
	m          *Metrics
	statements *atomic.Int64
}

// WithMetrics makes the requests h serves count in m.
func WithMetrics(m *Metrics, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, n := postgres.CountStatements(r.Context())
		h.ServeHTTP(w, r.WithContext(context.WithValue(ctx, metricsKey{}, requestMetrics{m: m, statements: n})))
	})
}

// observe is the response middleware: one count and one latency per
// query or mutation response. A subscription's events are not requests
// and are left out.
func observe(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	rm, _ := ctx.Value(metricsKey{}).(requestMetrics)
	m := rm.m
	if m == nil || resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	op, outcome := "invalid", "invalid"
	if oc.Operation != nil {
		if oc.Operation.Operation == ast.Subscription {
			return resp
		}
		op, outcome = operationLabel(oc.Operation), "ok"
		if len(resp.Errors) > 0 {
			outcome = "error"
		}
	}
	m.requests.WithLabelValues(op, outcome).Inc()
	if start := oc.Stats.OperationStart; !start.IsZero() {
		m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	}
	if oc.Operation != nil {
		m.statements.WithLabelValues(op).Observe(float64(rm.statements.Load()))
	}
	return resp
}

// operationLabel is "query products" or "query _entities": the type and the
// first root field. Not the operation's name: a caller reaching the
// subgraph directly can make up any number of names, and each would be a
// new time series; field names are bounded by the schema (the operation
// has been validated by now).
func operationLabel(op *ast.OperationDefinition) string {
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			return string(op.Operation) + " " + f.Name
		}
	}
	return string(op.Operation)
}

// nameSpan names the request's server span after the operation, so a trace
// reads "query _entities" rather than "POST /graphql".
func nameSpan(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	span := trace.SpanFromContext(ctx)
	if oc := graphql.GetOperationContext(ctx); span.IsRecording() && oc.Operation != nil {
		span.SetName(operationLabel(oc.Operation))
		span.SetAttributes(attribute.String("graphql.operation.type", string(oc.Operation.Operation)))
		if oc.OperationName != "" {
			span.SetAttributes(attribute.String("graphql.operation.name", oc.OperationName))
		}
	}
	return next(ctx)
}
