package server_test

import (
	"testing"
)

func TestEntityFetchAcrossSubgraphs(t *testing.T) {
	products := newFakeSubgraph(t, productsResponse)
	users := newFakeSubgraph(t, usersResponse)
	h := newRouter(t, map[string]string{"products": products.URL, "users": users.URL})

	res := query(t, h, `{ products(first: 3) { edges { node { id name reviews { edges { node { body author { id name } } } } } } } }`, nil)
	if res.status != 200 {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	want := `{"data":{"products":{"edges":[
	  {"node":{"id":"p1","name":"Mug","reviews":{"edges":[
	    {"node":{"body":"great","author":{"id":"u1","name":"Name u1"}}},
	    {"node":{"body":"fine","author":{"id":"u2","name":"Name u2"}}}]}}},
	  {"node":{"id":"p2","name":"Pen","reviews":{"edges":[
	    {"node":{"body":"ok","author":{"id":"u1","name":"Name u1"}}},
	    {"node":{"body":"bad","author":{"id":"u3","name":"Name u3"}}}]}}}]}}}`
	if got := compact(t, res.body); got != compact(t, want) {
		t.Fatalf("got  %s\nwant %s", got, compact(t, want))
	}
	for _, r := range products.Requests() {
		t.Logf("products: %s %v", r.Query, r.Variables)
	}
	for _, r := range users.Requests() {
		t.Logf("users: %s %v", r.Query, r.Variables)
	}
}
