// Package users is the users subgraph: accounts, and later authentication,
// profiles, addresses and roles. Def is all a starter needs to run it.
package users

import (
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

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

// Handler is the users GraphQL endpoint over pool.
func Handler(pool *pgxpool.Pool, log *slog.Logger) http.Handler {
	store := postgres.New(pool)
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{Store: store}})
	return loader.Middleware(store, gqlserver.New(es, log))
}
