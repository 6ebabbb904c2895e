package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

var _ payment.PayoutStore = (*Store)(nil)

// SettlePayouts: see payment.PayoutStore. Rows are locked as they are
// taken, so two schedulers cannot pay the same capture out twice.
func (s *Store) SettlePayouts(ctx context.Context, cutoff time.Time, fee func(int64) int64, newID func(string) string) ([]payment.Payout, error) {
	var out []payment.Payout
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT id, kind, amount_minor, currency FROM transactions
WHERE payout_id IS NULL AND outcome = 'SUCCEEDED' AND kind IN ('CAPTURE', 'REFUND') AND settled_at < $1
ORDER BY currency, id FOR UPDATE`, cutoff)
		if err != nil {
			return err
		}
		type line struct {
			id, kind, currency string
			amount             int64
		}
		lines, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (line, error) {
			var l line
			err := r.Scan(&l.id, &l.kind, &l.amount, &l.currency)
			return l, err
		})
		if err != nil {
			return err
		}
		byCurrency := map[string]*payment.Payout{}
		ids := map[string][]string{}
		var order []string
		for _, l := range lines {
			p, ok := byCurrency[l.currency]
			if !ok {
				cur := money.Currency(l.currency)
				p = &payment.Payout{ID: newID("po"), Cutoff: cutoff, Captured: money.Money{Currency: cur},
					Refunded: money.Money{Currency: cur}, Fees: money.Money{Currency: cur}, Net: money.Money{Currency: cur}}
				byCurrency[l.currency] = p
				order = append(order, l.currency)
			}
			if l.kind == "CAPTURE" {
				p.Captured.Minor += l.amount
				p.Fees.Minor += fee(l.amount)
			} else {
				p.Refunded.Minor += l.amount
			}
			p.Transactions++
			ids[l.currency] = append(ids[l.currency], l.id)
		}
		for _, cur := range order {
			p := byCurrency[cur]
			p.Net.Minor = p.Captured.Minor - p.Refunded.Minor - p.Fees.Minor
			if err := tx.QueryRow(ctx, `
INSERT INTO payouts (id, currency, cutoff, captured_minor, refunded_minor, fees_minor, net_minor, transactions)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING created_at`,
				p.ID, cur, cutoff, p.Captured.Minor, p.Refunded.Minor, p.Fees.Minor, p.Net.Minor, p.Transactions).Scan(&p.CreatedAt); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE transactions SET payout_id = $1 WHERE id = ANY($2)`, p.ID, ids[cur]); err != nil {
				return err
			}
			out = append(out, *p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("settle payouts: %w", err)
	}
	return out, nil
}

// Payouts lists payouts, newest first, before the id after.
func (s *Store) Payouts(ctx context.Context, after string, first int) ([]payment.Payout, bool, error) {
	rows, err := s.pool.Query(ctx, `
SELECT id, currency, cutoff, captured_minor, refunded_minor, fees_minor, net_minor, transactions, created_at
FROM payouts WHERE $1 = '' OR id < $1 ORDER BY id DESC LIMIT $2`, after, first+1)
	if err != nil {
		return nil, false, fmt.Errorf("payouts: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (payment.Payout, error) {
		var p payment.Payout
		var cur string
		err := r.Scan(&p.ID, &cur, &p.Cutoff, &p.Captured.Minor, &p.Refunded.Minor, &p.Fees.Minor, &p.Net.Minor, &p.Transactions, &p.CreatedAt)
		c := money.Currency(cur)
		p.Captured.Currency, p.Refunded.Currency, p.Fees.Currency, p.Net.Currency = c, c, c, c
		return p, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("payouts: %w", err)
	}
	if len(ps) > first {
		return ps[:first], true, nil
	}
	return ps, false, nil
}
