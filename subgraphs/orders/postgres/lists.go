package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// sortColumns are the columns each sort orders by, the id breaking ties.
var sortColumns = map[order.SortField]string{order.SortCreated: "created_at", order.SortTotal: "total_minor", order.SortNumber: "number"}

// ListOrders: see order.Store. Keyset paging on (sort column, id): no
// duplicates or gaps however many orders share a total or a timestamp
// (saleor#8011), and no OFFSET scans.
func (s *Store) ListOrders(ctx context.Context, f order.ListFilter, sort order.Sort, after *order.Position, limit int) ([]order.Order, bool, error) {
	col, ok := sortColumns[sort.Field]
	if !ok {
		return nil, false, fmt.Errorf("list orders: unknown sort %q", sort.Field)
	}
	dir, cmp := "ASC", ">"
	if sort.Desc {
		dir, cmp = "DESC", "<"
	}
	where, args := `TRUE`, []any{}
	arg := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.UserID != "" {
		arg("user_id = $%d", f.UserID)
	}
	if f.Status != "" {
		arg("status = $%d", string(f.Status))
	}
	if !f.CreatedAfter.IsZero() {
		arg("created_at >= $%d", f.CreatedAfter)
	}
	if !f.CreatedBefore.IsZero() {
		arg("created_at < $%d", f.CreatedBefore)
	}
	if f.Currency != "" {
		arg("currency = $%d", string(f.Currency))
	}
	if f.TotalMin != nil {
		arg("total_minor >= $%d", *f.TotalMin)
	}
	if f.TotalMax != nil {
		arg("total_minor <= $%d", *f.TotalMax)
	}
	if after != nil {
		args = append(args, after.Value, after.ID)
		where += fmt.Sprintf(" AND (%s, id) %s ($%d, $%d)", col, cmp, len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, fmt.Sprintf(`SELECT `+orderColumns+` FROM orders WHERE %s ORDER BY %s %s, id %s LIMIT $%d`,
		where, col, dir, dir, len(args)), args...)
	if err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	os, err := pgx.CollectRows(rows, scanOrder)
	if err != nil {
		return nil, false, fmt.Errorf("list orders: %w", err)
	}
	if len(os) > limit {
		return os[:limit], true, nil
	}
	return os, false, nil
}
