package postgres

import (
	"context"
	"github.com/myshop/supergraph/subgraphs/platform/demo"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Seed has nothing to write yet: payments are made by checkouts, which
// the orders subgraph will drive; the demo's order history arrives with it.
func Seed(context.Context, *pgxpool.Pool, *demo.World) error { return nil }
