// Package postgres is the orders store: the only package that knows its SQL.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the orders database's goose migrations.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store reads and writes carts, checkout sagas and orders.
type Store struct {
	pool *pgxpool.Pool
	// announce, when set, hears every status change once its transaction
	// has committed.
	announce func(context.Context, order.StatusChange)
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// OnStatusChange makes the store call fn with every order status change
// right after the transaction that made it commits (never for one that
// rolls back). fn runs on the caller's goroutine and must be quick.
func (s *Store) OnStatusChange(fn func(context.Context, order.StatusChange)) { s.announce = fn }

// changeTx is a transaction that collects the status changes recorded in
// it, to announce them once it has committed.
type changeTx struct {
	pgx.Tx
	changes []order.StatusChange
}

// inTx runs fn in a transaction and announces its status changes after
// the commit. Every status change is recorded through one.
func (s *Store) inTx(ctx context.Context, fn func(tx *changeTx) error) error {
	var ct *changeTx
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		ct = &changeTx{Tx: tx}
		return fn(ct)
	})
	if err == nil && ct != nil && s.announce != nil {
		for _, c := range ct.changes {
			s.announce(ctx, c)
		}
	}
	return err
}

var _ order.Store = (*Store)(nil)

const orderColumns = `id, number, user_id, channel, status, version, currency, total_minor, shipping_address,
reservation_id, payment_id, created_at, payment_status, fulfillment_status, coalesce(billing_address, shipping_address),
shipping_method, shipping_minor, guest_email, coalesce(subtotal_minor, total_minor - shipping_minor), tax_minor,
shipping_tax_minor, prices_include_tax`

func scanOrder(row pgx.CollectableRow) (order.Order, error) {
	var o order.Order
	var currency string
	err := row.Scan(&o.ID, &o.Number, &o.UserID, &o.Channel, &o.Status, &o.Version, &currency, &o.Total.Minor,
		&o.ShippingAddress, &o.ReservationID, &o.PaymentID, &o.CreatedAt, &o.PaymentStatus, &o.FulfillmentStatus,
		&o.BillingAddress, &o.ShippingMethod, &o.ShippingPrice.Minor, &o.GuestEmail, &o.Subtotal.Minor, &o.TaxTotal.Minor,
		&o.ShippingTax.Minor, &o.PricesIncludeTax)
	c := money.Currency(currency)
	o.Total.Currency, o.ShippingPrice.Currency, o.Subtotal.Currency, o.TaxTotal.Currency, o.ShippingTax.Currency = c, c, c, c, c
	return o, err
}

// OrdersByIDs returns these orders in no particular order.
func (s *Store) OrdersByIDs(ctx context.Context, ids []string) ([]order.Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	os, err := pgx.CollectRows(rows, scanOrder)
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return os, nil
}

// LinesByOrders returns the lines of these orders, in position order.
func (s *Store) LinesByOrders(ctx context.Context, orderIDs []string) ([]order.Line, error) {
	rows, err := s.pool.Query(ctx, `SELECT order_id, variant_id, sku, name, quantity, unit_price_minor, currency, product_id, category_id,
  coalesce(net_minor, unit_price_minor * quantity), tax_minor, coalesce(gross_minor, unit_price_minor * quantity), tax_rate_ppm, tax_class
FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, position`, orderIDs)
	if err != nil {
		return nil, fmt.Errorf("order lines: %w", err)
	}
	ls, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.Line, error) {
		var l order.Line
		var currency string
		err := row.Scan(&l.OrderID, &l.VariantID, &l.SKU, &l.Name, &l.Quantity, &l.UnitPrice.Minor, &currency, &l.ProductID, &l.CategoryID,
			&l.Net.Minor, &l.Tax.Minor, &l.Gross.Minor, &l.TaxRate, &l.TaxClass)
		c := money.Currency(currency)
		l.UnitPrice.Currency, l.Net.Currency, l.Tax.Currency, l.Gross.Currency = c, c, c, c
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("order lines: %w", err)
	}
	return ls, nil
}

// EventsByOrders returns the status histories of these orders, oldest first.
func (s *Store) EventsByOrders(ctx context.Context, orderIDs []string) ([]order.Event, error) {
	rows, err := s.pool.Query(ctx, `SELECT order_id, version, coalesce(from_status, ''), to_status, actor, note, at
FROM order_events WHERE order_id = ANY($1) ORDER BY order_id, version`, orderIDs)
	if err != nil {
		return nil, fmt.Errorf("order events: %w", err)
	}
	es, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.Event, error) {
		var e order.Event
		err := row.Scan(&e.OrderID, &e.Version, &e.From, &e.To, &e.Actor, &e.Note, &e.At)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("order events: %w", err)
	}
	return es, nil
}

// OrderByGuestToken is the guest order whose unexpired token has this
// hash, or order.ErrNotFound.
func (s *Store) OrderByGuestToken(ctx context.Context, tokenHash string) (order.Order, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+orderColumns+` FROM orders WHERE guest_token_hash = $1 AND guest_token_expires_at > now()`, tokenHash)
	if err != nil {
		return order.Order{}, fmt.Errorf("guest order: %w", err)
	}
	o, err := pgx.CollectExactlyOneRow(rows, scanOrder)
	if errors.Is(err, pgx.ErrNoRows) {
		return order.Order{}, order.ErrNotFound
	}
	if err != nil {
		return order.Order{}, fmt.Errorf("guest order: %w", err)
	}
	return o, nil
}

// ClaimGuestOrders gives the guest orders placed with email to userID:
// its owner verified it. It returns how many it moved.
func (s *Store) ClaimGuestOrders(ctx context.Context, userID, email string) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE orders SET user_id = $1 WHERE user_id = '' AND guest_email <> '' AND lower(guest_email) = lower($2)`, userID, email)
	if err != nil {
		return 0, fmt.Errorf("claim guest orders: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
