package server_test

import (
	"strings"
	"testing"

	"github.com/myshop/supergraph/router/compose"
)

// TestPlanAfterAnotherOperation: a planner reused after planning one
// operation failed, more often than not, to plan the next one ("selection
// set on path query is empty"); each plan now gets a fresh planner. Fresh
// routers make the flaky failure show reliably.
func TestPlanAfterAnotherOperation(t *testing.T) {
	const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
`
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "accounts", URL: "http://accounts.invalid", SDL: link + `type Query { me: User hello: String } type User @key(fields: "id") { id: ID! name: String email: String }`},
		{Name: "orders", URL: "http://orders.invalid", SDL: link + `type User @key(fields: "id") { id: ID! orders: [Order!] } type Order { id: ID! }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	accounts := newFakeSubgraph(t, func(subgraphRequest) string {
		return `{"data":{"me":{"__typename":"User","id":"u1","name":"Ada","email":"ada@x"},"hello":"hi"}}`
	})
	orders := newFakeSubgraph(t, func(subgraphRequest) string {
		return `{"data":{"_entities":[{"__typename":"User","orders":[{"id":"o1"}]}]}}`
	})
	for range 10 {
		h := newRouterFor(t, sdl, map[string]string{"accounts": accounts.URL, "orders": orders.URL})
		if res := query(t, h, `{ me { name email orders { id } } hello }`, nil); strings.Contains(res.body, "errors") {
			t.Fatalf("first: %s", res.body)
		}
		if res := query(t, h, `{ me { name } }`, nil); compact(t, res.body) != `{"data":{"me":{"name":"Ada"}}}` {
			t.Fatalf("second: %s", res.body)
		}
	}
}
