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
	return s.cart(ctx, `c.id = $1`, id)
}

// CartByToken: see order.Store.
func (s *Store) CartByToken(ctx context.Context, tokenHash string) (order.Cart, error) {
	return s.cart(ctx, `c.guest_token_hash = $1 AND c.status = 'OPEN'`, tokenHash)
}

// CreateGuestCart: see order.Store.
func (s *Store) CreateGuestCart(ctx context.Context, id, channel, tokenHash string) (order.Cart, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO carts (id, channel, guest_token_hash) VALUES ($1, $2, $3)`, id, channel, tokenHash); err != nil {
		return order.Cart{}, fmt.Errorf("create guest cart: %w", err)
	}
	return s.CartByID(ctx, id)
}

func (s *Store) cart(ctx context.Context, where string, arg any) (order.Cart, error) {
	rows, err := s.pool.Query(ctx, `
SELECT c.id, coalesce(c.user_id, ''), c.channel, c.status <> 'OPEN', c.shipping_address, c.billing_address, c.shipping_method,
  coalesce(c.guest_token_hash, ''), c.updated_at, l.variant_id, l.quantity
FROM carts c LEFT JOIN cart_lines l ON l.cart_id = c.id WHERE `+where+` ORDER BY l.added_at, l.variant_id`, arg)
	if err != nil {
		return order.Cart{}, fmt.Errorf("cart: %w", err)
	}
	defer rows.Close()
	var c order.Cart
	for rows.Next() {
		var addr, billing []byte
		var variant *string
		var qty *int
		if err := rows.Scan(&c.ID, &c.UserID, &c.Channel, &c.Ordered, &addr, &billing, &c.ShippingMethod, &c.TokenHash, &c.UpdatedAt,
			&variant, &qty); err != nil {
			return order.Cart{}, fmt.Errorf("cart: %w", err)
		}
		if c.Address == nil {
			if c.Address, err = jsonAddress(addr); err != nil {
				return order.Cart{}, err
			}
			if c.Billing, err = jsonAddress(billing); err != nil {
				return order.Cart{}, err
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

// SetCartBilling: see order.Store.
func (s *Store) SetCartBilling(ctx context.Context, cartID string, a *order.Address) error {
	if _, err := s.pool.Exec(ctx, `UPDATE carts SET billing_address = $2, updated_at = now() WHERE id = $1`, cartID, a); err != nil {
		return fmt.Errorf("set billing address: %w", err)
	}
	return nil
}

// SetCartMethod: see order.Store.
func (s *Store) SetCartMethod(ctx context.Context, cartID string, m order.ShippingMethod) error {
	if _, err := s.pool.Exec(ctx, `UPDATE carts SET shipping_method = $2, updated_at = now() WHERE id = $1`, cartID, string(m)); err != nil {
		return fmt.Errorf("set shipping method: %w", err)
	}
	return nil
}

// MergeCart: see order.Store. The guest cart is closed by a conditional
// update first, so of two merges of one guest cart only one moves lines.
func (s *Store) MergeCart(ctx context.Context, guestID, into string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE carts SET status = 'MERGED', updated_at = now() WHERE id = $1 AND status = 'OPEN'`, guestID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return order.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cart_lines (cart_id, variant_id, quantity, added_at)
SELECT $2, variant_id, quantity, added_at FROM cart_lines WHERE cart_id = $1
ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = least(cart_lines.quantity + EXCLUDED.quantity, $3)`,
			guestID, into, order.MaxQuantity); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE carts c SET shipping_address = coalesce(c.shipping_address, g.shipping_address),
  billing_address = coalesce(c.billing_address, g.billing_address),
  shipping_method = CASE WHEN c.shipping_method = '' THEN g.shipping_method ELSE c.shipping_method END, updated_at = now()
FROM carts g WHERE c.id = $2 AND g.id = $1`, guestID, into)
		return err
	})
	if errors.Is(err, order.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("merge cart: %w", err)
	}
	return nil
}

func jsonAddress(b []byte) (*order.Address, error) {
	if b == nil {
		return nil, nil
	}
	a := &order.Address{}
	if err := json.Unmarshal(b, a); err != nil {
		return nil, fmt.Errorf("cart address: %w", err)
	}
	return a, nil
}

func touch(ctx context.Context, tx pgx.Tx, cartID string) error {
	_, err := tx.Exec(ctx, `UPDATE carts SET updated_at = now() WHERE id = $1`, cartID)
	return err
}
