package orders_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/demo"
	invpg "github.com/myshop/supergraph/subgraphs/inventory/postgres"
	"github.com/myshop/supergraph/subgraphs/orders/postgres"
	paypg "github.com/myshop/supergraph/subgraphs/payments/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
)

// TestSeedIsIdempotentAndCoversEveryStatus: the demo world's orders,
// written twice, are written once; every status has orders, totals are
// their lines plus shipping, versions are their last event's, shipments
// never exceed the lines, and new orders get numbers above the seeded ones.
func TestSeedIsIdempotentAndCoversEveryStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := demo.Default()
	pool := pgtest.NewPool(t, postgres.Migrations)
	pgtest.SeedTwice(t, pool, func(ctx context.Context, pool *pgxpool.Pool) error { return postgres.Seed(ctx, pool, w) },
		"orders", "order_lines", "order_events", "fulfillments", "fulfillment_lines", "outbox")
	var orders, statuses, badTotals, badVersions, overShipped, outbox int
	var maxNumber, next int64
	err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT status),
  count(*) FILTER (WHERE total_minor <> shipping_minor + (SELECT sum(quantity * unit_price_minor) FROM order_lines l WHERE l.order_id = o.id)),
  count(*) FILTER (WHERE version <> (SELECT max(version) FROM order_events e WHERE e.order_id = o.id)),
  (SELECT count(*) FROM order_lines l WHERE l.quantity < (SELECT coalesce(sum(fl.quantity), 0) FROM fulfillments f
     JOIN fulfillment_lines fl ON fl.fulfillment_id = f.id WHERE f.order_id = l.order_id AND fl.variant_id = l.variant_id)),
  (SELECT count(*) FROM outbox), max(number), nextval('order_numbers')
FROM orders o`).Scan(&orders, &statuses, &badTotals, &badVersions, &overShipped, &outbox, &maxNumber, &next)
	if err != nil {
		t.Fatal(err)
	}
	if orders != len(w.Orders) || statuses != len(demo.Statuses) || badTotals != 0 || badVersions != 0 || overShipped != 0 || outbox != 0 || next <= maxNumber {
		t.Errorf("orders %d, statuses %d, bad totals %d, bad versions %d, over-shipped lines %d, outbox %d, next number %d after %d",
			orders, statuses, badTotals, badVersions, overShipped, outbox, next, maxNumber)
	}
}

// TestSeededOrdersMoveOn: with the demo world in orders, inventory and
// payments, staff move seeded orders on through the API as they would
// live ones: a confirmed order ships (its units leave stock, its payment
// is captured), a processing one is canceled (its units go back on sale,
// its authorization is voided) and a delivered one is refunded.
func TestSeededOrdersMoveOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := demo.Default()
	e := newEnv(t)
	for _, seed := range []struct {
		pool *pgxpool.Pool
		f    func(context.Context, *pgxpool.Pool, *demo.World) error
	}{{e.pool, postgres.Seed}, {e.inventoryDB, invpg.Seed}, {e.paymentsDB, paypg.Seed}} {
		if err := seed.f(ctx, seed.pool, w); err != nil {
			t.Fatal(err)
		}
	}
	find := func(status, payment string) demo.Order {
		for _, o := range w.Orders {
			if o.Status == status && (payment == "" || o.PaymentStatus == payment) {
				return o
			}
		}
		t.Fatalf("the demo has no %s order", status)
		return demo.Order{}
	}
	type level struct{ onHand, allocated int }
	levels := func(o demo.Order) map[string]level {
		out := map[string]level{}
		for _, l := range o.Lines {
			var lv level
			if err := e.inventoryDB.QueryRow(ctx, `SELECT on_hand, allocated FROM stock WHERE warehouse_id = $1 AND variant_id = $2`,
				l.WarehouseID, l.VariantID).Scan(&lv.onHand, &lv.allocated); err != nil {
				t.Fatal(err)
			}
			out[l.VariantID] = lv
		}
		return out
	}

	confirmed := find(demo.Confirmed, "")
	before := levels(confirmed)
	if m := e.move(t, e.staff, confirmed.ID, "SHIPPED"); len(m.Errors) > 0 || m.Order.Status != "SHIPPED" || m.Order.Version != len(confirmed.History)+1 {
		t.Fatalf("ship %s: %+v", confirmed.ID, m)
	}
	after := levels(confirmed)
	for _, l := range confirmed.Lines {
		b, a := before[l.VariantID], after[l.VariantID]
		if a.onHand != b.onHand-l.Quantity || a.allocated != b.allocated-l.Quantity {
			t.Errorf("shipping %d of %s: on hand %d→%d, allocated %d→%d", l.Quantity, l.VariantID, b.onHand, a.onHand, b.allocated, a.allocated)
		}
	}
	if st := e.paymentStatus(t, confirmed.Payment.ID); st != "PAID" {
		t.Errorf("shipped %s: payment %s", confirmed.ID, st)
	}

	processing := find(demo.Processing, "")
	before = levels(processing)
	if m := e.move(t, e.staff, processing.ID, "CANCELED"); len(m.Errors) > 0 || m.Order.Status != "CANCELED" {
		t.Fatalf("cancel %s: %+v", processing.ID, m)
	}
	after = levels(processing)
	for _, l := range processing.Lines {
		b, a := before[l.VariantID], after[l.VariantID]
		if a.onHand != b.onHand || a.allocated != b.allocated-l.Quantity {
			t.Errorf("canceling %d of %s: on hand %d→%d, allocated %d→%d", l.Quantity, l.VariantID, b.onHand, a.onHand, b.allocated, a.allocated)
		}
	}
	if st := e.paymentStatus(t, processing.Payment.ID); st != "VOIDED" {
		t.Errorf("canceled %s: payment %s", processing.ID, st)
	}

	delivered := find(demo.Delivered, "PAID")
	var out struct {
		RefundOrder struct {
			Order  *struct{ PaymentStatus string }
			Errors []struct{ Code string }
		}
	}
	gql(t, e.h, e.staff, `mutation($o: ID!) { refundOrder(input: {orderId: $o, idempotencyKey: "returned"}) { order { paymentStatus } errors { code } } }`,
		map[string]any{"o": delivered.ID}, &out)
	if len(out.RefundOrder.Errors) > 0 || out.RefundOrder.Order.PaymentStatus != "REFUNDED" {
		t.Fatalf("refund %s: %+v", delivered.ID, out.RefundOrder)
	}

	var bad int
	if err := e.inventoryDB.QueryRow(ctx, `SELECT count(*) FROM stock s LEFT JOIN (
  SELECT warehouse_id, variant_id, sum(on_hand_delta) o, sum(allocated_delta) a, sum(reserved_delta) r FROM movements GROUP BY 1, 2
) m USING (warehouse_id, variant_id)
WHERE s.on_hand <> coalesce(m.o, 0) OR s.allocated <> coalesce(m.a, 0) OR s.reserved <> coalesce(m.r, 0)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%d stock levels differ from the sum of their movements", bad)
	}
}
