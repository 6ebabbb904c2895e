package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// ServiceActor is who the orders subgraph is to inventory: the subject of
// its client-credentials token (users' service_token.go), so the seeded
// movements and keys carry the actor its real calls would.
const ServiceActor = "svc:orders"

// Seed writes the demo world's inventory: the four warehouses, three
// suppliers and their prices, every stock level, and one reservation per
// order with the movements the checkout, the staff's shipments and the
// sweeper would have written, so each level is the sum of its movements
// (an opening receipt before the history, then the orders). Low levels
// have their alert open. Rows go in by COPY; a database that holds a
// world already keeps it.
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	if len(w.Orders) > 0 {
		if seeded, err := postgres.Seeded(ctx, pool, "reservations", w.Orders[0].ReservationID); err != nil || seeded {
			return err
		}
	}
	t := inventoryRows(w)
	if err := postgres.CopyTables(ctx, pool, t, nil); err != nil {
		return fmt.Errorf("seed inventory: %w", err)
	}
	if err := postgres.Analyze(ctx, pool, "stock", "movements", "reservations", "reservation_lines", "idempotency_keys"); err != nil {
		return fmt.Errorf("seed inventory: analyze: %w", err)
	}
	return nil
}

// movement is one row of movements before its id: the seed sorts them by
// time so ids follow the history, as live writes' ids do.
type movement struct {
	warehouse, variant          string
	onHand, allocated, reserved int
	kind, reason, actor, ref    string
	at                          time.Time
}

func inventoryRows(w *demo.World) []postgres.Table {
	warehouses := postgres.Table{Name: "warehouses", Cols: []string{"id", "name", "street", "city", "postal_code", "country", "countries", "priority"}}
	suppliers := postgres.Table{Name: "suppliers", Cols: []string{"id", "name", "contact_email", "lead_time_days"}}
	items := postgres.Table{Name: "supplier_items", Cols: []string{"supplier_id", "variant_id", "cost_minor", "currency"}}
	levels := postgres.Table{Name: "stock", Cols: []string{"warehouse_id", "variant_id", "on_hand", "allocated", "reserved", "low_stock_threshold"}}
	moves := postgres.Table{Name: "movements", Cols: []string{"warehouse_id", "variant_id", "kind", "on_hand_delta", "allocated_delta",
		"reserved_delta", "reason", "actor", "reference", "created_at"}}
	reservations := postgres.Table{Name: "reservations", Cols: []string{"id", "reference", "status", "expires_at", "created_at"}}
	lines := postgres.Table{Name: "reservation_lines", Cols: []string{"reservation_id", "warehouse_id", "variant_id", "quantity", "fulfilled"}}
	keys := postgres.Table{Name: "idempotency_keys", Cols: []string{"actor", "key", "request_hash", "result", "created_at"}}
	alerts := postgres.Table{Name: "low_stock_alerts", Cols: []string{"warehouse_id", "variant_id", "available", "threshold", "raised_at"}}
	pos := postgres.Table{Name: "purchase_orders", Cols: []string{"id", "supplier_id", "warehouse_id", "status", "created_at"}}
	poLines := postgres.Table{Name: "purchase_order_lines", Cols: []string{"purchase_order_id", "variant_id", "ordered", "received"}}

	for _, wh := range w.Warehouses {
		warehouses.Add(wh.ID, wh.Name, wh.Street, wh.City, wh.PostalCode, wh.Country, wh.Countries, int32(wh.Priority))
	}
	for _, s := range w.Suppliers {
		suppliers.Add(s.ID, s.Name, s.Email, int32(s.LeadTimeDays))
	}
	for _, it := range w.SupplierItems() {
		items.Add(it.SupplierID, it.VariantID, it.CostMinor, "USD")
	}

	opening := w.Until.AddDate(0, 0, -demo.HistoryDays-1)
	var ms []movement
	for _, s := range w.Stock {
		levels.Add(s.WarehouseID, s.VariantID, int32(s.OnHand()), int32(s.Allocated), int32(s.Reserved), int32(s.Threshold))
		if n := s.Opening(); n > 0 {
			ms = append(ms, movement{warehouse: s.WarehouseID, variant: s.VariantID, onHand: n, kind: "RECEIPT", reason: "opening stock",
				actor: "seed", at: opening})
		}
	}
	for i := range w.Orders {
		o := &w.Orders[i]
		ms = orderMovements(ms, o)
		reservations.Add(o.ReservationID, o.ID, o.ReservationStatus, o.ReservationExpires, o.PlacedAt)
		needs := map[string]int{}
		for _, l := range o.Lines {
			lines.Add(o.ReservationID, l.WarehouseID, l.VariantID, int32(l.Quantity), int32(o.Shipped(l.VariantID)))
			needs[l.VariantID] += l.Quantity
		}
		// The keys the orders service reserved and shipped with (checkout
		// step reserve, and one fulfilment id per shipment), as stock.Service
		// hashes them: a replay of either answers, another request is refused.
		keys.Add(ServiceActor, o.ID+":reserve", idempotency.Hash("reserve", o.ID, o.Address.Country, needs), o.ReservationID, o.PlacedAt)
		for _, f := range o.Fulfillments {
			shipped := map[string]int{}
			for _, l := range f.Lines {
				shipped[l.VariantID] += l.Quantity
			}
			keys.Add(ServiceActor, f.ID, idempotency.Hash("fulfil", o.ReservationID, shipped), o.ReservationID, f.At)
		}
	}
	slices.SortStableFunc(ms, func(a, b movement) int { return a.at.Compare(b.at) })
	for _, m := range ms {
		moves.Add(m.warehouse, m.variant, m.kind, int32(m.onHand), int32(m.allocated), int32(m.reserved), m.reason, m.actor, m.ref, m.at)
	}
	// The open alerts are the low-stock events analytics logs too, raised
	// when the level last fell.
	for _, e := range w.LowStockEvents() {
		p := e.Payload
		alerts.Add(p["warehouseId"], p["variantId"], int32(p["available"].(int)), int32(p["threshold"].(int)), e.At)
	}
	for i, po := range w.Purchases {
		pos.Add(po.ID, po.SupplierID, po.WarehouseID, po.Status, w.Until.AddDate(0, 0, -3-i))
		poLines.Add(po.ID, po.VariantID, int32(po.Ordered), int32(po.Received))
	}
	return []postgres.Table{warehouses, suppliers, items, levels, moves, reservations, lines, keys, alerts, pos, poLines}
}

// orderMovements appends what o did to stock, step by step as the services
// write it (postgres.Store: Reserve, Move, UpdateReservation, ExpireDue): the
// checkout's hold, its allocation when the order was confirmed, a SALE
// per shipment, and the release of what was left when it was canceled or
// its hold lapsed.
func orderMovements(ms []movement, o *demo.Order) []movement {
	converted := time.Time{}
	var released time.Time
	for _, h := range o.History {
		switch h.To {
		case demo.Confirmed:
			converted = h.At
		case demo.Canceled:
			released = h.At
		}
	}
	for _, l := range o.Lines {
		base := movement{warehouse: l.WarehouseID, variant: l.VariantID, actor: ServiceActor, ref: o.ReservationID}
		add := func(m movement) { ms = append(ms, m) }
		m := base
		m.reserved, m.kind, m.reason, m.at = l.Quantity, "RESERVATION", "checkout "+o.ID, o.PlacedAt
		add(m)
		if !converted.IsZero() {
			m = base
			m.reserved, m.allocated, m.kind, m.at = -l.Quantity, l.Quantity, "ALLOCATION", converted
			add(m)
		}
		shipped := 0
		for _, f := range o.Fulfillments {
			for _, fl := range f.Lines {
				if fl.VariantID != l.VariantID {
					continue
				}
				m = base
				m.onHand, m.allocated, m.kind, m.reason, m.at = -fl.Quantity, -fl.Quantity, "SALE", "shipped", f.At
				add(m)
				shipped += fl.Quantity
			}
		}
		switch o.ReservationStatus {
		case "RELEASED":
			m = base
			m.kind, m.at = "RELEASE", released
			if converted.IsZero() {
				m.reserved, m.reason = -l.Quantity, "released"
			} else {
				m.allocated, m.reason = -(l.Quantity - shipped), "order canceled"
			}
			if m.reserved != 0 || m.allocated != 0 {
				add(m)
			}
		case "EXPIRED":
			m = base
			m.reserved, m.kind, m.reason, m.actor, m.at = -l.Quantity, "RELEASE", "expired", "sweeper", o.ReservationExpires
			add(m)
		}
	}
	return ms
}
