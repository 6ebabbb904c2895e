// Package products is the products subgraph: the catalog and its reviews,
// and later categories, brands, search and media. Def is all a starter
// needs to run it.
package products

import (
	"net/http"

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

// Handler is the products GraphQL endpoint.
func Handler(d subgraph.Deps) http.Handler {
	store := postgres.New(d.Pool)
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{Store: store}})
	mux := http.NewServeMux()
	mux.Handle("/graphql", loader.Middleware(store, d.LoaderWait, gqlserver.New(es, d.Log)))
	return mux
}
