package products_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// as puts claims in every request's context, as the auth middleware does
// for a verified token; scope "" is a customer.
func as(h http.Handler, userID, scope string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &auth.Claims{Scope: scope}
		c.Subject = userID
		h.ServeHTTP(w, r.WithContext(auth.WithClaims(r.Context(), c)))
	})
}

func TestCatalogMutationsNeedManageProducts(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	q := `mutation { createBrand(input: {name: "Nope"}) { brand { id } errors { code } } }`
	for name, tt := range map[string]struct {
		h    http.Handler
		code string
	}{"anonymous": {h, "UNAUTHENTICATED"}, "customer": {as(h, "usr_0001", ""), "FORBIDDEN"}} {
		r := gqltest.Do(t, tt.h, q, nil)
		if len(r.Errors) == 0 || r.Errors[0].Code() != tt.code {
			t.Errorf("%s: errors %+v, want %s", name, r.Errors, tt.code)
		}
	}
}

func TestStaffBuildsAProduct(t *testing.T) {
	t.Parallel()
	base, _ := newSubgraph(t)
	staff := as(base, "usr_0002", "MANAGE_PRODUCTS")
	do := func(h http.Handler, q string, vars map[string]any) map[string]any {
		t.Helper()
		r := gqltest.Do(t, h, q, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		var out map[string]any
		gqltest.Decode(t, r.Data, &out)
		return out
	}
	out := do(staff, `mutation { createProduct(input: {name: "Test Lantern", basePrice: "12.50", categoryId: "cat_003",
		productTypeId: "pty_001", attributes: [{slug: "colour", value: "teal"}, {slug: "waterproof", value: "true"}]})
		{ product { id slug status price { amount } attributes { attribute { slug } value } } errors { code } } }`, nil)
	p := out["createProduct"].(map[string]any)["product"].(map[string]any)
	id := p["id"].(string)
	if p["slug"] != "test-lantern" || p["status"] != "DRAFT" || p["price"].(map[string]any)["amount"] != "12.50" {
		t.Fatalf("created %+v", p)
	}
	// A draft: invisible to a customer, visible to staff.
	if r := gqltest.Do(t, as(base, "usr_0001", ""), `query($id: ID!) { product(id: $id) { id } }`, map[string]any{"id": id}); string(r.Data) != `{"product":null}` {
		t.Fatalf("customer sees the draft: %s", r.Data)
	}
	tests := []struct{ name, q, code string }{
		{"slug taken", `mutation { createProduct(input: {name: "X", slug: "test-lantern", basePrice: "1"}) { errors { code field } } }`, "SLUG_TAKEN"},
		{"bad price", `mutation { createProduct(input: {name: "Y", basePrice: "-3"}) { errors { code } } }`, "INVALID_PRICE"},
		{"bad attribute", `mutation { createProduct(input: {name: "Z", basePrice: "1", productTypeId: "pty_001", attributes: [{slug: "colour", value: "plaid"}]}) { errors { code } } }`, "INVALID_ATTRIBUTE"},
		{"sku taken", `mutation { createVariant(input: {productId: "prd_00001", sku: "SKU-00001-1", name: "dup"}) { errors { code } } }`, "SKU_TAKEN"},
		{"unknown product", `mutation { updateProduct(id: "prd_nope", input: {name: "n"}) { errors { code } } }`, "NOT_FOUND"},
		{"cycle", `mutation { moveCategory(id: "cat_001", parentId: "cat_002") { errors { code } } }`, "CATEGORY_CYCLE"},
		{"unknown channel", `mutation { setVariantPrice(variantId: "var_000001", channel: "mars", amount: "1") { errors { code } } }`, "UNKNOWN_CHANNEL"},
		{"jpy decimals", `mutation { setVariantPrice(variantId: "var_000001", channel: "jp-jpy", amount: "1.5") { errors { code } } }`, "INVALID_PRICE"},
	}
	for _, tt := range tests {
		out := do(staff, tt.q, nil)
		for _, payload := range out {
			errs := payload.(map[string]any)["errors"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["code"] != tt.code {
				t.Errorf("%s: errors %v, want %s", tt.name, errs, tt.code)
			}
		}
	}
	// A cheaper variant in the default channel becomes the product's price.
	do(staff, `mutation($p: ID!) { createVariant(input: {productId: $p, sku: "LANTERN-S", name: "Small", weightGrams: 300,
		options: [{name: "Size", value: "S"}], prices: [{channel: "default-usd", amount: "9.99"}, {channel: "jp-jpy", amount: "1500"}]}) { errors { code } } }`,
		map[string]any{"p": id})
	out = do(staff, `query($id: ID!) { product(id: $id) { price { amount } pricing(channel: "jp-jpy") { from { amount currencyCode } }
		variants { sku price(channel: "eu-eur") { amount } } } }`, map[string]any{"id": id})
	want := `{"product":{"price":{"amount":"9.99"},"pricing":{"from":{"amount":"1500","currencyCode":"JPY"}},"variants":[{"sku":"LANTERN-S","price":null}]}}`
	gqltest.JSONEq(t, []byte(mustJSON(t, out)), want)
}

func TestCategoryTree(t *testing.T) {
	t.Parallel()
	base, _ := newSubgraph(t)
	staff := as(base, "usr_0002", "MANAGE_PRODUCTS")
	// cat_002 is Bags › Backpacks (a leaf); cat_006 is Kitchen › Coffee.
	r := gqltest.Do(t, staff, `mutation { moveCategory(id: "cat_002", parentId: "cat_006", position: 0) { category { position ancestors { name } } errors { code } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	gqltest.JSONEq(t, r.Data, `{"moveCategory":{"category":{"position":0,"ancestors":[{"name":"Kitchen"},{"name":"Coffee"}]},"errors":[]}}`)
	r = gqltest.Do(t, base, `{ category(id: "cat_001") { children { name position } } c: category(id: "cat_006") { children { name position } } }`, nil)
	gqltest.JSONEq(t, r.Data, `{"category":{"children":[{"name":"Totes","position":0},{"name":"Luggage","position":1}]},
		"c":{"children":[{"name":"Backpacks","position":0},{"name":"Grinders","position":1},{"name":"Kettles","position":2}]}}`)
}

// TestEntities100: the router's _entities batch of 100 products and 100
// variants costs one statement per entity type.
func TestEntities100(t *testing.T) {
	t.Parallel()
	h, counter := newSubgraph(t)
	var reps []any
	for i := 1; i <= 100; i++ {
		reps = append(reps, map[string]any{"__typename": "Product", "id": fmt.Sprintf("prd_%05d", i)},
			map[string]any{"__typename": "ProductVariant", "id": fmt.Sprintf("var_%06d", i)})
	}
	r := gqltest.Do(t, h, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id price { amount } } ... on ProductVariant { id sku prices { channel } } } }`,
		map[string]any{"r": reps})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var out struct {
		Entities []*struct{ ID string } `json:"_entities"`
	}
	gqltest.Decode(t, r.Data, &out)
	found := 0
	for _, e := range out.Entities {
		if e != nil {
			found++
		}
	}
	// Of the first 100 products, 3 drafts and 1 scheduled are invisible to
	// anyone but staff, and so are the variants of those 4 (ids 1–100 belong
	// to the first ~29 products, all visible).
	if len(out.Entities) != 200 || found != 196 {
		t.Fatalf("%d entities, %d found", len(out.Entities), found)
	}
	if n := counter.Count(); n != 2 {
		t.Fatalf("statements = %d, want 2 (products, variants)", n)
	}
}
