package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// Seed writes the demo world's orders as the checkout and the staff would
// have left them: lines with the prices, products and categories of the
// day, every status change, the shipments (recorded under the key
// fulfillOrder gives a request without one), and the reservation and
// payment ids inventory's and payments' seeds hold, so a seeded order can
// be moved on through the API like any other. No outbox events: the
// consumers' seeds start from the same world. The order-number sequence
// moves past the seeded numbers. Rows go in by COPY; a database that
// holds a world already keeps it. The demo's tax rates (seedTaxes) go in
// first; the seeded orders were placed before taxes and carry none.
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	if err := seedTaxes(ctx, pool); err != nil {
		return err
	}
	if len(w.Orders) == 0 {
		return nil
	}
	if seeded, err := postgres.Seeded(ctx, pool, "orders", w.Orders[0].ID); err != nil || seeded {
		return err
	}
	err := postgres.CopyTables(ctx, pool, orderRows(w), func(tx pgx.Tx) error {
		// Only forward: live orders may have taken numbers above these.
		_, err := tx.Exec(ctx, `SELECT setval('order_numbers', m) FROM (SELECT max(number) AS m FROM orders) o, order_numbers s
WHERE o.m >= CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END`)
		return err
	})
	if err != nil {
		return fmt.Errorf("seed orders: %w", err)
	}
	if err := postgres.Analyze(ctx, pool, "orders", "order_lines", "order_events", "fulfillments", "fulfillment_lines"); err != nil {
		return fmt.Errorf("seed orders: analyze: %w", err)
	}
	return nil
}

func orderRows(w *demo.World) []postgres.Table {
	orders := postgres.Table{Name: "orders", Cols: []string{"id", "number", "user_id", "channel", "status", "version", "currency", "total_minor",
		"shipping_address", "billing_address", "shipping_method", "shipping_minor", "reservation_id", "payment_id", "payment_status",
		"fulfillment_status", "created_at", "updated_at"}}
	lines := postgres.Table{Name: "order_lines", Cols: []string{"order_id", "position", "variant_id", "sku", "name", "quantity",
		"unit_price_minor", "currency", "product_id", "category_id"}}
	events := postgres.Table{Name: "order_events", Cols: []string{"order_id", "version", "from_status", "to_status", "actor", "note", "at"}}
	fulfillments := postgres.Table{Name: "fulfillments", Cols: []string{"id", "order_id", "carrier", "tracking_number", "actor",
		"idempotency_key", "request_hash", "state", "created_at"}}
	fulfillmentLines := postgres.Table{Name: "fulfillment_lines", Cols: []string{"fulfillment_id", "variant_id", "quantity"}}

	phones := make(map[string]string, len(w.Customers))
	for _, c := range w.Customers {
		phones[c.ID] = c.Phone
	}
	for i := range w.Orders {
		o := &w.Orders[i]
		a := o.Address
		addr := order.Address{FirstName: a.FirstName, LastName: a.LastName, Street1: a.Street1, City: a.City, Region: a.Region,
			PostalCode: a.PostalCode, CountryCode: a.Country, Phone: phones[o.UserID]}
		updated := o.History[len(o.History)-1].At
		for _, t := range o.Payment.Transactions {
			// A refund changes the order's payment status, and so its updated_at.
			if t.SettledAt.After(updated) {
				updated = t.SettledAt
			}
		}
		orders.Add(o.ID, o.Number, o.UserID, o.Channel, o.Status, int32(len(o.History)), o.Currency, o.TotalMinor, addr, addr,
			o.ShippingMethod, o.ShippingMinor, o.ReservationID, o.Payment.ID, o.PaymentStatus, o.FulfillmentStatus, o.PlacedAt, updated)
		for k, l := range o.Lines {
			lines.Add(o.ID, int32(k), l.VariantID, l.SKU, l.Name, int32(l.Quantity), l.UnitPriceMinor, o.Currency, l.ProductID, l.CategoryID)
		}
		for _, h := range o.History {
			var from any
			if h.From != "" {
				from = h.From
			}
			note := h.Note
			switch {
			case note != "":
			case h.Version == 1:
				note = "placed" // as PlaceOrder records it
			case h.To == demo.Expired:
				note = "payment not completed in time" // as ExpireUnpaid records it
			}
			events.Add(o.ID, int32(h.Version), from, h.To, h.Actor, note, h.At)
		}
		for _, f := range o.Fulfillments {
			fl := make([]order.FulfillmentLine, len(f.Lines))
			for k, l := range f.Lines {
				fl[k] = order.FulfillmentLine{VariantID: l.VariantID, Quantity: l.Quantity}
				fulfillmentLines.Add(f.ID, l.VariantID, int32(l.Quantity))
			}
			key, hash := order.ShipmentKey(fl, f.Carrier, f.TrackingNumber)
			fulfillments.Add(f.ID, o.ID, f.Carrier, f.TrackingNumber, f.Actor, key, hash, "DONE", f.At)
		}
	}
	return []postgres.Table{orders, lines, events, fulfillments, fulfillmentLines}
}
