// Package users is the users subgraph: accounts, and later authentication,
// profiles, addresses and roles. Def is all a starter needs to run it.
package users

import (
	"net/http"

	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/users/graph"
	"github.com/myshop/supergraph/subgraphs/users/graph/generated"
	"github.com/myshop/supergraph/subgraphs/users/loader"
	"github.com/myshop/supergraph/subgraphs/users/postgres"
)

// Def describes the users subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "users",
	Port:       4001,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Handler:    Handler,
}

// Handler is the users GraphQL endpoint.
func Handler(d subgraph.Deps) http.Handler {
	store := postgres.New(d.Pool)
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{Store: store}})
	return loader.Middleware(store, d.LoaderWait, gqlserver.New(es, d.Log))
}
