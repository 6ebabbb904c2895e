package orders_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/myshop/supergraph/subgraphs/payments/testcard"
)

// TestLineRefundsGiveBackEachUnitOnce: a line is given back unit by unit
// in separate refunds, which add up to exactly its gross however the
// rounding falls; a repeated key refunds once; a key reused for other
// units is refused; once every unit is back, more are refused; and ten
// concurrent refunds of one unit each of a three-unit line give back
// exactly three.
func TestLineRefundsGiveBackEachUnitOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 10)
	e.price(t, "var_000001", "default-usd", 105)
	e.setRate(t, "", "US", "IL", "7")
	// 3 × 1.05 is 3.15 net and 0.2205 tax: 0.22, gross 3.37.
	placeThree := func(key string) (orderID, paymentID string) {
		c := e.taxedCart(t, e.ada, "", usAddress, "var_000001", "var_000001", "var_000001")
		p := e.place(t, e.ada, c.ID, testcard.Visa, key)
		if p.code() != "" {
			t.Fatalf("placeOrder: %+v", p)
		}
		if m := e.move(t, e.staff, p.Order.ID, "SHIPPED"); len(m.Errors) > 0 {
			t.Fatalf("ship: %+v", m)
		}
		return p.Order.ID, p.Order.Payment.ID
	}
	refund := func(orderID, key string, qty int) string {
		var out struct {
			RefundOrder struct{ Errors []struct{ Code string } }
		}
		gql(t, e.h, e.staff, `mutation($o: ID!, $l: [RefundLineInput!], $k: String!) { refundOrder(input: {orderId: $o, lines: $l, idempotencyKey: $k}) { errors { code } } }`,
			map[string]any{"o": orderID, "l": []map[string]any{line("var_000001", qty)}, "k": key}, &out)
		if len(out.RefundOrder.Errors) > 0 {
			return out.RefundOrder.Errors[0].Code
		}
		return ""
	}
	refunded := func(paymentID string) int {
		return e.count(t, e.paymentsDB, `SELECT coalesce(sum(amount_minor), 0) FROM transactions WHERE payment_id = $1 AND kind = 'REFUND' AND outcome = 'SUCCEEDED'`, paymentID)
	}

	orderID, paymentID := placeThree("three")
	for i, want := range []int{112, 225, 337} { // 1.12, 1.13, 1.12: the 0.22 tax splits 7, 8, 7
		if code := refund(orderID, fmt.Sprint("unit-", i), 1); code != "" {
			t.Fatalf("refund unit %d: %q", i, code)
		}
		if code := refund(orderID, fmt.Sprint("unit-", i), 1); code != "" {
			t.Fatalf("repeat refund unit %d: %q", i, code)
		}
		if got := refunded(paymentID); got != want {
			t.Fatalf("after unit %d refunded %d cents, want %d", i, got, want)
		}
		if i == 0 {
			if code := refund(orderID, "unit-0", 2); code != "IDEMPOTENCY_KEY_REUSED" {
				t.Errorf("key reused for two units: %q", code)
			}
		}
	}
	if code := refund(orderID, "unit-3", 1); code != "INVALID_REFUND" {
		t.Errorf("a fourth unit of three: %q", code)
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM line_refunds WHERE order_id = $1 AND state = 'DONE'`, orderID); n != 3 {
		t.Errorf("%d done refund rows, want 3", n)
	}

	orderID, paymentID = placeThree("race")
	var wg sync.WaitGroup
	codes := make([]string, 10)
	for i := range codes {
		wg.Go(func() { codes[i] = refund(orderID, fmt.Sprint("race-", i), 1) })
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case "INVALID_REFUND":
		default:
			t.Errorf("concurrent refund: %q", c)
		}
	}
	if ok != 3 || refunded(paymentID) != 337 {
		t.Errorf("%d concurrent refunds succeeded giving back %d cents, want 3 and 337 (%v)", ok, refunded(paymentID), codes)
	}
}
