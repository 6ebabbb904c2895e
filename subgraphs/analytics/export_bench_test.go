package analytics_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// eventRows makes the log's rows as COPY asks for them, one at a time:
// filling 10 million rows holds one row in memory, not ten million.
type eventRows struct {
	i, n  int
	start time.Time
	step  time.Duration
	row   []any
}

func (g *eventRows) Next() bool { g.i++; return g.i <= g.n }
func (g *eventRows) Err() error { return nil }
func (g *eventRows) Values() ([]any, error) {
	i := g.i
	at := g.start.Add(time.Duration(i) * g.step)
	id := "evt_" + strconv.Itoa(i)
	session := "s" + strconv.Itoa(i%50_000)
	if i%10 == 0 {
		g.row = append(g.row[:0], id, "order.status_changed", "orders", at, "",
			[]byte(`{"to":"CONFIRMED","orderId":"ord_`+strconv.Itoa(i)+`","channel":"us","currency":"USD","totalMinor":`+strconv.Itoa(1000+i%5000)+`,"units":2}`))
	} else {
		g.row = append(g.row[:0], id, "page_view", "storefront", at, session, []byte(`{"path":"/products/`+strconv.Itoa(i%2000)+`","channel":"us"}`))
	}
	return g.row, nil
}

// countingDiscard counts the CSV lines it is given and keeps none.
type countingDiscard struct{ lines int64 }

func (c *countingDiscard) Write(p []byte) (int, error) {
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// heapPeak samples the live heap every millisecond until stopped: the
// figure that must not grow with the export's size.
func heapPeak() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// BenchmarkExportCSV streams the event log as CSV through the signed
// export link over real HTTP, the client reading as fast as it can. The
// log holds BENCH_EXPORT_ROWS rows (default 200,000; the figure
// is 10,000,000), written with COPY over 100 days. Sub-benchmarks export
// the first tenth of the days and all of them: constant memory means
// their peak-heap figures stay alike while rows grow tenfold, and
// alloc-B/row stays flat (garbage per row, collected as it goes).
func BenchmarkExportCSV(b *testing.B) {
	total := 200_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_EXPORT_ROWS")); err == nil && v > 0 {
		total = v
	}
	e := newEnvTB(b)
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Now()
	g := &eventRows{n: total, start: start, step: 100 * 24 * time.Hour / time.Duration(total)}
	if _, err := e.pool.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"id", "type", "source", "occurred_at", "session_id", "payload"}, g); err != nil {
		b.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `ANALYZE events`); err != nil {
		b.Fatal(err)
	}
	b.Logf("COPY of %d events: %s", total, time.Since(t0).Round(time.Millisecond))
	srv := httptest.NewServer(e.h)
	b.Cleanup(srv.Close)

	for _, c := range []struct {
		name string
		days int
	}{{"tenth", 10}, {"all", 100}} {
		b.Run(c.name, func(b *testing.B) {
			to := start.AddDate(0, 0, c.days-1).Format(time.DateOnly)
			resp := gqltest.DoAs(b, e.h, e.staff, `mutation($f: String!, $t: String!) { exportEvents(from: $f, to: $t) { url } }`,
				map[string]any{"f": start.Format(time.DateOnly), "t": to})
			var out struct{ ExportEvents struct{ URL string } }
			gqltest.Decode(b, resp.Data, &out)
			u, err := url.Parse(out.ExportEvents.URL)
			if err != nil || out.ExportEvents.URL == "" {
				b.Fatalf("export link: %s %v", resp.Data, err)
			}
			want := int64(total) * int64(c.days) / 100
			var rows int64
			var peak uint64
			var allocs uint64
			var elapsed time.Duration
			for b.Loop() {
				runtime.GC()
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				stop := heapPeak()
				t0 := time.Now()
				res, err := http.Get(srv.URL + u.RequestURI())
				if err != nil {
					b.Fatal(err)
				}
				sink := &countingDiscard{}
				if _, err := io.Copy(sink, bufio.NewReaderSize(res.Body, 64<<10)); err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				elapsed += time.Since(t0)
				if p := stop(); p > peak {
					peak = p
				}
				runtime.ReadMemStats(&m1)
				allocs += m1.TotalAlloc - m0.TotalAlloc
				got := sink.lines - 1 // the header
				// A day boundary may fall between two generated rows.
				if res.StatusCode != 200 || got < want-2 || got > want+2 {
					b.Fatalf("export of %d days: status %d, %d rows, want about %d", c.days, res.StatusCode, got, want)
				}
				rows += got
			}
			b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(allocs)/float64(rows), "alloc-B/row")
			b.ReportMetric(float64(rows/int64(b.N)), "rows")
		})
	}
}
