package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkCachedPlan measures one request of a repeated operation (plan
// cache hit) against static in-process subgraphs: a root fetch plus one
// batched entity fetch.
func BenchmarkCachedPlan(b *testing.B) {
	products := newFakeSubgraph(b, productsResponse)
	users := newFakeSubgraph(b, usersResponse)
	h := newRouter(b, map[string]string{"products": products.URL, "users": users.URL})
	const body = `{"query":"query Catalog($n: Int) { products(first: $n) { edges { node { id name reviews { edges { node { body author { name } } } } } } } }","variables":{"n":3}}`
	run := func() {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 || strings.Contains(w.Body.String(), "errors") {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	run() // plan once
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
}
