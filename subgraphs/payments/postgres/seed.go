package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// OrdersPrincipal is who the orders subgraph is to payments (the subject
// of its client-credentials token): it captures, voids and refunds.
const OrdersPrincipal = "svc:orders"

// DemoRefundKey is the idempotency key the demo's staff gave the refunds
// of returned orders (the orders subgraph prefixes it with the order).
const DemoRefundKey = "demo-return"

// Seed writes the demo world's payments: one per order through the test
// card provider, with its ledger as the payments service records it
// (who asked, with which key, for what), the webhooks that finished the
// 3-D Secure authorizations, saved cards for a third of the customers,
// and a payout per currency and week for what settled more than a week
// before the history's end. Rows go in by COPY; a database that holds a
// world already keeps it.
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	if len(w.Orders) > 0 {
		if seeded, err := postgres.Seeded(ctx, pool, "payments", w.Orders[0].Payment.ID); err != nil || seeded {
			return err
		}
	}
	t, err := paymentRows(ctx, w)
	if err != nil {
		return fmt.Errorf("seed payments: %w", err)
	}
	if err := postgres.CopyTables(ctx, pool, t, nil); err != nil {
		return fmt.Errorf("seed payments: %w", err)
	}
	if err := postgres.Analyze(ctx, pool, "payments", "transactions", "payment_methods", "payouts"); err != nil {
		return fmt.Errorf("seed payments: analyze: %w", err)
	}
	return nil
}

func paymentRows(ctx context.Context, w *demo.World) ([]postgres.Table, error) {
	provider := testcard.New()
	payments := postgres.Table{Name: "payments", Cols: []string{"id", "order_id", "user_id", "amount_minor", "currency", "provider",
		"provider_ref", "created_at"}}
	txs := postgres.Table{Name: "transactions", Cols: []string{"id", "payment_id", "kind", "outcome", "amount_minor", "currency",
		"provider_ref", "principal", "idempotency_key", "request_hash", "created_at", "settled_at", "payout_id"}}
	methods := postgres.Table{Name: "payment_methods", Cols: []string{"id", "user_id", "provider", "token", "brand", "last4", "exp_month",
		"exp_year", "is_default", "created_at"}}
	webhooks := postgres.Table{Name: "webhook_events", Cols: []string{"provider", "event_id", "type", "received_at"}}
	payouts := postgres.Table{Name: "payouts", Cols: []string{"id", "currency", "cutoff", "captured_minor", "refunded_minor", "fees_minor",
		"net_minor", "transactions", "created_at"}}

	// A third of the customers saved a card when they signed up, every
	// sixth a second one; checkouts pay with the default.
	saved := map[string]string{}
	for i, c := range w.Customers {
		tokens := []string{}
		switch {
		case i%6 == 0:
			tokens = []string{testcard.Visa, testcard.Mastercard}
		case i%3 == 0:
			tokens = []string{testcard.Mastercard}
		}
		for k, tok := range tokens {
			card, err := provider.Card(ctx, tok)
			if err != nil {
				return nil, fmt.Errorf("card %s: %w", tok, err)
			}
			methods.Add(fmt.Sprintf("pm_demo_%06d_%d", i+1, k+1), c.ID, provider.Name(), tok, card.Brand, card.Last4, int32(card.ExpMonth),
				int32(card.ExpYear), k == 0, c.CreatedAt.Add(time.Duration(k)*24*time.Hour))
		}
		if len(tokens) > 0 {
			saved[c.ID] = tokens[0]
		}
	}

	payoutCutoff := w.Until.AddDate(0, 0, -7)
	type week struct {
		currency string
		cutoff   time.Time
	}
	weeks := map[week]*[4]int64{} // captured, refunded, fees, transactions
	payoutOf := func(cur string, kind string, amount int64, settled time.Time) any {
		cutoff := nextMonday(settled)
		if cutoff.After(payoutCutoff) {
			return nil
		}
		k := week{cur, cutoff}
		p := weeks[k]
		if p == nil {
			p = &[4]int64{}
			weeks[k] = p
		}
		if kind == string(payment.Capture) {
			p[0] += amount
			p[2] += payment.Fee(amount)
		} else {
			p[1] += amount
		}
		p[3]++
		return payoutID(cur, cutoff)
	}

	duplicated := false
	for i := range w.Orders {
		o := &w.Orders[i]
		p := o.Payment
		payments.Add(p.ID, o.ID, o.UserID, o.TotalMinor, o.Currency, provider.Name(), p.ProviderRef, o.PlacedAt)
		zero := money.Money{Currency: money.Currency(o.Currency)}
		for _, t := range p.Transactions {
			var principal, key, hash, ref string
			switch t.Kind {
			case string(payment.Authorize):
				token := saved[o.UserID]
				if t.Outcome == string(payment.RequiresAction) || !t.SettledAt.Equal(t.At) {
					token = testcard.ThreeDSecure
				} else if token == "" {
					token = testcard.Visa
				}
				principal, key, ref = o.UserID, o.ID+":authorize", p.ProviderRef
				hash = idempotency.Hash("authorize", o.ID, money.Money{Minor: o.TotalMinor, Currency: zero.Currency}, token)
				if !t.SettledAt.Equal(t.At) {
					// The customer finished 3-D Secure: the provider's webhook
					// settled the authorization (one delivery arrived twice).
					id := "evt_demo_" + t.ID
					webhooks.Add(provider.Name(), id, "transaction.settled", t.SettledAt)
					if !duplicated {
						webhooks.Add(provider.Name(), id, "transaction.settled", t.SettledAt.Add(time.Minute))
						duplicated = true
					}
				}
			case string(payment.Capture):
				principal, key, ref = OrdersPrincipal, o.ID+":capture", "ch_"+short(t.ID)
				hash = idempotency.Hash(t.Kind, p.ID, zero, "")
			case string(payment.Void):
				principal, key, ref = OrdersPrincipal, o.ID+":void", p.ProviderRef
				hash = idempotency.Hash(t.Kind, p.ID, zero, "")
			case string(payment.Refund):
				principal, key, ref = OrdersPrincipal, o.ID+":refund:"+DemoRefundKey, "re_"+short(t.ID)
				asked := zero // all that is left
				if t.AmountMinor != o.TotalMinor {
					asked.Minor = t.AmountMinor
				}
				hash = idempotency.Hash(t.Kind, p.ID, asked, "")
			default:
				return nil, fmt.Errorf("order %s: unknown transaction kind %q", o.ID, t.Kind)
			}
			var payout any
			if t.Outcome == string(payment.Succeeded) && (t.Kind == string(payment.Capture) || t.Kind == string(payment.Refund)) {
				payout = payoutOf(o.Currency, t.Kind, t.AmountMinor, t.SettledAt)
			}
			txs.Add(t.ID, p.ID, t.Kind, t.Outcome, t.AmountMinor, o.Currency, ref, principal, key, hash, t.At, t.SettledAt, payout)
		}
	}
	keys := make([]week, 0, len(weeks))
	for k := range weeks {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if !keys[i].cutoff.Equal(keys[j].cutoff) {
			return keys[i].cutoff.Before(keys[j].cutoff)
		}
		return keys[i].currency < keys[j].currency
	})
	for _, k := range keys {
		p := weeks[k]
		payouts.Add(payoutID(k.currency, k.cutoff), k.currency, k.cutoff, p[0], p[1], p[2], p[0]-p[1]-p[2], int32(p[3]),
			k.cutoff.Add(6*time.Hour))
	}
	return []postgres.Table{payouts, payments, txs, methods, webhooks}, nil
}

// nextMonday is the start of the week after t's (weeks start on Monday,
// UTC): the cutoff of the weekly payout that settles t.
func nextMonday(t time.Time) time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	back := (int(d.Weekday()) + 6) % 7 // days since Monday
	return d.AddDate(0, 0, 7-back)
}

// payoutID is the id the payout would have had when made at its cutoff,
// with randomness drawn from its currency and week: payouts list newest
// first by id, demo and live ones alike.
func payoutID(currency string, cutoff time.Time) string {
	var entropy [10]byte
	h := sha256.Sum256([]byte(currency + cutoff.Format(time.DateOnly)))
	copy(entropy[:], h[:])
	return ids.At("po", cutoff.Add(6*time.Hour), entropy)
}

// short is testcard's reference suffix for a ledger entry id.
func short(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}
