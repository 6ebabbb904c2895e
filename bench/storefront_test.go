// Package bench measures the router against the subgraphs it fronts. Only
// ratios measured in one run mean anything on a shared machine.
package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/e2e/stack"
)

// storefront is the spine's acceptance query. The products subgraph alone
// can answer all of it but the authors' names: that is the floor.
const (
	storefront       = `{ products(first: 5) { edges { node { id name price { amount currencyCode } reviews(first: 3) { edges { node { rating author { id name } } } } } } } }`
	storefrontDirect = `{ products(first: 5) { edges { node { id name price { amount currencyCode } reviews(first: 3) { edges { node { rating author { id } } } } } } } }`
)

// BenchmarkStorefront reports p50 and p99 latency of the storefront query
// through the router, and of its products-only part sent straight to the
// products subgraph. Compare router/p50 with direct/p50 of the same run.
func BenchmarkStorefront(b *testing.B) {
	st := stack.Start(b, stack.Options{})
	b.Run("router", func(b *testing.B) { measure(b, st.Router.URL+"/graphql", storefront) })
	b.Run("direct-products", func(b *testing.B) {
		measure(b, st.Subgraphs["products"].Server.URL+"/graphql", storefrontDirect)
	})
}

func measure(b *testing.B, url, query string) {
	body, _ := json.Marshal(map[string]string{"query": query})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	do := func() {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
		if !strings.Contains(string(out), `"prd_00005"`) {
			b.Fatalf("unexpected answer: %s", out)
		}
	}
	do() // warm caches: plan cache, gqlgen query cache, connections
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		do()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
