package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/myshop/supergraph/router/compose"
)

// The Guild's public gateways benchmark (four subgraphs, its heavy nested
// query), which Cosmo, Hive Gateway and Apollo answer with their defaults:
// so does ours, and its estimate is far below the limit.
func TestGatewaysBenchmarkQueryIsNotRefused(t *testing.T) {
	const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides"])
`
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "accounts", URL: "http://accounts.invalid", SDL: link + `type Query { me: User users: [User] user(id: ID!): User }
type User @key(fields: "id") { id: ID! name: String username: String birthday: Int }`},
		{Name: "inventory", URL: "http://inventory.invalid", SDL: link + `type Product @key(fields: "upc") { upc: String! weight: Int @external price: Int @external
  inStock: Boolean shippingEstimate: Int @requires(fields: "price weight") }`},
		{Name: "products", URL: "http://products.invalid", SDL: link + `type Query { topProducts(first: Int = 5): [Product] }
type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`},
		{Name: "reviews", URL: "http://reviews.invalid", SDL: link + `type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
type Product @key(fields: "upc") { upc: String! reviews: [Review] }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	empty := newFakeSubgraph(t, func(subgraphRequest) string { return `{"data":{"users":[],"topProducts":[]}}` })
	h := newRouterFor(t, sdl, map[string]string{"accounts": empty.URL, "inventory": empty.URL, "products": empty.URL, "reviews": empty.URL})
	const heavy = `fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users { ...User reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } } }
  topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }
}`
	body, _ := json.Marshal(map[string]any{"query": heavy, "extensions": map[string]any{"cost": true}})
	r := do(h, http.MethodPost, string(body), nil)
	var resp struct {
		Errors     []struct{ Extensions struct{ Code string } }
		Extensions struct {
			Cost struct{ Estimated, Limit int }
		}
	}
	if err := json.Unmarshal([]byte(r.body), &resp); err != nil || r.status != 200 || strings.Contains(r.body, "COST_ESTIMATED_TOO_EXPENSIVE") {
		t.Fatalf("heavy query: %d %s", r.status, r.body)
	}
	if c := resp.Extensions.Cost; c.Estimated == 0 || c.Estimated*10 > c.Limit {
		t.Errorf("heavy query costs %d of %d: want a tenth of the limit or less", c.Estimated, c.Limit)
	}
	t.Logf("the gateways benchmark's heavy query: estimated %d", resp.Extensions.Cost.Estimated)
}
