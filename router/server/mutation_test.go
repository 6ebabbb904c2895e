package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/server"
)

// TestMutationOverGET composes a small graph with a Mutation, so the
// composer's output is also checked to load into the engine.
func TestMutationOverGET(t *testing.T) {
	sdl, err := compose.Compose([]compose.Subgraph{{
		Name: "carts", URL: "http://127.0.0.1:1/graphql",
		SDL: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { cart(id: ID!): Cart }
type Mutation { clearCart(id: ID!): Cart }
type Cart @key(fields: "id") { id: ID! }`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h, err := server.New(ctx, server.Config{Supergraph: sdl}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	q := url.Values{"query": {`mutation { clearCart(id: "c1") { id } }`}}
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/graphql?"+q.Encode(), nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("mutation over GET: status %d: %s", w.Code, w.Body)
	}
}
