// Package metrics is the router's Prometheus metrics, served at /metrics.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxOperationNames bounds the operation label: names come from clients,
// and one label value per random name would grow memory without end.
const maxOperationNames = 500

// Metrics records what the router does. Its methods are safe for
// concurrent use; a nil *Metrics records nothing.
type Metrics struct {
	reg               *prometheus.Registry
	requests          *prometheus.CounterVec
	duration          *prometheus.HistogramVec
	fetches           *prometheus.CounterVec
	fetchDuration     *prometheus.HistogramVec
	retries           *prometheus.CounterVec
	breakerOpen       *prometheus.GaugeVec
	prepared          *prometheus.CounterVec
	planningFailures  prometheus.Counter
	rejected          *prometheus.CounterVec
	ratelimitFallback prometheus.Gauge
	inFlight          prometheus.Gauge
	costEstimated     prometheus.Histogram
	costActual        prometheus.Histogram

	mu    sync.Mutex
	names map[string]bool
}

// New registers the router's metrics and the Go runtime's.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), names: map[string]bool{}}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	f(collectors.NewGoCollector())
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "router_requests_total",
		Help: "GraphQL requests by operation name and outcome (ok, error, rejected code)."}, []string{"operation", "outcome"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "router_request_duration_seconds",
		Help: "GraphQL request latency by operation name.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"operation"})
	m.fetches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "router_subgraph_fetches_total",
		Help: "Subgraph fetches by subgraph and outcome (ok, error, or the router's error code)."}, []string{"subgraph", "outcome"})
	m.fetchDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "router_subgraph_fetch_duration_seconds",
		Help: "Subgraph fetch latency, retries included.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, []string{"subgraph"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "router_subgraph_retries_total",
		Help: "Retried subgraph fetches."}, []string{"subgraph"})
	m.breakerOpen = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "router_circuit_breaker_open",
		Help: "1 while a subgraph's circuit breaker is open."}, []string{"subgraph"})
	m.prepared = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "router_operation_cache_total",
		Help: "Prepared-operation cache lookups (parse, validation and plan skipped on a hit)."}, []string{"result"})
	m.planningFailures = prometheus.NewCounter(prometheus.CounterOpts{Name: "router_query_planning_failures_total",
		Help: "Operations the router could not plan (each logged once with its hash)."})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "router_rejected_total",
		Help: "Requests refused before any subgraph call, by reason (error code)."}, []string{"reason"})
	m.ratelimitFallback = prometheus.NewGauge(prometheus.GaugeOpts{Name: "router_ratelimit_fallback",
		Help: "1 while Redis is unreachable and rate limits are kept per replica in memory."})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "router_requests_in_flight",
		Help: "GraphQL requests being served."})
	// Cost buckets from 1 to about 4 million, doubling: the default limit
	// (a million) falls inside them.
	m.costEstimated = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "router_operation_cost_estimated",
		Help: "Static cost estimates of executed operations (IBM cost specification, @cost and @listSize).", Buckets: prometheus.ExponentialBuckets(1, 2, 23)})
	m.costActual = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "router_operation_cost_actual",
		Help: "Actual costs of executed operations, from the real list sizes of their responses.", Buckets: prometheus.ExponentialBuckets(1, 2, 23)})
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.fetches, m.fetchDuration, m.retries, m.breakerOpen,
		m.prepared, m.planningFailures, m.rejected, m.ratelimitFallback, m.inFlight, m.costEstimated, m.costActual} {
		f(c)
	}
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// GaugeFunc registers a gauge read when scraped (open subscriptions, say).
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
}

func (m *Metrics) operation(name string) string {
	if name == "" {
		return "anonymous"
	}
	if len(name) > 64 {
		name = name[:64]
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.names[name] {
		if len(m.names) >= maxOperationNames {
			return "other"
		}
		m.names[name] = true
	}
	return name
}

// Request records a finished GraphQL request.
func (m *Metrics) Request(operation, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	op := m.operation(operation)
	m.requests.WithLabelValues(op, outcome).Inc()
	m.duration.WithLabelValues(op).Observe(d.Seconds())
}

// Cost records an executed operation's estimated and actual cost; a
// negative actual (not executed) is left out.
func (m *Metrics) Cost(estimated, actual int) {
	if m == nil {
		return
	}
	m.costEstimated.Observe(float64(estimated))
	if actual >= 0 {
		m.costActual.Observe(float64(actual))
	}
}

// Rejected records a request refused before any subgraph call.
func (m *Metrics) Rejected(reason string) {
	if m == nil {
		return
	}
	m.rejected.WithLabelValues(reason).Inc()
}

// InFlight moves the in-flight gauge.
func (m *Metrics) InFlight(delta float64) {
	if m != nil {
		m.inFlight.Add(delta)
	}
}

// RateLimitFallback records whether rate limits run without Redis.
func (m *Metrics) RateLimitFallback(on bool) {
	if m == nil {
		return
	}
	if on {
		m.ratelimitFallback.Set(1)
	} else {
		m.ratelimitFallback.Set(0)
	}
}

// SubgraphFetch implements gateway.Observer.
func (m *Metrics) SubgraphFetch(subgraph string, d time.Duration, outcome string) {
	if m == nil {
		return
	}
	m.fetches.WithLabelValues(subgraph, outcome).Inc()
	m.fetchDuration.WithLabelValues(subgraph).Observe(d.Seconds())
}

// BreakerState implements gateway.Observer.
func (m *Metrics) BreakerState(subgraph string, open bool) {
	if m == nil {
		return
	}
	v := 0.0
	if open {
		v = 1
	}
	m.breakerOpen.WithLabelValues(subgraph).Set(v)
}

// Retry implements gateway.Observer.
func (m *Metrics) Retry(subgraph string) {
	if m != nil {
		m.retries.WithLabelValues(subgraph).Inc()
	}
}

// PlanningFailed implements gateway.Observer.
func (m *Metrics) PlanningFailed() {
	if m == nil {
		return
	}
	m.planningFailures.Inc()
}

// Prepared implements gateway.Observer.
func (m *Metrics) Prepared(hit bool) {
	if m == nil {
		return
	}
	if hit {
		m.prepared.WithLabelValues("hit").Inc()
	} else {
		m.prepared.WithLabelValues("miss").Inc()
	}
}
