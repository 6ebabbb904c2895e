package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// OpenCart: see order.Store. Two first adds at once both land in one cart:
// the loser of the insert race reads the winner's.
func (s *Store) OpenCart(ctx context.Context, userID, channel, newID string) (order.Cart, error) {
	c, err := s.FindOpenCart(ctx, userID, channel)
	if !errors.Is(err, order.ErrNotFound) {
		return c, err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO carts (id, user_id, channel) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, newID, userID, channel)
	if err != nil {
		return order.Cart{}, fmt.Errorf("open cart: %w", err)
	}
	return s.FindOpenCart(ctx, userID, channel)
}

// FindOpenCart: see order.Store.
func (s *Store) FindOpenCart(ctx context.Context, userID, channel string) (order.Cart, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT id FROM carts WHERE user_id = $1 AND channel = $2 AND status = 'OPEN'`, userID, channel).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return order.Cart{}, order.ErrNotFound
	}
	if err != nil {
		return order.Cart{}, fmt.Errorf("find cart: %w", err)
	}
	return s.CartByID(ctx, id)
}

// CartByID returns a cart with its lines, oldest first.
func (s *Store) CartByID(ctx context.Context, id string) (order.Cart, error) {
	rows, err := s.pool.Query(ctx, `
SELECT c.id, c.user_id, c.channel, c.status = 'ORDERED', c.shipping_address, c.updated_at, l.variant_id, l.quantity
FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id WHERE c.id = $1 ORDER BY l.added_at, l.variant_id`, id)
	if err != nil {
		return order.Cart{}, fmt.Errorf("cart: %w", err)
	}
	defer rows.Close()
	var c order.Cart
	for rows.Next() {
		var addr []byte
		var variant *string
		var qty *int
		if err := rows.Scan(&c.ID, &c.UserID, &c.Channel, &c.Ordered, &addr, &c.UpdatedAt, &variant, &qty); err != nil {
			return order.Cart{}, fmt.Errorf("cart: %w", err)
		}
		if addr != nil && c.Address == nil {
			c.Address = &order.Address{}
			if err := json.Unmarshal(addr, c.Address); err != nil {
				return order.Cart{}, fmt.Errorf("cart address: %w", err)
			}
		}
		if variant != nil {
			c.Lines = append(c.Lines, order.CartLine{VariantID: *variant, Quantity: *qty})
		}
	}
	if err := rows.Err(); err != nil {
		return order.Cart{}, fmt.Errorf("cart: %w", err)
	}
	if c.ID == "" {
		return order.Cart{}, order.ErrNotFound
	}
	return c, nil
}

// AddCartLine adds units in one statement, so concurrent adds sum; the
// table's CHECK refuses a line over the maximum.
func (s *Store) AddCartLine(ctx context.Context, cartID, variantID string, delta int) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO cart_lines (cart_id, variant_id, quantity) VALUES ($1, $2, $3)
ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_lines.quantity + EXCLUDED.quantity`, cartID, variantID, delta); err != nil {
			return err
		}
		return touch(ctx, tx, cartID)
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" {
		return order.ErrQuantity
	}
	if err != nil {
		return fmt.Errorf("add cart line: %w", err)
	}
	return nil
}

// SetCartLine sets a line's quantity; 0 removes it.
func (s *Store) SetCartLine(ctx context.Context, cartID, variantID string, quantity int) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if quantity == 0 {
			_, err = tx.Exec(ctx, `DELETE FROM cart_lines WHERE cart_id = $1 AND variant_id = $2`, cartID, variantID)
		} else {
			_, err = tx.Exec(ctx, `UPDATE cart_lines SET quantity = $3 WHERE cart_id = $1 AND variant_id = $2`, cartID, variantID, quantity)
		}
		if err != nil {
			return err
		}
		return touch(ctx, tx, cartID)
	})
	if err != nil {
		return fmt.Errorf("set cart line: %w", err)
	}
	return nil
}

// SetCartAddress stores the shipping address.
func (s *Store) SetCartAddress(ctx context.Context, cartID string, a order.Address) error {
	if _, err := s.pool.Exec(ctx, `UPDATE carts SET shipping_address = $2, updated_at = now() WHERE id = $1`, cartID, a); err != nil {
		return fmt.Errorf("set cart address: %w", err)
	}
	return nil
}

func touch(ctx context.Context, tx pgx.Tx, cartID string) error {
	_, err := tx.Exec(ctx, `UPDATE carts SET updated_at = now() WHERE id = $1`, cartID)
	return err
}
