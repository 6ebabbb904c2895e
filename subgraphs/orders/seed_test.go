package orders_test

import (
	"context"
	"testing"

	"github.com/myshop/supergraph/subgraphs/platform/demo"

	"github.com/myshop/supergraph/subgraphs/orders/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
)

func TestSeedIsIdempotentAndCoversEveryStatus(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, postgres.Migrations)
	for range 2 {
		if err := postgres.Seed(context.Background(), pool, demo.Default()); err != nil {
			t.Fatal(err)
		}
	}
	var orders, statuses, badTotals, badVersions int
	err := pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT status),
  count(*) FILTER (WHERE total_minor <> (SELECT sum(quantity * unit_price_minor) FROM order_lines l WHERE l.order_id = o.id)),
  count(*) FILTER (WHERE version <> (SELECT max(version) FROM order_events e WHERE e.order_id = o.id))
FROM orders o`).Scan(&orders, &statuses, &badTotals, &badVersions)
	if err != nil {
		t.Fatal(err)
	}
	if orders != 16 || statuses != 8 || badTotals != 0 || badVersions != 0 {
		t.Errorf("orders %d, statuses %d, bad totals %d, bad versions %d", orders, statuses, badTotals, badVersions)
	}
}
