package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/myshop/supergraph/e2e/stack"
)

// The product page of issue #5: everything a storefront shows for one
// product. Through the router it touches three subgraphs: products (the
// product, variants, prices, images, rating, reviews), inventory (stock on
// each variant, one _entities fetch) and users (the authors' names, one
// _entities fetch), the last two in parallel.
const (
	productPageFields = `id name slug description status price { amount currencyCode }
    pricing { from { amount } to { amount } }
    category { id name ancestors { id name } } brand { id name }
    attributes { attribute { slug name } value }
    variants { id sku name options { name value } weightGrams price { amount currencyCode } %s }
    images { url alt contentType width height thumbnails { size url width height } }
    rating { average count distribution { rating count } }
    reviews(first: 5) { edges { node { id rating title body createdAt helpfulCount author { id %s } } } pageInfo { hasNextPage endCursor } }`
	stockFields  = `availableQuantity inStock`
	authorFields = `name`
)

var (
	productPageByID   = fmt.Sprintf(`query($id: ID!) { product(id: $id) { `+productPageFields+` } }`, stockFields, authorFields)
	productPageBySlug = fmt.Sprintf(`query($slug: String!) { productBySlug(slug: $slug) { `+productPageFields+` } }`, stockFields, authorFields)
	// The products-only part: what the products subgraph answers of the
	// page by itself (no stock, authors by id only). The router's page can
	// be no faster than this plus the inventory and users fetches.
	productPageDirect = fmt.Sprintf(`query($id: ID!) { product(id: $id) { `+productPageFields+` } }`, "", "")
)

// pageProduct is a demo product the page is measured on.
type pageProduct struct {
	ID, Slug          string
	Variants, Reviews int // variants, and reviews on the page (at most 5)
}

// BenchmarkProductPage reports the product page's p50/p99 through the
// router (by id and by slug) and its products-only part straight to the
// products subgraph; compare within one run. It runs on the product with
// the most variants and reviews among those with images and on the one
// with the fewest, with the subgraph requests and SQL statements a page
// costs (which must not grow with either). It runs twice, as
// BenchmarkFederation does: with the subgraphs' default dataloader window
// (1ms, which every batched level of the page waits out) and with 5ms.
func BenchmarkProductPage(b *testing.B) {
	for _, wait := range []time.Duration{0, 5 * time.Millisecond} {
		name := "loaderWait=default"
		if wait > 0 {
			name = "loaderWait=" + wait.String()
		}
		st := stack.Start(b, stack.Options{LoaderWait: wait})
		router := st.Router.URL + "/graphql"
		small, big := pageProducts(b, router)
		b.Logf("%s: small page %+v, big page %+v", name, small, big)

		// Cost per page, counted on one request each, before anything is
		// timed. Only the 5ms window is checked: with 1ms a loaded machine
		// may split one batch in two, which is not growth.
		if wait > 0 {
			cs, cb := pageCost(b, st, router, small), pageCost(b, st, router, big)
			b.Logf("cost per page: small %s; big %s", cs, cb)
			if cs != cb {
				b.Fatalf("a page's cost grew with its variants and reviews: small %s, big %s", cs, cb)
			}
		}

		for _, p := range []struct {
			size string
			pageProduct
		}{{"small", small}, {"big", big}} {
			byID := map[string]any{"id": p.ID}
			b.Run(fmt.Sprintf("%s/%s/router", name, p.size), func(b *testing.B) {
				for _, sg := range st.Subgraphs {
					sg.ResetCounts()
				}
				measureProductPage(b, router, productPageByID, byID, p.pageProduct, true)
				// Measured over the run (b.N timed pages and the warm-up),
				// so a page that sometimes costs more shows as a fraction.
				var reqs, stmts int64
				for _, sg := range st.Subgraphs {
					reqs += sg.Requests()
					stmts += sg.Statements.Count()
				}
				b.ReportMetric(float64(reqs)/float64(b.N+1), "subgraph-requests/op")
				b.ReportMetric(float64(stmts)/float64(b.N+1), "sql/op")
			})
			if p.size == "big" {
				b.Run(fmt.Sprintf("%s/%s/router-by-slug", name, p.size), func(b *testing.B) {
					measureProductPage(b, router, productPageBySlug, map[string]any{"slug": p.Slug}, p.pageProduct, true)
				})
			}
			b.Run(fmt.Sprintf("%s/%s/direct-products", name, p.size), func(b *testing.B) {
				st.Subgraphs["products"].Statements.Reset()
				measureProductPage(b, st.Subgraphs["products"].Server.URL+"/graphql", productPageDirect, byID, p.pageProduct, false)
				b.ReportMetric(float64(st.Subgraphs["products"].Statements.Count())/float64(b.N+1), "sql/op")
			})
		}
	}
}

// pageProducts picks, among the demo products with images, the one with
// the fewest variants and page reviews and the one with the most, so the
// two pages differ in both.
func pageProducts(b *testing.B, url string) (small, big pageProduct) {
	b.Helper()
	var out struct {
		Products struct {
			Edges []struct {
				Node struct {
					ID, Slug string
					Variants []struct{ ID string }
					Images   []struct{ URL string }
					Reviews  struct{ Edges []struct{ Cursor string } }
				}
			}
		}
	}
	data := must(b)(gqlPost(url, "", `query($n: Int) { products(first: $n) { edges { node { id slug variants { id } images { url } reviews(first: 5) { edges { cursor } } } } } }`,
		map[string]any{"n": demo.DemoImages}))
	if err := json.Unmarshal(data, &out); err != nil {
		b.Fatal(err)
	}
	var ps []pageProduct
	for _, e := range out.Products.Edges {
		if len(e.Node.Images) == 0 {
			continue
		}
		ps = append(ps, pageProduct{ID: e.Node.ID, Slug: e.Node.Slug, Variants: len(e.Node.Variants), Reviews: len(e.Node.Reviews.Edges)})
	}
	if len(ps) < 2 {
		b.Fatalf("only %d demo products with images: %s", len(ps), data)
	}
	weight := func(p pageProduct) int { return p.Variants + p.Reviews }
	slices.SortStableFunc(ps, func(x, y pageProduct) int { return weight(x) - weight(y) })
	small, big = ps[0], ps[len(ps)-1]
	if small.Variants >= big.Variants && small.Reviews >= big.Reviews {
		b.Fatalf("the demo products with images do not differ in size: %+v", ps)
	}
	return small, big
}

// pageCost is what one page of p costs: requests and SQL statements per
// subgraph that served it.
func pageCost(b *testing.B, st *stack.Stack, url string, p pageProduct) string {
	b.Helper()
	for _, sg := range st.Subgraphs {
		sg.ResetCounts()
	}
	must(b)(gqlPost(url, "", productPageByID, map[string]any{"id": p.ID}))
	var cost string
	for _, name := range []string{"products", "inventory", "users"} {
		sg := st.Subgraphs[name]
		cost += fmt.Sprintf("%s %d req %d sql, ", name, sg.Requests(), sg.Statements.Count())
	}
	var others int64
	for name, sg := range st.Subgraphs {
		if name != "products" && name != "inventory" && name != "users" {
			others += sg.Requests()
		}
	}
	return cost + fmt.Sprintf("others %d req", others)
}

// measureProductPage times the page serially and checks each answer is the
// whole page of p: every variant (with stock when routed), the reviews with
// their authors' names, and an image.
func measureProductPage(b *testing.B, url, q string, vars map[string]any, p pageProduct, routed bool) {
	check := func(data json.RawMessage) {
		var out map[string]struct {
			Variants []struct{ AvailableQuantity *int }
			Images   []struct{ URL string }
			Reviews  struct {
				Edges []struct {
					Node struct{ Author struct{ ID, Name string } }
				}
			}
		}
		if err := json.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
		for _, page := range out {
			if len(page.Variants) != p.Variants || len(page.Reviews.Edges) != p.Reviews || len(page.Images) == 0 {
				b.Fatalf("not the page of %+v: %s", p, data)
			}
			for _, v := range page.Variants {
				if routed != (v.AvailableQuantity != nil) {
					b.Fatalf("stock routed=%v: %s", routed, data)
				}
			}
			for _, e := range page.Reviews.Edges {
				if e.Node.Author.ID == "" || routed != (e.Node.Author.Name != "") {
					b.Fatalf("authors routed=%v: %s", routed, data)
				}
			}
			return
		}
		b.Fatalf("no product: %s", data)
	}
	do := func() json.RawMessage {
		data, err := gqlPost(url, "", q, vars)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	// Warm the plan cache, gqlgen's query cache and connections, and check
	// the answer once; the timed loop checks only its size, cheaply.
	first := do()
	check(first)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		data := do()
		lat = append(lat, time.Since(start))
		if !bytes.Equal(data, first) {
			b.Fatalf("the page changed between requests:\n%s\n%s", first, data)
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
}
