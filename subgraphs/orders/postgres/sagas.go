package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

const sagaColumns = `id, user_id, cart_id, idempotency_key, channel, currency, total_minor, lines, shipping_address,
payment_method_id, payment_token, step, reservation_id, payment_id, failure_code, failure_message, shortages, updated_at,
coalesce(billing_address, shipping_address), shipping_method, shipping_minor, guest_email, guest_token_hash,
tax_minor, shipping_tax_minor, prices_include_tax`

// sagaLine is how a priced line is kept in the saga's lines column.
type sagaLine struct {
	VariantID string `json:"variantId"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitMinor int64  `json:"unitMinor"`
	// Absent in sagas started before lines kept them.
	ProductID  string `json:"productId,omitempty"`
	CategoryID string `json:"categoryId,omitempty"`
	// Absent in sagas started before taxes: no tax, net = gross = total.
	NetMinor   *int64 `json:"netMinor,omitempty"`
	TaxMinor   int64  `json:"taxMinor,omitempty"`
	TaxRatePPM int64  `json:"taxRatePpm,omitempty"`
	TaxClass   string `json:"taxClass,omitempty"`
}

func scanSaga(row pgx.CollectableRow) (order.Saga, error) {
	var s order.Saga
	var currency, code, msg string
	var lines []sagaLine
	var shortages []order.Shortage
	err := row.Scan(&s.ID, &s.UserID, &s.CartID, &s.Key, &s.Channel, &currency, &s.Total.Minor, &lines, &s.Address,
		&s.PaymentMethodID, &s.PaymentToken, &s.Step, &s.ReservationID, &s.PaymentID, &code, &msg, &shortages, &s.UpdatedAt,
		&s.Billing, &s.ShippingMethod, &s.ShippingPrice.Minor, &s.GuestEmail, &s.GuestTokenHash,
		&s.TaxTotal.Minor, &s.ShippingTax.Minor, &s.PricesIncludeTax)
	c := money.Currency(currency)
	s.Total.Currency, s.ShippingPrice.Currency, s.TaxTotal.Currency, s.ShippingTax.Currency = c, c, c, c
	for _, l := range lines {
		line := order.Line{OrderID: s.ID, VariantID: l.VariantID, SKU: l.SKU, Name: l.Name, Quantity: l.Quantity,
			UnitPrice: money.Money{Minor: l.UnitMinor, Currency: c}, ProductID: l.ProductID, CategoryID: l.CategoryID,
			TaxRate: order.Rate(l.TaxRatePPM), TaxClass: l.TaxClass}
		net := line.Total().Minor
		if l.NetMinor != nil {
			net = *l.NetMinor
		}
		line.Net, line.Tax, line.Gross = money.Money{Minor: net, Currency: c}, money.Money{Minor: l.TaxMinor, Currency: c},
			money.Money{Minor: net + l.TaxMinor, Currency: c}
		s.Lines = append(s.Lines, line)
	}
	if code != "" {
		s.Failure = &errs.Problem{Code: code, Message: msg}
		if len(shortages) > 0 {
			s.Failure.Err = &order.ShortageError{Shortages: shortages}
		}
	}
	return s, err
}

func (s *Store) oneSaga(ctx context.Context, where string, args ...any) (order.Saga, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sagaColumns+` FROM order_sagas WHERE `+where, args...)
	if err != nil {
		return order.Saga{}, fmt.Errorf("saga: %w", err)
	}
	saga, err := pgx.CollectExactlyOneRow(rows, scanSaga)
	if errors.Is(err, pgx.ErrNoRows) {
		return order.Saga{}, order.ErrNotFound
	}
	if err != nil {
		return order.Saga{}, fmt.Errorf("saga: %w", err)
	}
	return saga, nil
}

// CreateSaga: see order.Store.
func (s *Store) CreateSaga(ctx context.Context, saga order.Saga) error {
	lines := make([]sagaLine, len(saga.Lines))
	for i, l := range saga.Lines {
		net := l.Net.Minor
		lines[i] = sagaLine{VariantID: l.VariantID, SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, UnitMinor: l.UnitPrice.Minor,
			ProductID: l.ProductID, CategoryID: l.CategoryID, NetMinor: &net, TaxMinor: l.Tax.Minor, TaxRatePPM: int64(l.TaxRate),
			TaxClass: l.TaxClass}
	}
	_, err := s.pool.Exec(ctx, `
INSERT INTO order_sagas (id, user_id, cart_id, idempotency_key, channel, currency, total_minor, lines, shipping_address,
  payment_method_id, payment_token, step, billing_address, shipping_method, shipping_minor, guest_email, guest_token_hash,
  tax_minor, shipping_tax_minor, prices_include_tax)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		saga.ID, saga.UserID, saga.CartID, saga.Key, saga.Channel, string(saga.Total.Currency), saga.Total.Minor, lines, saga.Address,
		saga.PaymentMethodID, saga.PaymentToken, string(saga.Step), saga.Billing, string(saga.ShippingMethod), saga.ShippingPrice.Minor,
		saga.GuestEmail, saga.GuestTokenHash, saga.TaxTotal.Minor, saga.ShippingTax.Minor, saga.PricesIncludeTax)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		if pgErr.ConstraintName == "order_sagas_one_per_cart" {
			return order.ErrCartTaken
		}
		return order.ErrKeyTaken
	}
	if err != nil {
		return fmt.Errorf("create saga: %w", err)
	}
	return nil
}

// SagaByKey: see order.Store.
func (s *Store) SagaByKey(ctx context.Context, userID, key string) (order.Saga, error) {
	return s.oneSaga(ctx, `user_id = $1 AND idempotency_key = $2`, userID, key)
}

// LiveSagaByCart: see order.Store.
func (s *Store) LiveSagaByCart(ctx context.Context, cartID string) (order.Saga, error) {
	return s.oneSaga(ctx, `cart_id = $1 AND step <> 'FAILED'`, cartID)
}

// SagaByID: see order.Store.
func (s *Store) SagaByID(ctx context.Context, id string) (order.Saga, error) {
	return s.oneSaga(ctx, `id = $1`, id)
}

// LeaseSaga takes the saga with one conditional update: of two runners,
// exactly one gets it.
func (s *Store) LeaseSaga(ctx context.Context, id string, d time.Duration) (order.Saga, error) {
	rows, err := s.pool.Query(ctx, `UPDATE order_sagas SET leased_until = now() + $2::interval
WHERE id = $1 AND (leased_until IS NULL OR leased_until < now()) RETURNING `+sagaColumns, id, d)
	if err != nil {
		return order.Saga{}, fmt.Errorf("lease saga: %w", err)
	}
	saga, err := pgx.CollectExactlyOneRow(rows, scanSaga)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := s.SagaByID(ctx, id); err != nil {
			return order.Saga{}, err
		}
		return order.Saga{}, order.ErrConflict
	}
	if err != nil {
		return order.Saga{}, fmt.Errorf("lease saga: %w", err)
	}
	return saga, nil
}

// EndLease lets another runner take the saga at once.
func (s *Store) EndLease(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE order_sagas SET leased_until = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("end lease: %w", err)
	}
	return nil
}

// SaveSaga: see order.Store.
func (s *Store) SaveSaga(ctx context.Context, saga order.Saga) error {
	code, msg, shortages := "", "", []order.Shortage{}
	if saga.Failure != nil {
		code, msg = saga.Failure.Code, saga.Failure.Message
		if short := (*order.ShortageError)(nil); errors.As(saga.Failure, &short) {
			shortages = short.Shortages
		}
	}
	_, err := s.pool.Exec(ctx, `UPDATE order_sagas SET step = $2, reservation_id = $3, payment_id = $4,
failure_code = $5, failure_message = $6, shortages = $7, updated_at = now() WHERE id = $1`,
		saga.ID, string(saga.Step), saga.ReservationID, saga.PaymentID, code, msg, shortages)
	if err != nil {
		return fmt.Errorf("save saga: %w", err)
	}
	return nil
}

// StaleSagas: see order.Store.
func (s *Store) StaleSagas(ctx context.Context, before time.Time, limit int) ([]order.Saga, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sagaColumns+` FROM order_sagas
WHERE step NOT IN ('DONE', 'FAILED') AND updated_at < $1 AND (leased_until IS NULL OR leased_until < now())
ORDER BY updated_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("stale sagas: %w", err)
	}
	ss, err := pgx.CollectRows(rows, scanSaga)
	if err != nil {
		return nil, fmt.Errorf("stale sagas: %w", err)
	}
	return ss, nil
}

// PlaceOrder: see order.Store. The saga row is locked first, so a second
// runner that got this far too finds it DONE and places nothing.
func (s *Store) PlaceOrder(ctx context.Context, saga order.Saga, status order.Status, paid order.PaymentStatus, actor string) (order.Order, error) {
	var o order.Order
	err := s.inTx(ctx, func(tx *changeTx) error {
		var step string
		if err := tx.QueryRow(ctx, `SELECT step FROM order_sagas WHERE id = $1 FOR UPDATE`, saga.ID).Scan(&step); err != nil {
			return err
		}
		if step == string(order.StepDone) {
			return nil
		}
		err := tx.QueryRow(ctx, `
INSERT INTO orders (id, user_id, channel, status, currency, total_minor, shipping_address, reservation_id, payment_id,
  payment_status, billing_address, shipping_method, shipping_minor, guest_email, guest_token_hash, guest_token_expires_at,
  subtotal_minor, tax_minor, shipping_tax_minor, prices_include_tax)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, nullif($15, ''), CASE WHEN $15 = '' THEN NULL ELSE now() + $16::interval END,
  $17, $18, $19, $20)
RETURNING number, created_at`,
			saga.ID, saga.UserID, saga.Channel, string(status), string(saga.Total.Currency), saga.Total.Minor, saga.Address,
			saga.ReservationID, saga.PaymentID, string(paid), saga.Billing, string(saga.ShippingMethod), saga.ShippingPrice.Minor,
			saga.GuestEmail, saga.GuestTokenHash, fmt.Sprintf("%d seconds", int64(order.GuestTokenTTL/time.Second)),
			subtotal(saga.Lines), saga.TaxTotal.Minor, saga.ShippingTax.Minor, saga.PricesIncludeTax).Scan(&o.Number, &o.CreatedAt)
		if err != nil {
			return err
		}
		for i, l := range saga.Lines {
			if _, err := tx.Exec(ctx, `INSERT INTO order_lines (order_id, position, variant_id, sku, name, quantity, unit_price_minor, currency,
  product_id, category_id, net_minor, tax_minor, gross_minor, tax_rate_ppm, tax_class)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, saga.ID, i, l.VariantID, l.SKU, l.Name, l.Quantity, l.UnitPrice.Minor,
				string(l.UnitPrice.Currency), l.ProductID, l.CategoryID, l.Net.Minor, l.Tax.Minor, l.Gross.Minor, int64(l.TaxRate), l.TaxClass); err != nil {
				return err
			}
		}
		units := 0
		for _, l := range saga.Lines {
			units += l.Quantity
		}
		eo := eventOrder{ID: saga.ID, UserID: saga.UserID, Channel: saga.Channel, Currency: string(saga.Total.Currency),
			Number: o.Number, TotalMinor: saga.Total.Minor, Units: units}
		if err := recordEvent(ctx, tx, eo, 1, "", status, actor, "placed"); err != nil {
			return err
		}
		if err := recordPlaced(ctx, tx, saga, eo, status, paid, o.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE order_sagas SET step = 'DONE', payment_id = $2, updated_at = now() WHERE id = $1`, saga.ID, saga.PaymentID); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE carts SET status = 'ORDERED', updated_at = now() WHERE id = $1`, saga.CartID)
		return err
	})
	if err != nil {
		return order.Order{}, fmt.Errorf("place order: %w", err)
	}
	os, err := s.OrdersByIDs(ctx, []string{saga.ID})
	if err != nil || len(os) == 0 {
		return order.Order{}, errors.Join(errors.New("placed order vanished"), err)
	}
	return os[0], nil
}

// subtotal is the lines' totals as entered.
func subtotal(lines []order.Line) int64 {
	var n int64
	for _, l := range lines {
		n += l.Total().Minor
	}
	return n
}
