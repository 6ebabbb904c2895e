// Package products is the products subgraph: the catalog (products,
// variants, prices per channel, categories, brands, attributes,
// collections), search with filters and facets, and reviews with ratings.
// Def is all a starter needs to run it.
package products

import (
	"net/http"

	"github.com/myshop/supergraph/subgraphs/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/products/graph"
	"github.com/myshop/supergraph/subgraphs/products/graph/generated"
	"github.com/myshop/supergraph/subgraphs/products/loader"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
)

// Def describes the products subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "products",
	Port:       4002,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Handler:    Handler,
}

// Handler is the products GraphQL endpoint; it verifies the tokens the
// router forwards with the users subgraph's keys.
func Handler(d subgraph.Deps) http.Handler { return NewHandler(d, d.Verifier) }

// NewHandler is Handler with the token verifier given. The claims are in
// the context before the loaders are built, because what a loader may
// return depends on who asks.
func NewHandler(d subgraph.Deps, v *auth.Verifier) http.Handler {
	store := postgres.New(d.Pool)
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{Store: store}})
	h := auth.Middleware(v, loader.Middleware(store, d.LoaderWait, gqlserver.New(es, d.Log)))
	mux := http.NewServeMux()
	mux.Handle("/graphql", h)
	return mux
}
