package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// TaxClasses: see order.TaxStore. The default class first, then by name.
func (s *Store) TaxClasses(ctx context.Context) ([]order.TaxClass, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name FROM tax_classes ORDER BY id <> $1, lower(name)`, order.DefaultTaxClass)
	if err != nil {
		return nil, fmt.Errorf("tax classes: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.TaxClass, error) {
		var c order.TaxClass
		return c, row.Scan(&c.ID, &c.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("tax classes: %w", err)
	}
	return cs, nil
}

// CreateTaxClass: see order.TaxStore.
func (s *Store) CreateTaxClass(ctx context.Context, c order.TaxClass) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tax_classes (id, name) VALUES ($1, $2)`, c.ID, c.Name)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return order.ErrTaken
	}
	if err != nil {
		return fmt.Errorf("create tax class: %w", err)
	}
	return nil
}

// SetTaxRate: see order.TaxStore.
func (s *Store) SetTaxRate(ctx context.Context, r order.TaxRate) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tax_rates (class_id, country, region, rate_ppm) VALUES ($1, $2, $3, $4)
ON CONFLICT (country, class_id, region) DO UPDATE SET rate_ppm = excluded.rate_ppm, updated_at = now()`,
		r.ClassID, r.Country, r.Region, int64(r.Rate))
	if err != nil {
		return fmt.Errorf("set tax rate: %w", err)
	}
	return nil
}

// TaxRates: see order.TaxStore.
func (s *Store) TaxRates(ctx context.Context, country string) ([]order.TaxRate, error) {
	rows, err := s.pool.Query(ctx, `SELECT class_id, country, region, rate_ppm FROM tax_rates
WHERE $1 = '' OR country = $1 ORDER BY country, class_id, region`, country)
	if err != nil {
		return nil, fmt.Errorf("tax rates: %w", err)
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.TaxRate, error) {
		var r order.TaxRate
		return r, row.Scan(&r.ClassID, &r.Country, &r.Region, &r.Rate)
	})
	if err != nil {
		return nil, fmt.Errorf("tax rates: %w", err)
	}
	return rs, nil
}

// AssignTaxClass: see order.TaxStore.
func (s *Store) AssignTaxClass(ctx context.Context, a order.TaxAssignment) error {
	q := `INSERT INTO tax_class_products (product_id, class_id) VALUES ($1, $2)
ON CONFLICT (product_id) DO UPDATE SET class_id = excluded.class_id`
	id := a.ProductID
	if a.ProductTypeID != "" {
		q = `INSERT INTO tax_class_product_types (product_type_id, class_id) VALUES ($1, $2)
ON CONFLICT (product_type_id) DO UPDATE SET class_id = excluded.class_id`
		id = a.ProductTypeID
	}
	if _, err := s.pool.Exec(ctx, q, id, a.ClassID); err != nil {
		return fmt.Errorf("assign tax class: %w", err)
	}
	return nil
}

// TaxAssignments: see order.TaxStore. One round trip.
func (s *Store) TaxAssignments(ctx context.Context, productIDs, productTypeIDs []string) (map[string]string, map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT true, product_id, class_id FROM tax_class_products WHERE product_id = ANY($1)
UNION ALL SELECT false, product_type_id, class_id FROM tax_class_product_types WHERE product_type_id = ANY($2)`, productIDs, productTypeIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("tax assignments: %w", err)
	}
	defer rows.Close()
	byProduct, byType := map[string]string{}, map[string]string{}
	for rows.Next() {
		var product bool
		var id, class string
		if err := rows.Scan(&product, &id, &class); err != nil {
			return nil, nil, fmt.Errorf("tax assignments: %w", err)
		}
		if product {
			byProduct[id] = class
		} else {
			byType[id] = class
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("tax assignments: %w", err)
	}
	return byProduct, byType, nil
}

// TaxExempt: see order.TaxStore.
func (s *Store) TaxExempt(ctx context.Context, userID string) (bool, error) {
	var exempt bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM tax_exempt_users WHERE user_id = $1)`, userID).Scan(&exempt)
	if err != nil {
		return false, fmt.Errorf("tax exempt: %w", err)
	}
	return exempt, nil
}

// SetTaxExempt: see order.TaxStore.
func (s *Store) SetTaxExempt(ctx context.Context, userID string, exempt bool) error {
	q := `DELETE FROM tax_exempt_users WHERE user_id = $1`
	if exempt {
		q = `INSERT INTO tax_exempt_users (user_id) VALUES ($1) ON CONFLICT DO NOTHING`
	}
	if _, err := s.pool.Exec(ctx, q, userID); err != nil {
		return fmt.Errorf("set tax exempt: %w", err)
	}
	return nil
}
