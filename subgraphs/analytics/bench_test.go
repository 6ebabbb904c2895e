package analytics_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/analytics/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// BenchmarkIngestBatch is what the stream consumer does: batches of 100
// events (a stream read) logged with their rollups in one transaction.
func BenchmarkIngestBatch(b *testing.B) {
	e := newEnvTB(b)
	ctx := context.Background()
	i := 0
	start := time.Now()
	for b.Loop() {
		batch := make([]postgres.Logged, 100)
		for k := range batch {
			i++
			batch[k].Event = events.Event{ID: fmt.Sprintf("evt_%d", i), Type: "order.status_changed", Source: "bench",
				OccurredAt: day1.Add(time.Duration(i) * time.Second), Payload: map[string]any{"to": "CONFIRMED", "totalMinor": 1000, "units": 1, "currency": "USD"}}
		}
		if _, err := e.store.IngestBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkIngest is events logged one transaction each (trackEvents'
// path for single events), from parallel callers.
func BenchmarkIngest(b *testing.B) {
	e := newEnvTB(b)
	var n atomic.Int64
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			ev := events.Event{ID: fmt.Sprintf("evt_%d", i), Type: "order.status_changed", Source: "bench", OccurredAt: day1.Add(time.Duration(i) * time.Second),
				Payload: map[string]any{"to": "CONFIRMED", "totalMinor": 1000, "units": 1, "currency": "USD"}}
			if _, err := e.store.Ingest(context.Background(), ev, "", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "events/s")
}

// BenchmarkDashboard is a 90-day daily sales series with a large event log
// behind it (BENCH_EVENTS, default 500,000; the figure is
// 5,000,000): it reads the rollups, so the log's size should not matter.
func BenchmarkDashboard(b *testing.B) {
	e := newEnvTB(b)
	total := 500_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && v > 0 {
		total = v
	}
	ctx := context.Background()
	// Fill the log with COPY, then let backfill build the rollups.
	rows := make([][]any, 0, 10_000)
	flush := func() {
		if _, err := e.pool.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"id", "type", "source", "occurred_at", "payload"}, pgx.CopyFromRows(rows)); err != nil {
			b.Fatal(err)
		}
		rows = rows[:0]
	}
	for i := range total {
		at := day1.AddDate(0, 0, -(i % 120)).Add(time.Duration(i%86400) * time.Second)
		rows = append(rows, []any{fmt.Sprintf("evt_%d", i), "order.status_changed", "bench", at,
			map[string]any{"to": "CONFIRMED", "totalMinor": 1000 + i%5000, "units": 1 + i%3, "currency": "USD"}})
		if len(rows) == cap(rows) {
			flush()
		}
	}
	flush()
	if _, err := e.store.Backfill(ctx); err != nil {
		b.Fatal(err)
	}
	q := `{ salesMetrics(from: "2026-08-05", to: "2026-11-02", bucket: DAY) { start orders revenue { amount } } }`
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		resp := gqltest.DoAs(b, e.h, e.staff, q, nil)
		lat = append(lat, time.Since(t0))
		if len(resp.Errors) > 0 {
			b.Fatal(resp.Errors)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(total), "events")
}
