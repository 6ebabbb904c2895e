package payments_test

import (
	"context"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

func TestFee(t *testing.T) {
	for _, c := range []struct{ captured, fee int64 }{{10000, 320}, {1000, 59}, {17, 30}, {0, 30}, {5000, 175}} {
		if got := payment.Fee(c.captured); got != c.fee {
			t.Errorf("Fee(%d) = %d, want %d", c.captured, got, c.fee)
		}
	}
}

func TestPayouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.authorize(t, e.shopper, "k1", "100.00", testcard.Visa)
	e.follow(t, "capturePayment", a.Payment.ID, "c1", nil)
	e.follow(t, "refundPayment", a.Payment.ID, "r1", "10.00")
	b := e.authorize(t, e.shopper, "k2", "50.00", testcard.Visa)
	e.follow(t, "capturePayment", b.Payment.ID, "c2", "20.00") // the other 30.00 stays authorized only

	settle := `mutation { settlePayouts { captured { amount } refunded { amount } fees { amount } net { amount currencyCode } transactionCount } }`
	if resp := gqltest.DoAs(t, e.h, e.shopper, settle, nil); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("shopper settled payouts: %s", resp.Data)
	}
	// Today's transactions are after today's cutoff: nothing yet.
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, settle, nil).Data, `{"settlePayouts":[]}`)
	// The scheduler pays out what settled before its cutoff; with a cutoff
	// in the future, today's activity counts.
	ps, err := e.payouts.Settle(context.Background(), time.Now().Add(time.Hour))
	if err != nil || len(ps) != 1 {
		t.Fatalf("settle: %v %+v", err, ps)
	}
	// 100.00 + 20.00 captured, 10.00 refunded, fees 3.20 + 0.88.
	report := gqltest.DoAs(t, e.h, e.staff, `{ payouts { edges { node { captured { amount } refunded { amount } fees { amount } net { amount currencyCode } transactionCount } } } }`, nil)
	gqltest.JSONEq(t, report.Data, `{"payouts":{"edges":[{"node":{"captured":{"amount":"120.00"},"refunded":{"amount":"10.00"},
		"fees":{"amount":"4.08"},"net":{"amount":"105.92","currencyCode":"USD"},"transactionCount":3}}]}}`)
	// Nothing is paid out twice.
	if again, err := e.payouts.Settle(context.Background(), time.Now().Add(time.Hour)); err != nil || len(again) != 0 {
		t.Fatalf("second settle: %v %+v", err, again)
	}
}
