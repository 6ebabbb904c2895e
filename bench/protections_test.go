package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/router"
	"github.com/myshop/supergraph/router/config"
)

// BenchmarkProtections: the storefront query through two routers over the
// same subgraphs, one with every protection on (limits, cost, CSRF,
// in-flight cap, Redis rate limits, breaker, retries, redaction, metrics)
// and one with all of them off, requests alternating so both see the same
// machine. The goal: on/off p50 ≤ 1.05.
func BenchmarkProtections(b *testing.B) {
	st := stack.Start(b, stack.Options{Router: func(c *config.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.Rate, c.RateLimit.Burst = 1_000_000, 1_000_000 // measured, never hit
	}})

	off := config.Defaults()
	off.CSRF.Disabled = true
	off.IncludeSubgraphErrors = true
	l := &off.Limits
	l.ParserTokens, l.ParserDepth, l.MaxDepth, l.MaxHeight, l.MaxAliases, l.MaxRootFields, l.MaxDirectives, l.MaxCost = -1, -1, -1, -1, -1, -1, -1, -1
	off.Traffic.MaxInFlight, off.Traffic.Retry.MaxAttempts = -1, -1
	off.Traffic.RequestTimeout, off.Traffic.SubgraphTimeout = -1, -1
	off.Traffic.Breaker.Disabled = true
	off.Supergraph.Path, off.Supergraph.PollInterval = "../schema/supergraph.graphql", -1
	off.Telemetry.MetricsPath = "-"
	off.Subgraphs = map[string]config.Subgraph{}
	for name, sg := range st.Subgraphs {
		off.Subgraphs[name] = config.Subgraph{URLs: []string{sg.Server.URL + "/graphql"}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	bare, err := router.New(ctx, off, router.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bare.Close() })
	bareSrv := httptest.NewServer(bare)
	b.Cleanup(bareSrv.Close)

	body, _ := json.Marshal(map[string]string{"query": storefront})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	do := func(url string) time.Duration {
		start := time.Now()
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
		return time.Since(start)
	}
	protected, unprotected := st.Router.URL+"/graphql", bareSrv.URL+"/graphql"
	do(protected)
	do(unprotected)
	var onLat, offLat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			onLat = append(onLat, do(protected))
			offLat = append(offLat, do(unprotected))
		} else {
			offLat = append(offLat, do(unprotected))
			onLat = append(onLat, do(protected))
		}
	}
	b.StopTimer()
	slices.Sort(onLat)
	slices.Sort(offLat)
	p50 := func(l []time.Duration) float64 { return float64(l[len(l)/2].Microseconds()) }
	b.ReportMetric(p50(onLat), "on-p50-µs")
	b.ReportMetric(p50(offLat), "off-p50-µs")
	b.ReportMetric(p50(onLat)/p50(offLat), "on/off")
}
