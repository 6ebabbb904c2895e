package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/inventory/stock"
)

var _ stock.PurchasingStore = (*Store)(nil)

// Warehouses lists every warehouse in priority order.
func (s *Store) Warehouses(ctx context.Context) ([]stock.Warehouse, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, street, city, postal_code, country, countries, priority, active
FROM warehouses ORDER BY priority, id`)
	if err != nil {
		return nil, fmt.Errorf("warehouses: %w", err)
	}
	ws, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Warehouse, error) {
		var w stock.Warehouse
		err := row.Scan(&w.ID, &w.Name, &w.Street, &w.City, &w.PostalCode, &w.Country, &w.Countries, &w.Priority, &w.Active)
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("warehouses: %w", err)
	}
	return ws, nil
}

// Suppliers lists suppliers by name.
func (s *Store) Suppliers(ctx context.Context) ([]stock.Supplier, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, contact_email, contact_phone, lead_time_days FROM suppliers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("suppliers: %w", err)
	}
	ss, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.Supplier, error) {
		var x stock.Supplier
		err := row.Scan(&x.ID, &x.Name, &x.ContactEmail, &x.ContactPhone, &x.LeadTimeDays)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("suppliers: %w", err)
	}
	return ss, nil
}

// PurchaseOrders returns these purchase orders with their lines.
func (s *Store) PurchaseOrders(ctx context.Context, ids []string) ([]stock.PurchaseOrder, error) {
	rows, err := s.pool.Query(ctx, `
SELECT p.id, p.supplier_id, p.warehouse_id, p.status, p.created_at,
       array_agg(l.variant_id ORDER BY l.variant_id), array_agg(l.ordered ORDER BY l.variant_id), array_agg(l.received ORDER BY l.variant_id)
FROM purchase_orders p JOIN purchase_order_lines l ON l.purchase_order_id = p.id
WHERE p.id = ANY($1) GROUP BY p.id ORDER BY p.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("purchase orders: %w", err)
	}
	pos, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (stock.PurchaseOrder, error) {
		var po stock.PurchaseOrder
		var vs []string
		var ordered, received []int32
		if err := row.Scan(&po.ID, &po.SupplierID, &po.WarehouseID, &po.Status, &po.CreatedAt, &vs, &ordered, &received); err != nil {
			return po, err
		}
		for i := range vs {
			po.Lines = append(po.Lines, stock.POLine{VariantID: vs[i], Ordered: int(ordered[i]), Received: int(received[i])})
		}
		return po, nil
	})
	if err != nil {
		return nil, fmt.Errorf("purchase orders: %w", err)
	}
	return pos, nil
}

// CreatePurchaseOrder stores a draft with its lines.
func (s *Store) CreatePurchaseOrder(ctx context.Context, po stock.PurchaseOrder) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO purchase_orders (id, supplier_id, warehouse_id, status) VALUES ($1, $2, $3, $4)`,
			po.ID, po.SupplierID, po.WarehouseID, string(po.Status)); err != nil {
			return err
		}
		for _, l := range po.Lines {
			if _, err := tx.Exec(ctx, `INSERT INTO purchase_order_lines (purchase_order_id, variant_id, ordered) VALUES ($1, $2, $3)`,
				po.ID, l.VariantID, l.Ordered); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("create purchase order", err)
}

// SetPOStatus moves a purchase order between states.
func (s *Store) SetPOStatus(ctx context.Context, id string, from []stock.POStatus, to stock.POStatus) error {
	fs := make([]string, len(from))
	for i, f := range from {
		fs[i] = string(f)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE purchase_orders SET status = $3 WHERE id = $1 AND status = ANY($2)`, id, fs, string(to))
	if err != nil {
		return fmt.Errorf("purchase order status: %w", err)
	}
	if tag.RowsAffected() == 0 {
		var exists bool
		_ = s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM purchase_orders WHERE id = $1)`, id).Scan(&exists)
		if !exists {
			return stock.ErrNotFound
		}
		return stock.ErrWrongStatus
	}
	return nil
}

// Receive books a delivery: lines, stock and status in one transaction.
func (s *Store) Receive(ctx context.Context, id string, lines []stock.Line, actor string) (stock.PurchaseOrder, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var warehouse, status string
		err := tx.QueryRow(ctx, `SELECT warehouse_id, status FROM purchase_orders WHERE id = $1 FOR UPDATE`, id).Scan(&warehouse, &status)
		if errors.Is(err, pgx.ErrNoRows) {
			return stock.ErrNotFound
		}
		if err != nil {
			return err
		}
		if status != string(stock.POOrdered) && status != string(stock.POPartiallyReceived) {
			return stock.ErrWrongStatus
		}
		for _, l := range lines {
			tag, err := tx.Exec(ctx, `UPDATE purchase_order_lines SET received = received + $3 WHERE purchase_order_id = $1 AND variant_id = $2`,
				id, l.VariantID, l.Quantity)
			if err != nil {
				return err // received > ordered breaks the CHECK
			}
			if tag.RowsAffected() == 0 {
				return stock.ErrNotFound
			}
			if err := ensureLevel(ctx, tx, warehouse, l.VariantID); err != nil {
				return err
			}
			if err := applyDelta(ctx, tx, delta{warehouse, l.VariantID, l.Quantity, 0, 0, "RECEIPT", "purchase order", actor, id}); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE purchase_orders SET status = CASE
    WHEN (SELECT bool_and(received = ordered) FROM purchase_order_lines WHERE purchase_order_id = $1) THEN 'RECEIVED'
    ELSE 'PARTIALLY_RECEIVED' END WHERE id = $1`, id); err != nil {
			return err
		}
		received := make([]stock.Line, len(lines))
		for i, l := range lines {
			received[i] = stock.Line{WarehouseID: warehouse, VariantID: l.VariantID}
		}
		return checkAlerts(ctx, tx, received)
	})
	if err != nil {
		return stock.PurchaseOrder{}, wrap("receive", err)
	}
	pos, err := s.PurchaseOrders(ctx, []string{id})
	if err != nil || len(pos) == 0 {
		return stock.PurchaseOrder{}, errors.Join(errors.New("purchase order vanished"), err)
	}
	return pos[0], nil
}
