package products_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/products"
	pgstore "github.com/myshop/supergraph/subgraphs/products/postgres"
)

// newSubgraph is the products GraphQL handler over a fresh seeded database,
// with a counter of the SQL statements it runs.
func newSubgraph(t *testing.T) (http.Handler, *postgres.StatementCounter) {
	t.Helper()
	return newSubgraphEnv(t, nil)
}

// newSubgraphEnv is newSubgraph with settings; images go to a temporary
// directory unless env says otherwise.
func newSubgraphEnv(t *testing.T, env map[string]string) (http.Handler, *postgres.StatementCounter) {
	t.Helper()
	settings := map[string]string{"PRODUCTS_MEDIA_DIR": t.TempDir()}
	maps.Copy(settings, env)
	ctx := context.Background()
	counter := &postgres.StatementCounter{}
	pool, err := postgres.Open(ctx, pgtest.NewDatabase(t, pgstore.Migrations), counter)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pgstore.Seed(ctx, pool, demo.Default()); err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	return products.Handler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), LoaderWait: subgraph.DefaultLoaderWait,
		Getenv: func(k string) string { return settings[k] }}), counter
}

func TestProductsPage(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	resp := gqltest.Do(t, h, `{ products(first: 2) { edges { node { id name price { amount currencyCode minorUnits } } } pageInfo { hasNextPage hasPreviousPage } } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	gqltest.JSONEq(t, resp.Data, `{"products":{"edges":[
		{"node":{"id":"prd_00001","name":"Deluxe Smart Bulb","price":{"amount":"301.99","currencyCode":"USD","minorUnits":30199}}},
		{"node":{"id":"prd_00002","name":"Classic French Press","price":{"amount":"163.99","currencyCode":"USD","minorUnits":16399}}}],
		"pageInfo":{"hasNextPage":true,"hasPreviousPage":false}}}`)
}

func TestProductsPaginationVisitsEveryProductOnce(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	seen := map[string]bool{}
	var after any
	for pages := 0; ; pages++ {
		if pages > demo.ProductsPerScale {
			t.Fatal("pagination does not end")
		}
		var resp struct {
			Products struct {
				Edges []struct {
					Cursor string
					Node   struct{ ID string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
		r := gqltest.Do(t, h, `query($after: String) { products(first: 7, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		gqltest.Decode(t, r.Data, &resp)
		for _, e := range resp.Products.Edges {
			if seen[e.Node.ID] {
				t.Fatalf("%s seen twice", e.Node.ID)
			}
			seen[e.Node.ID] = true
		}
		if !resp.Products.PageInfo.HasNextPage {
			break
		}
		after = *resp.Products.PageInfo.EndCursor
	}
	// Anonymous: the 6 drafts (every 33rd) and 2 scheduled products (every
	// 97th) are not listed.
	if want := demo.ProductsPerScale - 8; len(seen) != want {
		t.Fatalf("saw %d products, want %d", len(seen), want)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	tests := []struct {
		name, query, code string
	}{
		{"first too large", `{ products(first: 101) { edges { cursor } } }`, "BAD_USER_INPUT"},
		{"negative first", `{ products(first: -1) { edges { cursor } } }`, "BAD_USER_INPUT"},
		{"garbage cursor", `{ products(after: "nope") { edges { cursor } } }`, "INVALID_CURSOR"},
		{"cursor of another list", `{ products(after: "cmV2aWV3c3xyZXZfMDAwMDE") { edges { cursor } } }`, "INVALID_CURSOR"},
		{"nested first too large", `{ products(first: 1) { edges { node { reviews(first: 500) { edges { cursor } } } } } }`, "BAD_USER_INPUT"},
		{"unknown field", `{ products { nope } }`, "GRAPHQL_VALIDATION_FAILED"},
		{"parse error", `{ products {`, "GRAPHQL_PARSE_FAILED"},
		{"first 1000", `{ products(first: 1000) { edges { cursor } } }`, "BAD_USER_INPUT"},
		{"negative price", `{ products(where: {price: {gte: "-1"}}) { edges { cursor } } }`, "BAD_USER_INPUT"},
		{"too many decimals", `{ products(where: {price: {lte: "1.999"}}) { edges { cursor } } }`, "BAD_USER_INPUT"},
		{"unknown channel", `{ products(channel: "mars") { edges { cursor } } }`, "BAD_USER_INPUT"},
		{"20 KB search", `{ products(search: "` + strings.Repeat("a", 20<<10) + `") { edges { cursor } } }`, "BAD_USER_INPUT"},
		{"relevance without search", `{ products(sortBy: {field: RELEVANCE}) { edges { cursor } } }`, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := gqltest.Do(t, h, tt.query, nil)
			if len(resp.Errors) == 0 || resp.Errors[0].Code() != tt.code {
				t.Fatalf("errors = %+v, want code %s", resp.Errors, tt.code)
			}
		})
	}
}

func TestUnknownProductIsNull(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	resp := gqltest.Do(t, h, `{ product(id: "prd_99999") { id } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	gqltest.JSONEq(t, resp.Data, `{"product":null}`)
}

// TestNoNPlusOne: a page of products with their reviews and each review's
// product costs the same statements for 5 products as for 50.
func TestNoNPlusOne(t *testing.T) {
	t.Parallel()
	h, counter := newSubgraph(t)
	count := func(n int) int64 {
		counter.Reset()
		resp := gqltest.Do(t, h, `query($n: Int) { products(first: $n) { edges { node { id reviews(first: 3) { edges { node { rating product { name } author { id reviews(first: 2) { edges { node { id } } } } } } } } } } }`, map[string]any{"n": n})
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		return counter.Count()
	}
	small, large := count(5), count(50)
	if small != large || small != 4 {
		t.Fatalf("statements: %d for 5 products, %d for 50; want 4 for both (products, reviews, their products, authors' reviews)", small, large)
	}
}

func TestEntitiesBatch(t *testing.T) {
	t.Parallel()
	h, counter := newSubgraph(t)
	resp := gqltest.Do(t, h, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name } ... on Review { id rating } ... on User { id reviews(first: 1) { edges { node { id } } } } } }`,
		map[string]any{"r": []any{
			map[string]any{"__typename": "Product", "id": "prd_00002"},
			map[string]any{"__typename": "Product", "id": "prd_99999"},
			map[string]any{"__typename": "Product", "id": "prd_00001"},
			map[string]any{"__typename": "Review", "id": "rev_00001"},
			map[string]any{"__typename": "User", "id": "usr_0001"},
		}})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	gqltest.JSONEq(t, resp.Data, `{"_entities":[
		{"id":"prd_00002","name":"Classic French Press"},
		null,
		{"id":"prd_00001","name":"Deluxe Smart Bulb"},
		{"id":"rev_00001","rating":5},
		{"id":"usr_0001","reviews":{"edges":[{"node":{"id":"rev_00032"}}]}}]}`)
	if n := counter.Count(); n != 3 {
		t.Fatalf("statements = %d, want 3 (products, reviews, user reviews)", n)
	}
}
