package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// PoolCollector reports pool.Stat() at each scrape: connections by state
// and how often a request had to wait for one, the first sign that
// max_conns is too small or that statements are holding connections.
func PoolCollector(pool *pgxpool.Pool, labels prometheus.Labels) prometheus.Collector {
	d := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, extra, labels)
	}
	return &poolCollector{
		pool:     pool,
		conns:    d("subgraph_db_pool_connections", "Pool connections by state (acquired, idle, constructing) and the pool's max.", "state"),
		acquires: d("subgraph_db_pool_acquires_total", "Connections acquired from the pool."),
		empty:    d("subgraph_db_pool_empty_acquires_total", "Acquires that waited because no connection was idle."),
		canceled: d("subgraph_db_pool_canceled_acquires_total", "Acquires whose context ended while waiting."),
		wait:     d("subgraph_db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection."),
	}
}

type poolCollector struct {
	pool                                   *pgxpool.Pool
	conns, acquires, empty, canceled, wait *prometheus.Desc
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.conns, c.acquires, c.empty, c.canceled, c.wait} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	gauge := func(v int32, state string) {
		ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(v), state)
	}
	gauge(s.AcquiredConns(), "acquired")
	gauge(s.IdleConns(), "idle")
	gauge(s.ConstructingConns(), "constructing")
	gauge(s.MaxConns(), "max")
	ch <- prometheus.MustNewConstMetric(c.acquires, prometheus.CounterValue, float64(s.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.empty, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.canceled, prometheus.CounterValue, float64(s.CanceledAcquireCount()))
	ch <- prometheus.MustNewConstMetric(c.wait, prometheus.CounterValue, s.AcquireDuration().Seconds())
}
