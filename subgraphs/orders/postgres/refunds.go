package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// BeginLineRefund: see order.LifecycleStore.
func (s *Store) BeginLineRefund(ctx context.Context, orderID, key string, plan func(refunded map[string]int) (order.LineRefundPlan, error)) (order.LineRefundPlan, error) {
	var p order.LineRefundPlan
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var currency string
		if err := tx.QueryRow(ctx, `SELECT currency FROM orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&currency); err != nil {
			return err
		}
		booked, err := lineRefunds(ctx, tx, `order_id = $1 AND idempotency_key = $2`, orderID, key)
		if err != nil {
			return err
		}
		if len(booked.Units) > 0 {
			booked.Amount.Currency = money.Currency(currency)
			p = booked
			return nil
		}
		before, err := lineRefunds(ctx, tx, `order_id = $1`, orderID)
		if err != nil {
			return err
		}
		if p, err = plan(before.Units); err != nil {
			return err
		}
		// The amount is booked on the first row: shares are per line, but
		// the payment is one.
		first := true
		for v, q := range p.Units {
			var amount int64
			if first {
				amount, first = p.Amount.Minor, false
			}
			if _, err := tx.Exec(ctx, `INSERT INTO line_refunds (order_id, idempotency_key, variant_id, quantity, amount_minor) VALUES ($1, $2, $3, $4, $5)`,
				orderID, key, v, q, amount); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return order.LineRefundPlan{}, fmt.Errorf("begin line refund: %w", err)
	}
	return p, nil
}

// lineRefunds sums the units and amounts of the line_refunds rows where.
func lineRefunds(ctx context.Context, tx pgx.Tx, where string, args ...any) (order.LineRefundPlan, error) {
	p := order.LineRefundPlan{Units: map[string]int{}}
	rows, err := tx.Query(ctx, `SELECT variant_id, sum(quantity), sum(amount_minor) FROM line_refunds WHERE `+where+` GROUP BY variant_id`, args...)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		var q, amount int64
		if err := rows.Scan(&v, &q, &amount); err != nil {
			return p, err
		}
		p.Units[v] = int(q)
		p.Amount.Minor += amount
	}
	return p, rows.Err()
}

// FinishLineRefund: see order.LifecycleStore.
func (s *Store) FinishLineRefund(ctx context.Context, orderID, key string, done bool) error {
	q := `DELETE FROM line_refunds WHERE order_id = $1 AND idempotency_key = $2 AND state = 'PENDING'`
	if done {
		q = `UPDATE line_refunds SET state = 'DONE' WHERE order_id = $1 AND idempotency_key = $2`
	}
	if _, err := s.pool.Exec(ctx, q, orderID, key); err != nil {
		return fmt.Errorf("finish line refund: %w", err)
	}
	return nil
}
