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

// TestCachedPlanSurvivesKitReuse: a cached plan must not point into the
// pooled document of the request that built it. It did: the next requests
// overwrote that buffer, and the cached plan then answered with field names
// made of their bytes (" } } ") or nulls.
func TestCachedPlanSurvivesKitReuse(t *testing.T) {
	const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
`
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "accounts", URL: "http://accounts.invalid", SDL: link + `type Query { me: User hello(x: String): String } type Mutation { login(email: String!, password: String!): User! } type User @key(fields: "id") { id: ID! name: String email: String }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	accounts := newFakeSubgraph(t, func(r subgraphRequest) string {
		if strings.Contains(r.Query, "login") {
			return `{"data":{"login":{"name":"Ada"}}}`
		}
		return `{"data":{"me":{"name":"Ada","email":"ada@x"},"hello":"hi","x1":"hi","x2":"hi","x3":"hi"}}`
	})
	h := newRouterFor(t, sdl, map[string]string{"accounts": accounts.URL})
	// Long, so the kit's buffer is big enough that the shorter requests
	// after it are written into the same bytes.
	first := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { name } }` + strings.Repeat(" ", 300)
	vars := map[string]any{"e": "ada@x", "p": "secret"}
	if res := query(t, h, first, vars); compact(t, res.body) != `{"data":{"login":{"name":"Ada"}}}` {
		t.Fatalf("first: %s", res.body)
	}
	for i := range 20 {
		filler := `query F` + strings.Repeat("x", i) + ` { x1: hello(x: "a") x2: hello x3: hello }`
		query(t, h, filler, nil)
	}
	if res := query(t, h, first, vars); compact(t, res.body) != `{"data":{"login":{"name":"Ada"}}}` {
		t.Fatalf("the cached plan changed under the next requests: %s", res.body)
	}
}
