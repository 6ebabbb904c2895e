package payments_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/payments"
	"github.com/myshop/supergraph/subgraphs/payments/payment"
	pgstore "github.com/myshop/supergraph/subgraphs/payments/postgres"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// TestDemoSeed: the demo world's payments, written twice, are written
// once; each ledger derives the payment status its order records, never
// captures more than it authorized nor refunds more than it captured;
// payouts add up to what they took; a repeat of the orders service's own
// requests (same principal, key and request) replays instead of moving
// money again, and the next step of a confirmed order's payment works.
func TestDemoSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := demo.Default()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	pgtest.SeedTwice(t, pool, func(ctx context.Context, pool *pgxpool.Pool) error { return pgstore.Seed(ctx, pool, w) },
		"payments", "transactions", "payment_methods", "webhook_events", "payouts")

	store := pgstore.New(pool)
	paymentIDs := make([]string, len(w.Orders))
	want := map[string]string{}
	threeDS := 0
	for i, o := range w.Orders {
		paymentIDs[i] = o.Payment.ID
		want[o.Payment.ID] = o.PaymentStatus
		if o.PaymentStatus == "NONE" {
			want[o.Payment.ID] = string(payment.StatusRequiresAction) // 3-D Secure never finished
		}
		for _, x := range o.Payment.Transactions {
			if !x.SettledAt.Equal(x.At) {
				threeDS++
			}
		}
	}
	txs, err := store.TransactionsByPayments(ctx, paymentIDs)
	if err != nil {
		t.Fatal(err)
	}
	ledgers := map[string][]payment.Transaction{}
	for _, x := range txs {
		ledgers[x.PaymentID] = append(ledgers[x.PaymentID], x)
	}
	for id, status := range want {
		l := ledgers[id]
		if got := payment.StatusOf(l); string(got) != status {
			t.Errorf("payment %s is %s by its ledger, its order says %s", id, got, status)
		}
		if s := payment.Sum(l); s.Captured > s.Authorized || s.Refunded > s.Captured {
			t.Errorf("payment %s: authorized %d, captured %d, refunded %d", id, s.Authorized, s.Captured, s.Refunded)
		}
	}

	var webhooks, defaults, users, payouts, badPayouts, unpaid int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM webhook_events),
  (SELECT count(*) FROM payment_methods WHERE is_default), (SELECT count(DISTINCT user_id) FROM payment_methods), (SELECT count(*) FROM payouts),
  (SELECT count(*) FROM payouts p, LATERAL (SELECT coalesce(sum(amount_minor) FILTER (WHERE kind = 'CAPTURE'), 0) c,
       coalesce(sum(amount_minor) FILTER (WHERE kind = 'REFUND'), 0) r, count(*) n
       FROM transactions x WHERE x.payout_id = p.id AND x.settled_at < p.cutoff AND x.currency = p.currency) t
     WHERE p.net_minor <> p.captured_minor - p.refunded_minor - p.fees_minor
       OR p.captured_minor <> t.c OR p.refunded_minor <> t.r OR p.transactions <> t.n),
  (SELECT count(*) FROM transactions x WHERE payout_id IS NULL AND outcome = 'SUCCEEDED' AND kind IN ('CAPTURE', 'REFUND')
     AND settled_at < (SELECT max(cutoff) FROM payouts p WHERE p.currency = x.currency))`).Scan(&webhooks, &defaults, &users, &payouts, &badPayouts, &unpaid); err != nil {
		t.Fatal(err)
	}
	if webhooks != threeDS || threeDS == 0 || defaults != users || users == 0 || payouts == 0 || badPayouts != 0 || unpaid != 0 {
		t.Fatalf("webhooks %d for %d 3-D Secure authorizations, %d defaults for %d users with cards, %d payouts of which %d do not add up, %d settled before a payout and left out",
			webhooks, threeDS, defaults, users, payouts, badPayouts, unpaid)
	}

	issuer := authtest.New(t)
	e := &env{h: payments.NewHandler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoaderWait: subgraph.DefaultLoaderWait, Verifier: issuer.Verifier()}, testcard.New(), secret),
		staff: issuer.Token(pgstore.OrdersPrincipal, payment.ManageOrders, payment.RefundPayments, payment.ReadOrders)}
	var delivered, confirmed *demo.Order
	for i := range w.Orders {
		o := &w.Orders[i]
		switch {
		case o.Status == demo.Delivered && o.PaymentStatus == "PAID" && o.Currency == "USD" && delivered == nil:
			delivered = o
		case o.Status == demo.Confirmed && o.Currency == "USD" && confirmed == nil:
			confirmed = o
		}
	}
	if delivered == nil || confirmed == nil {
		t.Fatal("the demo has no delivered or no confirmed USD order")
	}
	before := len(txs)
	if r := e.follow(t, "capturePayment", delivered.Payment.ID, delivered.ID+":capture", nil); code(r) != "" || r.Payment.Status != "PAID" {
		t.Fatalf("replayed capture of %s: %+v", delivered.ID, r)
	}
	if r := e.follow(t, "capturePayment", confirmed.Payment.ID, confirmed.ID+":capture", nil); code(r) != "" || r.Payment.Status != "PAID" {
		t.Fatalf("capture of %s: %+v", confirmed.ID, r)
	}
	if r := e.follow(t, "refundPayment", confirmed.Payment.ID, confirmed.ID+":refund:"+pgstore.DemoRefundKey, nil); code(r) != "" || r.Payment.Status != "REFUNDED" {
		t.Fatalf("refund of %s: %+v", confirmed.ID, r)
	}
	var after int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM transactions`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before+2 {
		t.Fatalf("%d transactions after a replay, a capture and a refund, want %d", after, before+2)
	}

	// The daily scheduler's first run pays out what the seed's payouts left.
	if _, err := payment.NewPayouts(store, ids.New).Settle(ctx, w.Until); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM transactions WHERE payout_id IS NULL AND outcome = 'SUCCEEDED'
  AND kind IN ('CAPTURE', 'REFUND') AND settled_at < $1`, w.Until).Scan(&unpaid); err != nil {
		t.Fatal(err)
	}
	if unpaid != 0 {
		t.Fatalf("%d settled transactions left out of every payout", unpaid)
	}
}
