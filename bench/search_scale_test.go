package bench

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// BenchmarkSearchAtScale is BenchmarkSearch over a big catalog: the stack's
// products database is grown to BENCH_SCALE (default 50, i.e. about 10,000
// products; the figure is 500, about 100,000) before measuring, and
// the plans of the search's statements are logged (-v) to show the indexes
// they use.
func BenchmarkSearchAtScale(b *testing.B) {
	scale := 50
	if v, err := strconv.Atoi(os.Getenv("BENCH_SCALE")); err == nil && v > 0 {
		scale = v
	}
	// Only the catalog: search needs none of the orders and sessions,
	// which take 16 MiB of memory per unit of scale (8 GiB at 500).
	w, err := demo.CatalogOnly(demo.Options{Scale: scale})
	if err != nil {
		b.Fatal(err)
	}
	st := stack.Start(b, stack.Options{World: w})
	ctx := context.Background()
	pool := st.Subgraphs["products"].Pool
	if _, err := pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var products int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM products`).Scan(&products); err != nil {
		b.Fatal(err)
	}
	lte := int64(25000)
	plans, err := postgres.New(pool).ExplainSearch(ctx, product.Search{Text: "backpack", CategoryIDs: []string{"cat_001"}, PriceLTE: &lte,
		Channel: "default-usd", Sort: product.ByPrice}, 20)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d products\nsearch plan (page, totalCount and facets):\n%s\npage-only plan:\n%s", products, plans["search"], plans["page"])
	b.Run("router", func(b *testing.B) { measureSearch(b, st.Router.URL+"/graphql") })
	b.Run("direct-products", func(b *testing.B) { measureSearch(b, st.Subgraphs["products"].Server.URL+"/graphql") })
}
