// Package postgres is the payments store: the only package that knows its SQL.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/platform/outbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the payments database's goose migrations.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store reads and writes payments.
type Store struct{ pool *pgxpool.Pool }

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

var _ payment.Store = (*Store)(nil)

// PaymentsByIDs returns these payments in no particular order.
func (s *Store) PaymentsByIDs(ctx context.Context, ids []string) ([]payment.Payment, error) {
	rows, err := s.pool.Query(ctx, `
SELECT id, order_id, user_id, amount_minor, currency, provider, provider_ref, created_at
FROM payments WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (payment.Payment, error) {
		var p payment.Payment
		var cur string
		err := row.Scan(&p.ID, &p.OrderID, &p.UserID, &p.Amount.Minor, &cur, &p.Provider, &p.ProviderRef, &p.CreatedAt)
		p.Amount.Currency = money.Currency(cur)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("payments: %w", err)
	}
	return ps, nil
}

// PaymentIDsByOrder lists an order's payments, oldest first.
func (s *Store) PaymentIDsByOrder(ctx context.Context, orderID string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM payments WHERE order_id = $1 ORDER BY created_at, id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("payments by order: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("payments by order: %w", err)
	}
	return ids, nil
}

const transactionColumns = `id, payment_id, kind, outcome, amount_minor, currency, provider_ref, error_code, created_at,
principal, idempotency_key, request_hash, next_action_type, next_action_url, next_action_secret`

func scanEntry(row pgx.CollectableRow) (payment.Entry, error) {
	var e payment.Entry
	var cur, actionType string
	var a payment.Action
	err := row.Scan(&e.ID, &e.PaymentID, &e.Kind, &e.Outcome, &e.Amount.Minor, &cur, &e.ProviderRef, &e.ErrorCode,
		&e.CreatedAt, &e.Principal, &e.Key, &e.RequestHash, &actionType, &a.RedirectURL, &a.ClientSecret)
	e.Amount.Currency = money.Currency(cur)
	if actionType != "" {
		a.Type = payment.ActionType(actionType)
		e.Action = &a
	}
	return e, err
}

// TransactionsByPayments returns the ledgers of these payments, oldest first.
func (s *Store) TransactionsByPayments(ctx context.Context, paymentIDs []string) ([]payment.Transaction, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+transactionColumns+` FROM transactions
WHERE payment_id = ANY($1) ORDER BY payment_id, created_at, id`, paymentIDs)
	if err != nil {
		return nil, fmt.Errorf("transactions: %w", err)
	}
	es, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return nil, fmt.Errorf("transactions: %w", err)
	}
	out := make([]payment.Transaction, len(es))
	for i, e := range es {
		out[i] = e.Transaction
	}
	return out, nil
}

// EntryByKey finds an entry by who made it and their idempotency key.
func (s *Store) EntryByKey(ctx context.Context, principal, key string) (payment.Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+transactionColumns+` FROM transactions
WHERE principal = $1 AND idempotency_key = $2`, principal, key)
	if err != nil {
		return payment.Entry{}, fmt.Errorf("entry by key: %w", err)
	}
	e, err := pgx.CollectExactlyOneRow(rows, scanEntry)
	if errors.Is(err, pgx.ErrNoRows) {
		return payment.Entry{}, payment.ErrNotFound
	}
	if err != nil {
		return payment.Entry{}, fmt.Errorf("entry by key: %w", err)
	}
	return e, nil
}

// CreatePayment stores a payment and its pending authorization.
func (s *Store) CreatePayment(ctx context.Context, p payment.Payment, e payment.Entry) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO payments (id, order_id, user_id, amount_minor, currency, provider) VALUES ($1, $2, $3, $4, $5, $6)`,
			p.ID, p.OrderID, p.UserID, p.Amount.Minor, string(p.Amount.Currency), p.Provider); err != nil {
			return err
		}
		return insertEntry(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("create payment: %w", err)
	}
	return nil
}

// AppendPending checks and appends an entry under the payment's row lock.
func (s *Store) AppendPending(ctx context.Context, paymentID string, e payment.Entry, check func(payment.Totals) (int64, error)) (payment.Entry, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM payments WHERE id = $1 FOR UPDATE`, paymentID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+transactionColumns+` FROM transactions WHERE payment_id = $1 ORDER BY created_at, id`, paymentID)
		if err != nil {
			return err
		}
		es, err := pgx.CollectRows(rows, scanEntry)
		if err != nil {
			return err
		}
		txs := make([]payment.Transaction, len(es))
		for i, x := range es {
			txs[i] = x.Transaction
		}
		amount, err := check(payment.Sum(txs))
		if err != nil {
			return err
		}
		e.Amount.Minor = amount
		return insertEntry(ctx, tx, e)
	})
	var fe *errs.Problem
	if errors.As(err, &fe) {
		return payment.Entry{}, fe
	}
	if err != nil {
		return payment.Entry{}, fmt.Errorf("append to ledger: %w", err)
	}
	return e, nil
}

// Settle gives a pending entry its outcome, remembers the authorization's
// reference on the payment, and records the event, in one transaction.
func (s *Store) Settle(ctx context.Context, txID string, r payment.ProviderResult) error {
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return settle(ctx, tx, txID, r) }); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	return nil
}

// ApplyWebhook records a provider event and applies what it reports. The
// event's row is the lock: a second delivery, even a simultaneous one,
// waits for the first and then finds the row.
func (s *Store) ApplyWebhook(ctx context.Context, provider string, e payment.ProviderEvent) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO webhook_events (provider, event_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			provider, e.ID, e.Type)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return payment.ErrDuplicateWebhook
		}
		for _, x := range e.Entries {
			if x.TransactionID == "" {
				continue
			}
			if err := settle(ctx, tx, x.TransactionID, x.Result); err != nil {
				return err
			}
		}
		if e.PaymentRef != "" && (e.CapturesSucceeded || e.Refunded != nil) {
			if err := settleByPayment(ctx, tx, provider, e); err != nil {
				return err
			}
		}
		if p := e.Payout; p != nil {
			if _, err := tx.Exec(ctx, `
INSERT INTO provider_payouts (provider, id, amount_minor, currency, status, arrival_date) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (provider, id) DO UPDATE SET status = excluded.status, arrival_date = excluded.arrival_date, updated_at = now()`,
				provider, p.ID, p.Amount.Minor, string(p.Amount.Currency), p.Status, p.ArrivalDate); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, payment.ErrDuplicateWebhook) {
		return err
	}
	if err != nil {
		return fmt.Errorf("apply webhook: %w", err)
	}
	return nil
}

// settleByPayment settles the pending captures and refunds of the payment
// the provider knows as e.PaymentRef, under the payment's lock.
func settleByPayment(ctx context.Context, tx pgx.Tx, provider string, e payment.ProviderEvent) error {
	var paymentID string
	err := tx.QueryRow(ctx, `SELECT id FROM payments WHERE provider = $1 AND provider_ref = $2 FOR UPDATE`, provider, e.PaymentRef).Scan(&paymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // not one of ours
	}
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT `+transactionColumns+` FROM transactions WHERE payment_id = $1 ORDER BY created_at, id`, paymentID)
	if err != nil {
		return err
	}
	es, err := pgx.CollectRows(rows, scanEntry)
	if err != nil {
		return err
	}
	var refunded int64
	for _, x := range es {
		if x.Kind == payment.Refund && x.Outcome == payment.Succeeded {
			refunded += x.Amount.Minor
		}
	}
	for _, x := range es {
		if x.Outcome != payment.Pending {
			continue
		}
		switch {
		case x.Kind == payment.Capture && e.CapturesSucceeded:
		case x.Kind == payment.Refund && e.Refunded != nil && refunded+x.Amount.Minor <= *e.Refunded:
			refunded += x.Amount.Minor
		default:
			continue
		}
		if err := settle(ctx, tx, x.ID, payment.ProviderResult{Outcome: payment.Succeeded}); err != nil {
			return err
		}
	}
	return nil
}

// settle moves an unsettled entry (pending, or waiting for the customer's
// 3-D Secure) to its outcome; a settled one is left alone, which is how an
// event arriving late or out of order changes nothing.
func settle(ctx context.Context, tx pgx.Tx, txID string, r payment.ProviderResult) error {
	var paymentID, kind, orderID, userID, currency string
	var amount int64
	var a payment.Action
	if r.Action != nil {
		a = *r.Action
	}
	err := tx.QueryRow(ctx, `
UPDATE transactions t SET outcome = $2, provider_ref = coalesce(nullif($3, ''), t.provider_ref), error_code = $4, settled_at = now(),
  next_action_type = $5, next_action_url = $6, next_action_secret = $7
FROM payments p WHERE t.id = $1 AND t.outcome IN ('PENDING', 'REQUIRES_ACTION') AND p.id = t.payment_id
RETURNING t.payment_id, t.kind, p.order_id, p.user_id, t.amount_minor, t.currency`, txID, string(r.Outcome), r.Ref, r.ErrorCode,
		string(a.Type), a.RedirectURL, a.ClientSecret).
		Scan(&paymentID, &kind, &orderID, &userID, &amount, &currency)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // settled before: by a retry or a webhook
	}
	if err != nil {
		return err
	}
	if kind == string(payment.Authorize) && r.Ref != "" {
		if _, err := tx.Exec(ctx, `UPDATE payments SET provider_ref = $2 WHERE id = $1`, paymentID, r.Ref); err != nil {
			return err
		}
	}
	return outbox.Record(ctx, tx, "payment.transaction_settled", map[string]any{
		"paymentId": paymentID, "orderId": orderID, "userId": userID, "transactionId": txID, "kind": kind,
		"outcome": string(r.Outcome), "amountMinor": amount, "currency": currency, "errorCode": r.ErrorCode,
	})
}

func insertEntry(ctx context.Context, tx pgx.Tx, e payment.Entry) error {
	_, err := tx.Exec(ctx, `
INSERT INTO transactions (id, payment_id, kind, outcome, amount_minor, currency, principal, idempotency_key, request_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.PaymentID, string(e.Kind), string(e.Outcome), e.Amount.Minor, string(e.Amount.Currency), e.Principal, e.Key, e.RequestHash)
	return err
}
