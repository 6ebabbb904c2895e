package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/demo"
)

// Seed writes a short order history for the first demo users, one order
// in every status, so order pages and staff lists have something to show.
// The seed cannot ask the other subgraphs for anything, so these orders
// hold no stock reservation and no payment (moving them touches neither),
// and their lines name the demo variants with placeholder SKUs and names:
// what was copied at the time. Deterministic and idempotent.
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	epoch := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	paths := [][]order.Status{
		{order.Confirmed},
		{order.Confirmed, order.Processing},
		{order.Confirmed, order.Processing, order.PartiallyShipped},
		{order.Confirmed, order.Processing, order.Shipped},
		{order.Confirmed, order.Processing, order.Shipped, order.Delivered},
		{order.Confirmed, order.Canceled},
		{order.PendingPayment},
		{order.PendingPayment, order.Expired},
	}
	b := &pgx.Batch{}
	for i := range 16 {
		id := fmt.Sprintf("ord_demo_%04d", i+1)
		user := demo.UserID(i%6 + 1)
		path := paths[i%len(paths)]
		at := epoch.Add(time.Duration(i) * 26 * time.Hour)
		addr := order.Address{FirstName: "Demo", LastName: fmt.Sprintf("Shopper %d", i%6+1), Street1: fmt.Sprintf("%d Market St", 10+i),
			City: "San Francisco", Region: "CA", PostalCode: "94103", CountryCode: "US"}
		var total int64
		type line struct {
			variant string
			qty     int
			unit    int64
		}
		var lines []line
		for k := range 1 + i%3 {
			v := 1 + (i*7+k*13)%600
			l := line{fmt.Sprintf("var_%06d", v), 1 + (i+k)%3, int64(599 + (v%300)*100)}
			lines = append(lines, l)
			total += l.unit * int64(l.qty)
		}
		fulfilled := order.Unfulfilled
		for _, st := range path {
			switch st {
			case order.PartiallyShipped:
				fulfilled = order.PartiallyFulfilled
			case order.Shipped:
				fulfilled = order.Fulfilled
			}
		}
		b.Queue(`INSERT INTO orders (id, user_id, channel, status, version, currency, total_minor, shipping_address, created_at, updated_at,
  fulfillment_status)
VALUES ($1, $2, 'default-usd', $3, $4, 'USD', $5, $6, $7, $7, $8) ON CONFLICT (id) DO NOTHING`,
			id, user, string(path[len(path)-1]), len(path), total, addr, at, string(fulfilled))
		for k, l := range lines {
			b.Queue(`INSERT INTO order_lines (order_id, position, variant_id, sku, name, quantity, unit_price_minor, currency)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'USD') ON CONFLICT DO NOTHING`, id, k, l.variant, "DEMO-"+l.variant, "Demo purchase", l.qty, l.unit)
		}
		from := ""
		for v, to := range path {
			actor := user
			if v > 0 {
				actor = "usr_staff_demo"
			}
			var fromCol *string
			if from != "" {
				fromCol = &from
			}
			b.Queue(`INSERT INTO order_events (order_id, version, from_status, to_status, actor, at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT DO NOTHING`, id, v+1, fromCol, string(to), actor, at.Add(time.Duration(v)*20*time.Hour))
			from = string(to)
		}
	}
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("seed orders: %w", err)
	}
	return nil
}
