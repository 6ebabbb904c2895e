// Package inventory is the inventory subgraph: warehouses, stock levels
// kept as sums of movements, checkout reservations, low-stock alerts, and
// purchasing from suppliers. Def is all a starter needs to run it.
package inventory

import (
	"context"
	"net/http"
	"time"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/inventory/graph"
	"github.com/myshop/supergraph/subgraphs/inventory/graph/generated"
	"github.com/myshop/supergraph/subgraphs/inventory/loader"
	"github.com/myshop/supergraph/subgraphs/inventory/postgres"
	"github.com/myshop/supergraph/subgraphs/inventory/stock"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// Def describes the inventory subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "inventory",
	Port:       4005,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Outbox:     true,
	Handler:    Handler,
	// Expired checkout holds go back on sale within a few seconds.
	Background: func(ctx context.Context, d subgraph.Deps) {
		stock.NewService(postgres.New(d.Pool), ids.New).RunSweeper(ctx, 5*time.Second, func(err error) {
			d.Log.Error("reservation sweeper", "err", err)
		})
	},
}

// Handler serves /graphql.
func Handler(d subgraph.Deps) http.Handler {
	store := postgres.New(d.Pool)
	resolvers := &graph.Resolver{
		Stock:      stock.NewService(store, ids.New),
		Purchasing: stock.NewPurchasing(store, ids.New),
		Places:     stock.NewPlaces(store, ids.New),
	}
	es := generated.NewExecutableSchema(generated.Config{Resolvers: resolvers})
	mux := http.NewServeMux()
	mux.Handle("/graphql", subgraph.Authenticated(d, loader.Middleware(store, d.LoaderWait, gqlserver.New(es, d.Log))))
	return mux
}
