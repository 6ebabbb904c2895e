package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// Transition: see order.Store. The status is compared in the update, so
// of two concurrent moves from one status exactly one wins.
func (s *Store) Transition(ctx context.Context, c order.Change) (order.Order, error) {
	err := s.inTx(ctx, func(tx *changeTx) error { return transition(ctx, tx, c, "") })
	return s.after(ctx, c.OrderID, err, "transition")
}

// transition moves the order in tx; fulfilled, when set, is its new
// fulfilment status.
func transition(ctx context.Context, tx *changeTx, c order.Change, fulfilled order.FulfillmentStatus) error {
	var version int
	eo := eventOrder{ID: c.OrderID}
	err := tx.QueryRow(ctx, `UPDATE orders SET status = $3, version = version + 1, updated_at = now(),
  payment_status = coalesce(nullif($4, ''), payment_status), fulfillment_status = coalesce(nullif($5, ''), fulfillment_status)
WHERE id = $1 AND status = $2
RETURNING version, user_id, number, channel, currency, total_minor, payment_status,
  (SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE order_id = $1)`,
		c.OrderID, string(c.From), string(c.To), string(c.Payment), string(fulfilled)).
		Scan(&version, &eo.UserID, &eo.Number, &eo.Channel, &eo.Currency, &eo.TotalMinor, &eo.PaymentStatus, &eo.Units)
	if errors.Is(err, pgx.ErrNoRows) {
		return order.ErrConflict
	}
	if err != nil {
		return err
	}
	return recordEvent(ctx, tx, eo, version, c.From, c.To, c.Actor, c.Note)
}

// after reads the order a transaction changed, or says why it did not.
func (s *Store) after(ctx context.Context, id string, err error, what string) (order.Order, error) {
	if errors.Is(err, order.ErrConflict) {
		return order.Order{}, err
	}
	if err != nil {
		return order.Order{}, fmt.Errorf("%s: %w", what, err)
	}
	os, err := s.OrdersByIDs(ctx, []string{id})
	if err != nil || len(os) == 0 {
		return order.Order{}, errors.Join(errors.New("order vanished"), err)
	}
	return os[0], nil
}

// BeginFulfilment: see order.Store. The order's row lock serialises
// shipments of one order, so concurrent repeats of a key find each other.
func (s *Store) BeginFulfilment(ctx context.Context, f order.Fulfillment) (order.Fulfillment, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM orders WHERE id = $1 FOR UPDATE`, f.OrderID); err != nil {
			return err
		}
		found, err := fulfilmentByKey(ctx, tx, f.OrderID, f.Key)
		if err == nil {
			f = found
			return nil
		}
		if !errors.Is(err, order.ErrNotFound) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO fulfillments (id, order_id, carrier, tracking_number, actor, idempotency_key, request_hash, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING')`, f.ID, f.OrderID, f.Carrier, f.TrackingNumber, f.Actor, f.Key, f.RequestHash); err != nil {
			return err
		}
		for _, l := range f.Lines {
			if _, err := tx.Exec(ctx, `INSERT INTO fulfillment_lines (fulfillment_id, variant_id, quantity) VALUES ($1, $2, $3)`,
				f.ID, l.VariantID, l.Quantity); err != nil {
				return err
			}
		}
		// Pending shipments count: two at once cannot both take the last unit.
		_, err = fulfilmentStatus(ctx, tx, f.OrderID, true)
		f.Pending = true
		return err
	})
	if errors.Is(err, order.ErrConflict) {
		return order.Fulfillment{}, err
	}
	if err != nil {
		return order.Fulfillment{}, fmt.Errorf("begin fulfilment: %w", err)
	}
	return f, nil
}

// FulfilmentByKey: see order.Store.
func (s *Store) FulfilmentByKey(ctx context.Context, orderID, key string) (order.Fulfillment, error) {
	var f order.Fulfillment
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		f, err = fulfilmentByKey(ctx, tx, orderID, key)
		return err
	})
	return f, err
}

func fulfilmentByKey(ctx context.Context, tx pgx.Tx, orderID, key string) (order.Fulfillment, error) {
	f := order.Fulfillment{OrderID: orderID, Key: key}
	var state string
	err := tx.QueryRow(ctx, `SELECT id, carrier, tracking_number, actor, request_hash, state, created_at FROM fulfillments
WHERE order_id = $1 AND idempotency_key = $2`, orderID, key).Scan(&f.ID, &f.Carrier, &f.TrackingNumber, &f.Actor, &f.RequestHash, &state, &f.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, order.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("fulfilment by key: %w", err)
	}
	f.Pending = state == "PENDING"
	rows, err := tx.Query(ctx, `SELECT variant_id, quantity FROM fulfillment_lines WHERE fulfillment_id = $1 ORDER BY variant_id`, f.ID)
	if err != nil {
		return f, fmt.Errorf("fulfilment by key: %w", err)
	}
	f.Lines, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.FulfillmentLine, error) {
		var l order.FulfillmentLine
		err := row.Scan(&l.VariantID, &l.Quantity)
		return l, err
	})
	return f, err
}

// AbandonFulfilment: see order.Store.
func (s *Store) AbandonFulfilment(ctx context.Context, id string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM fulfillments WHERE id = $1 AND state = 'PENDING' FOR UPDATE`, id).Scan(&n); err != nil || n == 0 {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM fulfillment_lines WHERE fulfillment_id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM fulfillments WHERE id = $1`, id)
		return err
	})
}

// CompleteFulfilment: see order.Store.
func (s *Store) CompleteFulfilment(ctx context.Context, f order.Fulfillment, payment order.PaymentStatus) (order.Order, error) {
	err := s.inTx(ctx, func(tx *changeTx) error {
		var status string
		eo := eventOrder{ID: f.OrderID}
		err := tx.QueryRow(ctx, `SELECT status, user_id, number FROM orders WHERE id = $1 FOR UPDATE`, f.OrderID).
			Scan(&status, &eo.UserID, &eo.Number)
		if err != nil {
			return err
		}
		var at time.Time
		err = tx.QueryRow(ctx, `UPDATE fulfillments SET state = 'DONE', created_at = clock_timestamp() WHERE id = $1 AND state = 'PENDING'
RETURNING created_at`, f.ID).Scan(&at)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // a concurrent repeat of this shipment completed it
		}
		if err != nil {
			return err
		}
		fulfilled, err := fulfilmentStatus(ctx, tx, f.OrderID, false)
		if err != nil {
			return err
		}
		from, to := order.Status(status), order.PartiallyShipped
		if fulfilled == order.Fulfilled {
			to = order.Shipped
		}
		if from != to && order.CanMove(from, to) {
			err = transition(ctx, tx, order.Change{OrderID: f.OrderID, From: from, To: to, Actor: f.Actor, Payment: payment}, fulfilled)
		} else {
			// Already there, or the order ended (canceled) while the
			// units were on their way: they did ship, so the record stays.
			_, err = tx.Exec(ctx, `UPDATE orders SET fulfillment_status = $2, updated_at = now(),
  payment_status = coalesce(nullif($3, ''), payment_status) WHERE id = $1`, f.OrderID, string(fulfilled), string(payment))
		}
		if err != nil {
			return err
		}
		return recordFulfilled(ctx, tx, f, eo, at)
	})
	return s.after(ctx, f.OrderID, err, "fulfil")
}

// fulfilmentStatus compares what shipped (with pending, also what is
// shipping) with what was ordered, per variant; ErrConflict when any
// variant shipped more than was ordered.
func fulfilmentStatus(ctx context.Context, tx pgx.Tx, orderID string, pending bool) (order.FulfillmentStatus, error) {
	var over, short, shipped int
	err := tx.QueryRow(ctx, `
WITH ordered AS (SELECT variant_id, sum(quantity) AS n FROM order_lines WHERE order_id = $1 GROUP BY variant_id),
     sent AS (SELECT l.variant_id, sum(l.quantity) AS n FROM fulfillment_lines l JOIN fulfillments f ON f.id = l.fulfillment_id
              WHERE f.order_id = $1 AND (f.state = 'DONE' OR $2) GROUP BY l.variant_id)
SELECT count(*) FILTER (WHERE coalesce(s.n, 0) > coalesce(o.n, 0)), count(*) FILTER (WHERE coalesce(s.n, 0) < coalesce(o.n, 0)),
  coalesce(sum(s.n), 0)
FROM ordered o FULL JOIN sent s ON s.variant_id = o.variant_id`, orderID, pending).Scan(&over, &short, &shipped)
	switch {
	case err != nil:
		return "", err
	case over > 0:
		return "", order.ErrConflict
	case short == 0:
		return order.Fulfilled, nil
	case shipped > 0:
		return order.PartiallyFulfilled, nil
	}
	return order.Unfulfilled, nil
}

// FulfillmentsByOrders returns these orders' recorded fulfilments with
// their lines, oldest first.
func (s *Store) FulfillmentsByOrders(ctx context.Context, orderIDs []string) ([]order.Fulfillment, error) {
	return s.fulfilments(ctx, orderIDs, false)
}

// ShippingByOrder: see order.Store.
func (s *Store) ShippingByOrder(ctx context.Context, orderID string) ([]order.Fulfillment, error) {
	return s.fulfilments(ctx, []string{orderID}, true)
}

func (s *Store) fulfilments(ctx context.Context, orderIDs []string, pending bool) ([]order.Fulfillment, error) {
	rows, err := s.pool.Query(ctx, `SELECT f.id, f.order_id, f.carrier, f.tracking_number, f.actor, f.created_at, l.variant_id, l.quantity
FROM fulfillments f JOIN fulfillment_lines l ON l.fulfillment_id = f.id WHERE f.order_id = ANY($1) AND (f.state = 'DONE' OR $2)
ORDER BY f.order_id, f.created_at, f.id, l.variant_id`, orderIDs, pending)
	if err != nil {
		return nil, fmt.Errorf("fulfillments: %w", err)
	}
	defer rows.Close()
	var out []order.Fulfillment
	for rows.Next() {
		var f order.Fulfillment
		var l order.FulfillmentLine
		if err := rows.Scan(&f.ID, &f.OrderID, &f.Carrier, &f.TrackingNumber, &f.Actor, &f.CreatedAt, &l.VariantID, &l.Quantity); err != nil {
			return nil, fmt.Errorf("fulfillments: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].ID != f.ID {
			out = append(out, f)
		}
		out[len(out)-1].Lines = append(out[len(out)-1].Lines, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fulfillments: %w", err)
	}
	return out, nil
}

// SetPaymentStatus: see order.Store.
func (s *Store) SetPaymentStatus(ctx context.Context, orderID string, ps order.PaymentStatus) (order.Order, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE orders SET payment_status = $2, updated_at = now() WHERE id = $1`, orderID, string(ps))
	if err == nil && tag.RowsAffected() == 0 {
		err = order.ErrNotFound
	}
	return s.after(ctx, orderID, err, "set payment status")
}
