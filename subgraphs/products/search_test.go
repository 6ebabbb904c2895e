package products_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

type searchPage struct {
	Products struct {
		Edges []struct {
			Cursor string
			Node   struct {
				ID    string
				Name  string
				Price struct{ MinorUnits int }
			}
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
		TotalCount int
	}
}

const searchQuery = `query($s: String, $w: ProductWhere, $sort: ProductSort, $ch: String, $first: Int, $after: String) {
  products(search: $s, where: $w, sortBy: $sort, channel: $ch, first: $first, after: $after) {
    edges { cursor node { id name price { minorUnits } } } pageInfo { hasNextPage endCursor } totalCount } }`

// walk pages through a search and returns the ids in order.
func walk(t *testing.T, h http.Handler, vars map[string]any, first int) ([]string, int) {
	t.Helper()
	var ids []string
	total := -1
	vars["first"] = first
	for pages := 0; ; pages++ {
		if pages > 300 {
			t.Fatal("pagination does not end")
		}
		r := gqltest.Do(t, h, searchQuery, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var p searchPage
		gqltest.Decode(t, r.Data, &p)
		total = p.Products.TotalCount
		for _, e := range p.Products.Edges {
			ids = append(ids, e.Node.ID)
		}
		if !p.Products.PageInfo.HasNextPage {
			return ids, total
		}
		vars["after"] = *p.Products.PageInfo.EndCursor
	}
}

// TestEverySortPagesWithoutDuplicatesOrGaps: many demo products share a
// price, a name or a rating; the id tie-breaker must keep pages exact.
func TestEverySortPagesWithoutDuplicatesOrGaps(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	for _, sort := range []map[string]any{
		{"field": "PRICE"}, {"field": "PRICE", "direction": "DESC"}, {"field": "NAME"},
		{"field": "CREATED_AT", "direction": "DESC"}, {"field": "RATING"},
	} {
		ids, total := walk(t, h, map[string]any{"sort": sort}, 7)
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("sort %v: %s twice", sort, id)
			}
			seen[id] = true
		}
		if len(ids) != total || total != 192 {
			t.Fatalf("sort %v: walked %d, totalCount %d, want 192", sort, len(ids), total)
		}
	}
}

func TestPriceSortIsOrderedAndFiltered(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	r := gqltest.Do(t, h, searchQuery, map[string]any{"sort": map[string]any{"field": "PRICE"}, "first": 100,
		"w": map[string]any{"price": map[string]any{"gte": "50", "lte": "100.00"}}})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var p searchPage
	gqltest.Decode(t, r.Data, &p)
	last := 0
	for _, e := range p.Products.Edges {
		m := e.Node.Price.MinorUnits
		if m < 5000 || m > 10000 || m < last {
			t.Fatalf("price %d out of range or order after %d", m, last)
		}
		last = m
	}
	if len(p.Products.Edges) == 0 {
		t.Fatal("no products between 50 and 100")
	}
}

func TestCursorOfAnotherSearchIsRefused(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	r := gqltest.Do(t, h, searchQuery, map[string]any{"sort": map[string]any{"field": "PRICE"}, "first": 2})
	var p searchPage
	gqltest.Decode(t, r.Data, &p)
	for name, vars := range map[string]map[string]any{
		"other sort":    {"sort": map[string]any{"field": "NAME"}},
		"other filter":  {"sort": map[string]any{"field": "PRICE"}, "w": map[string]any{"brandIds": []string{"brd_001"}}},
		"other channel": {"sort": map[string]any{"field": "PRICE"}, "ch": "eu-eur"},
	} {
		vars["after"] = *p.Products.PageInfo.EndCursor
		r := gqltest.Do(t, h, searchQuery, vars)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "INVALID_CURSOR" {
			t.Errorf("%s: errors = %+v, want INVALID_CURSOR", name, r.Errors)
		}
	}
}

func TestSearch(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	tests := []struct {
		name   string
		vars   map[string]any
		min    int
		max    int
		inName string
	}{
		{"word", map[string]any{"s": "kettle"}, 1, 200, "Kettle"},
		{"typo", map[string]any{"s": "hedphones"}, 1, 200, "Headphones"},
		{"quotes and wildcards are text", map[string]any{"s": `%' OR 1=1 --_`}, 0, 0, ""},
		{"unknown category matches nothing", map[string]any{"w": map[string]any{"categoryIds": []string{"cat_999"}}}, 0, 0, ""},
		{"category includes sub-categories", map[string]any{"w": map[string]any{"categoryIds": []string{"cat_001"}}}, 1, 200, ""},
		{"attribute and brand", map[string]any{"w": map[string]any{"attributes": []any{map[string]any{"slug": "colour", "values": []string{"black", "navy"}}}, "brandIds": []string{"brd_001", "brd_002", "brd_003"}}}, 1, 100, ""},
		{"rating", map[string]any{"w": map[string]any{"rating": map[string]any{"gte": 4.5}}}, 1, 192, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, total := walk(t, h, tt.vars, 100)
			if len(ids) != total || total < tt.min || total > tt.max {
				t.Fatalf("%d results (totalCount %d), want %d to %d", len(ids), total, tt.min, tt.max)
			}
			if tt.inName != "" {
				r := gqltest.Do(t, h, searchQuery, map[string]any{"s": tt.vars["s"], "first": 1})
				var p searchPage
				gqltest.Decode(t, r.Data, &p)
				if !strings.Contains(p.Products.Edges[0].Node.Name, tt.inName) {
					t.Fatalf("best match %q, want one with %q", p.Products.Edges[0].Node.Name, tt.inName)
				}
			}
		})
	}
}

func TestFacetsCountTheMatches(t *testing.T) {
	t.Parallel()
	h, counter := newSubgraph(t)
	r := gqltest.Do(t, h, `{ products(where: {brandIds: ["brd_001", "brd_002"]}, first: 1) { totalCount facets {
		categories { id count } brands { id name count } attributes { slug values { value count } } priceBands { gte { amount } lt { amount } count } } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var p struct {
		Products struct {
			TotalCount int
			Facets     struct {
				Categories, Brands []struct{ Count int }
				PriceBands         []struct{ Count int }
			}
		}
	}
	gqltest.Decode(t, r.Data, &p)
	sum := func(xs []struct{ Count int }) (n int) {
		for _, x := range xs {
			n += x.Count
		}
		return n
	}
	f := p.Products.Facets
	if n := p.Products.TotalCount; n == 0 || sum(f.Brands) != n || sum(f.Categories) != n || sum(f.PriceBands) != n || len(f.Brands) != 2 {
		t.Fatalf("totalCount %d, facets %+v", n, f)
	}
	// The page, the count and the facets come from one statement that
	// finds the matches once.
	if n := counter.Count(); n != 1 {
		t.Fatalf("statements = %d, want 1 (page, count and facets together)", n)
	}
	// A cursor moves the page, not the count or the facets: they cover
	// every match. Past the last match the page is empty and they remain.
	counter.Reset()
	all, total := walk(t, h, map[string]any{"w": map[string]any{"brandIds": []string{"brd_001", "brd_002"}}}, 50)
	if total != p.Products.TotalCount || len(all) != total {
		t.Fatalf("walked %d with totalCount %d, want %d", len(all), total, p.Products.TotalCount)
	}
	r = gqltest.Do(t, h, `query($after: String) { products(where: {brandIds: ["brd_001", "brd_002"]}, first: 5, after: $after) {
		edges { node { id } } totalCount facets { brands { count } } } }`, map[string]any{"after": lastCursor(t, h, all)})
	var end struct {
		Products struct {
			Edges      []any
			TotalCount int
			Facets     struct{ Brands []struct{ Count int } }
		}
	}
	gqltest.Decode(t, r.Data, &end)
	if len(end.Products.Edges) != 0 || end.Products.TotalCount != total || sum(end.Products.Facets.Brands) != total {
		t.Fatalf("past the end: %+v (errors %+v), want no edges, totalCount and facets %d", end.Products, r.Errors, total)
	}
	// Selected through a fragment, they still ride with the page.
	counter.Reset()
	r = gqltest.Do(t, h, `{ products(first: 2) { ...agg } } fragment agg on ProductConnection { totalCount facets { brands { count } } }`, nil)
	if len(r.Errors) > 0 || counter.Count() != 1 {
		t.Fatalf("fragment: %d statements, errors %+v", counter.Count(), r.Errors)
	}
	counter.Reset()
	gqltest.Do(t, h, `{ products(first: 5) { edges { node { id } } } }`, nil)
	if n := counter.Count(); n != 1 {
		t.Fatalf("statements without totalCount and facets = %d, want 1", n)
	}
}

// lastCursor is the cursor of the last of ids (a walk of the brd_001 and
// brd_002 products in the default order), fetched in one page.
func lastCursor(t *testing.T, h http.Handler, ids []string) string {
	t.Helper()
	var p searchPage
	r := gqltest.Do(t, h, searchQuery, map[string]any{"w": map[string]any{"brandIds": []string{"brd_001", "brd_002"}}, "first": len(ids)})
	gqltest.Decode(t, r.Data, &p)
	if len(p.Products.Edges) != len(ids) {
		t.Fatalf("got %d edges, want %d", len(p.Products.Edges), len(ids))
	}
	return p.Products.Edges[len(ids)-1].Cursor
}

// TestSearchDocumentFollowsWrites: search reads product_search, which
// triggers keep in the writing transaction: a new product, a rename, a
// price change and publishing show in the next search.
func TestSearchDocumentFollowsWrites(t *testing.T) {
	t.Parallel()
	base, _ := newSubgraph(t)
	staff := as(base, "usr_0002", "MANAGE_PRODUCTS")
	mutate := func(q string, vars map[string]any) map[string]any {
		t.Helper()
		r := gqltest.Do(t, staff, q, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var out map[string]any
		gqltest.Decode(t, r.Data, &out)
		return out
	}
	found := func(h http.Handler, vars map[string]any) []string {
		t.Helper()
		ids, _ := walk(t, h, vars, 100)
		return ids
	}
	out := mutate(`mutation { createProduct(input: {name: "Zyzzogeton Lantern", basePrice: "12.50", categoryId: "cat_003",
		brandId: "brd_004", productTypeId: "pty_001"}) { product { id } errors { code } } }`, nil)
	id := out["createProduct"].(map[string]any)["product"].(map[string]any)["id"].(string)
	if ids := found(staff, map[string]any{"s": "zyzzogeton"}); len(ids) != 1 || ids[0] != id {
		t.Fatalf("staff search for the new draft: %v, want [%s]", ids, id)
	}
	if ids := found(base, map[string]any{"s": "zyzzogeton"}); len(ids) != 0 {
		t.Fatalf("a customer finds the draft: %v", ids)
	}
	mutate(`mutation($id: ID!) { updateProduct(id: $id, input: {name: "Quillwort Lantern", status: PUBLISHED}) { errors { code } } }`, map[string]any{"id": id})
	if ids := found(base, map[string]any{"s": "zyzzogeton"}); len(ids) != 0 {
		t.Fatalf("old name still found: %v", ids)
	}
	if ids := found(base, map[string]any{"s": "quillwort", "w": map[string]any{"brandIds": []string{"brd_004"}, "categoryIds": []string{"cat_001"}}}); len(ids) != 1 {
		t.Fatalf("published rename with brand and category: %v", ids)
	}
	cheap := map[string]any{"s": "quillwort", "w": map[string]any{"price": map[string]any{"lte": "13"}}}
	if ids := found(base, cheap); len(ids) != 1 {
		t.Fatalf("priced 12.50, price lte 13: %v", ids)
	}
	mutate(`mutation($id: ID!) { updateProduct(id: $id, input: {basePrice: "40"}) { errors { code } } }`, map[string]any{"id": id})
	if ids := found(base, cheap); len(ids) != 0 {
		t.Fatalf("repriced to 40, price lte 13: %v", ids)
	}
}
