package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
)

var _ payment.MethodStore = (*Store)(nil)

// MethodsByUsers returns these users' saved methods, oldest first.
func (s *Store) MethodsByUsers(ctx context.Context, userIDs []string) ([]payment.Method, error) {
	rows, err := s.pool.Query(ctx, `
SELECT id, user_id, provider, token, brand, last4, exp_month, exp_year, is_default
FROM payment_methods WHERE user_id = ANY($1) AND removed_at IS NULL ORDER BY user_id, id`, userIDs)
	if err != nil {
		return nil, fmt.Errorf("payment methods: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (payment.Method, error) {
		var m payment.Method
		err := row.Scan(&m.ID, &m.UserID, &m.Provider, &m.Token, &m.Card.Brand, &m.Card.Last4, &m.Card.ExpMonth, &m.Card.ExpYear, &m.IsDefault)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("payment methods: %w", err)
	}
	return ms, nil
}

// AddMethod saves a method; the first one is the default.
func (s *Store) AddMethod(ctx context.Context, m payment.Method) (payment.Method, error) {
	err := s.pool.QueryRow(ctx, `
INSERT INTO payment_methods (id, user_id, provider, token, brand, last4, exp_month, exp_year, is_default)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
        NOT EXISTS (SELECT 1 FROM payment_methods WHERE user_id = $2 AND is_default AND removed_at IS NULL))
RETURNING is_default`, m.ID, m.UserID, m.Provider, m.Token, m.Card.Brand, m.Card.Last4, m.Card.ExpMonth, m.Card.ExpYear).Scan(&m.IsDefault)
	if err != nil {
		return payment.Method{}, fmt.Errorf("add payment method: %w", err)
	}
	return m, nil
}

// RemoveMethod removes one of the user's methods.
func (s *Store) RemoveMethod(ctx context.Context, userID, id string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE payment_methods SET removed_at = now(), is_default = false
WHERE id = $1 AND user_id = $2 AND removed_at IS NULL`, id, userID)
	if err != nil {
		return fmt.Errorf("remove payment method: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return payment.ErrNotFound
	}
	return nil
}

// SetDefaultMethod moves the user's default to id.
func (s *Store) SetDefaultMethod(ctx context.Context, userID, id string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM payment_methods WHERE id = $1 AND user_id = $2 AND removed_at IS NULL)`,
			id, userID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return payment.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `UPDATE payment_methods SET is_default = false WHERE user_id = $1 AND is_default`, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE payment_methods SET is_default = true WHERE id = $1`, id)
		return err
	})
	if err != nil && err != payment.ErrNotFound {
		return fmt.Errorf("set default payment method: %w", err)
	}
	return err
}
