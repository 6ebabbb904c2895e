package gqlserver

import (
	"context"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Metrics counts a subgraph's GraphQL requests. It is per subgraph
// instance, not global, so the seven subgraphs of one process (make run)
// each report their own.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// Metric names, also read by deploy/check (the Grafana dashboard test).
const (
	MetricRequests = "subgraph_requests_total"
	MetricDuration = "subgraph_request_duration_seconds"
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
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

type metricsKey struct{}

// WithMetrics makes the requests h serves count in m.
func WithMetrics(m *Metrics, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), metricsKey{}, m)))
	})
}

// observe is the response middleware: one count and one latency per
// query or mutation response. A subscription's events are not requests
// and are left out.
func observe(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	m, _ := ctx.Value(metricsKey{}).(*Metrics)
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
