package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/myshop/supergraph/e2e/stack"
)

// searchFacets is a storefront search: text, two filters, price sort,
// totalCount and facets, through the router.
const searchFacets = `{ products(search: "backpack", where: {categoryIds: ["cat_001"], price: {lte: "250"}},
  sortBy: {field: PRICE}, first: 20) { totalCount edges { node { id name price { amount } rating { average } } }
  facets { brands { id count } attributes { slug values { value count } } priceBands { count } } } }`

// BenchmarkSearch reports p50 and p99 of the search through the router
// and straight to the products subgraph; compare the two of one run.
func BenchmarkSearch(b *testing.B) {
	st := stack.Start(b, stack.Options{})
	b.Run("router", func(b *testing.B) { measureSearch(b, st.Router.URL+"/graphql") })
	b.Run("direct-products", func(b *testing.B) { measureSearch(b, st.Subgraphs["products"].Server.URL+"/graphql") })
}

func measureSearch(b *testing.B, url string) {
	body, _ := json.Marshal(map[string]string{"query": searchFacets})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	do := func() {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) || !bytes.Contains(out, []byte(`"totalCount"`)) {
			b.Fatalf("status %d: %s", resp.StatusCode, out)
		}
	}
	do()
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
