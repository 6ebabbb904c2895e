package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/inventory/stock"
)

var _ stock.PlacesStore = (*Store)(nil)

const warehouseColumns = `id, name, street, city, postal_code, country, countries, priority, active`

// CreateWarehouse inserts a warehouse.
func (s *Store) CreateWarehouse(ctx context.Context, w stock.Warehouse) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO warehouses (`+warehouseColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		w.ID, w.Name, w.Street, w.City, w.PostalCode, w.Country, w.Countries, w.Priority, w.Active)
	if err != nil {
		return fmt.Errorf("insert warehouse: %w", err)
	}
	return nil
}

// UpdateWarehouse rewrites warehouse id as change says, under its row lock.
func (s *Store) UpdateWarehouse(ctx context.Context, id string, change func(*stock.Warehouse) error) (stock.Warehouse, error) {
	var w stock.Warehouse
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT `+warehouseColumns+` FROM warehouses WHERE id = $1 FOR UPDATE`, id).
			Scan(&w.ID, &w.Name, &w.Street, &w.City, &w.PostalCode, &w.Country, &w.Countries, &w.Priority, &w.Active)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"id"}, stock.CodeNotFound, "no warehouse %s", id)
		}
		if err != nil {
			return fmt.Errorf("read warehouse: %w", err)
		}
		if err := change(&w); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE warehouses SET name = $2, street = $3, city = $4, postal_code = $5, country = $6,
			countries = $7, priority = $8, active = $9 WHERE id = $1`,
			w.ID, w.Name, w.Street, w.City, w.PostalCode, w.Country, w.Countries, w.Priority, w.Active); err != nil {
			return fmt.Errorf("update warehouse: %w", err)
		}
		return nil
	})
	return w, err
}

// CreateSupplier inserts a supplier.
func (s *Store) CreateSupplier(ctx context.Context, x stock.Supplier) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO suppliers (id, name, contact_email, contact_phone, lead_time_days) VALUES ($1, $2, $3, $4, $5)`,
		x.ID, x.Name, x.ContactEmail, x.ContactPhone, x.LeadTimeDays)
	if err != nil {
		return fmt.Errorf("insert supplier: %w", err)
	}
	return nil
}

// UpdateSupplier rewrites supplier id as change says, under its row lock.
func (s *Store) UpdateSupplier(ctx context.Context, id string, change func(*stock.Supplier) error) (stock.Supplier, error) {
	var x stock.Supplier
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, name, contact_email, contact_phone, lead_time_days FROM suppliers WHERE id = $1 FOR UPDATE`, id).
			Scan(&x.ID, &x.Name, &x.ContactEmail, &x.ContactPhone, &x.LeadTimeDays)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"id"}, stock.CodeNotFound, "no supplier %s", id)
		}
		if err != nil {
			return fmt.Errorf("read supplier: %w", err)
		}
		if err := change(&x); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE suppliers SET name = $2, contact_email = $3, contact_phone = $4, lead_time_days = $5 WHERE id = $1`,
			x.ID, x.Name, x.ContactEmail, x.ContactPhone, x.LeadTimeDays); err != nil {
			return fmt.Errorf("update supplier: %w", err)
		}
		return nil
	})
	return x, err
}
