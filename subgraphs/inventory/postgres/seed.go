package postgres

import (
	"context"
	"fmt"
	"github.com/myshop/supergraph/subgraphs/platform/demo"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DemoVariants is how many of the products subgraph's demo variants
// (var_000001, var_000002, …) the demo stocks; it seeds at least this many.
const DemoVariants = 600

// Seed writes the demo inventory: four warehouses, three suppliers, stock
// for the demo variants (some sold out, some with one left, some below
// their threshold, so every state has an example) and purchase orders drafted
// and ordered. Deterministic and idempotent.
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	b := &pgx.Batch{}
	for _, w := range []struct {
		id, name, street, city, postal, country string
		countries                               []string
		priority                                int
	}{
		{"wh_us_east", "US East (Newark)", "100 Port St", "Newark", "07114", "US", []string{"US", "CA"}, 10},
		{"wh_us_west", "US West (Reno)", "5 Desert Way", "Reno", "89502", "US", []string{"US", "CA"}, 20},
		{"wh_eu", "EU Central (Leipzig)", "Am Flughafen 1", "Leipzig", "04435", "DE", []string{"DE", "FR", "NL", "IT", "ES", "GB", "SE", "CH", "IE"}, 10},
		{"wh_jp", "Japan (Chiba)", "1-1 Makuhari", "Chiba", "261-0023", "JP", []string{"JP"}, 10},
	} {
		b.Queue(`INSERT INTO warehouses (id, name, street, city, postal_code, country, countries, priority) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO NOTHING`, w.id, w.name, w.street, w.city, w.postal, w.country, w.countries, w.priority)
	}
	for _, s := range []struct {
		id, name, email string
		lead            int
	}{
		{"sup_acme", "Acme Wholesale", "orders@acme.example", 7},
		{"sup_north", "Northwind Traders", "buying@northwind.example", 14},
		{"sup_kanto", "Kanto Supply", "sales@kanto.example", 21},
	} {
		b.Queue(`INSERT INTO suppliers (id, name, contact_email, lead_time_days) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
			s.id, s.name, s.email, s.lead)
	}
	warehouses := []string{"wh_us_east", "wh_us_west", "wh_eu", "wh_jp"}
	suppliers := []string{"sup_acme", "sup_north", "sup_kanto"}
	rng := rand.New(rand.NewPCG(6, 2026))
	for i := 1; i <= DemoVariants; i++ {
		v := fmt.Sprintf("var_%06d", i)
		for k, wh := range warehouses {
			if k > 0 && rng.IntN(3) == 0 {
				continue // not every warehouse carries every variant
			}
			qty := rng.IntN(120)
			switch {
			case i%50 == 0:
				qty = 0 // sold out
			case i%37 == 0:
				qty = 1 // the last one
			case i%23 == 0:
				qty = 3 // below the threshold of 5
			}
			// The level and the movement that explains it, so the level is the
			// sum of its movements from the start.
			b.Queue(`WITH s AS (INSERT INTO stock (warehouse_id, variant_id, on_hand) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING RETURNING warehouse_id, variant_id, on_hand)
INSERT INTO movements (warehouse_id, variant_id, kind, on_hand_delta, reason, actor)
SELECT warehouse_id, variant_id, 'RECEIPT', on_hand, 'opening stock', 'seed' FROM s WHERE on_hand > 0`, wh, v, qty)
			if qty <= 5 {
				b.Queue(`INSERT INTO low_stock_alerts (warehouse_id, variant_id, available, threshold)
SELECT $1, $2, $3, 5 WHERE NOT EXISTS (SELECT 1 FROM low_stock_alerts WHERE warehouse_id = $1 AND variant_id = $2)`, wh, v, qty)
			}
		}
		b.Queue(`INSERT INTO supplier_items (supplier_id, variant_id, cost_minor, currency) VALUES ($1, $2, $3, 'USD') ON CONFLICT DO NOTHING`,
			suppliers[i%len(suppliers)], v, 200+rng.IntN(5000))
	}
	for _, po := range []struct {
		id, supplier, warehouse, status string
		received                        int
	}{
		{"po_demo_draft", "sup_acme", "wh_us_east", "DRAFT", 0},
		{"po_demo_ordered", "sup_north", "wh_eu", "ORDERED", 0},
	} {
		b.Queue(`INSERT INTO purchase_orders (id, supplier_id, warehouse_id, status) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
			po.id, po.supplier, po.warehouse, po.status)
		b.Queue(`INSERT INTO purchase_order_lines (purchase_order_id, variant_id, ordered, received) VALUES ($1, 'var_000050', 40, $2)
ON CONFLICT DO NOTHING`, po.id, po.received)
	}
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("seed inventory: %w", err)
	}
	return nil
}
