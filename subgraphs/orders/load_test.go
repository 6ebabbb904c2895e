package orders_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/payments/testcard"
)

// TestConcurrentCheckoutsNeverOversell: 200 customers check out the same
// variant, of which 50 units exist, at once. Exactly 50 orders are
// confirmed and 150 checkouts fail with INSUFFICIENT_STOCK; the stock
// levels are the sum of their movements; no failed checkout left a payment.
func TestConcurrentCheckoutsNeverOversell(t *testing.T) {
	if testing.Short() {
		t.Skip("200 concurrent checkouts take seconds; -short skips them (make test does not pass -short)")
	}
	t.Parallel()
	const customers, units = 200, 50
	e := newEnv(t)
	e.receive(t, "var_000001", units)
	tokens, carts := make([]string, customers), make([]string, customers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16) // filling carts is not what is under test
	for i := range customers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tokens[i] = e.tokens.Token(fmt.Sprintf("usr_load_%03d", i))
			carts[i] = e.cart(t, tokens[i], "var_000001", 1)
		})
	}
	wg.Wait()

	start, codes := make(chan struct{}), make([]string, customers)
	began := time.Now()
	for i := range customers {
		wg.Go(func() {
			<-start
			p := e.place(t, tokens[i], carts[i], testcard.Visa, "load")
			codes[i] = p.code()
			if p.Order != nil {
				codes[i] = p.Order.Status
			}
		})
	}
	close(start)
	wg.Wait()
	t.Logf("%d checkouts in %v", customers, time.Since(began))

	count := map[string]int{}
	for _, c := range codes {
		count[c]++
	}
	if count["CONFIRMED"] != units || count["INSUFFICIENT_STOCK"] != customers-units {
		t.Fatalf("outcomes %v", count)
	}
	if onHand, allocated, reserved := e.level(t, "var_000001"); onHand != units || allocated != units || reserved != 0 {
		t.Errorf("on hand %d, allocated %d, reserved %d", onHand, allocated, reserved)
	}
	if n := e.count(t, e.inventoryDB, `SELECT count(*) FROM stock s, LATERAL (
  SELECT coalesce(sum(on_hand_delta), 0) AS h, coalesce(sum(allocated_delta), 0) AS a, coalesce(sum(reserved_delta), 0) AS r
  FROM movements m WHERE m.warehouse_id = s.warehouse_id AND m.variant_id = s.variant_id) m
WHERE (s.on_hand, s.allocated, s.reserved) <> (m.h::int, m.a::int, m.r::int)`); n != 0 {
		t.Errorf("%d stock rows differ from the sum of their movements", n)
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM orders WHERE status = 'CONFIRMED' AND payment_status = 'AUTHORIZED'`); n != units {
		t.Errorf("%d confirmed, authorized orders", n)
	}
	// Failed checkouts never reached payments; every payment is a confirmed order's.
	var failed []string
	rows, err := e.pool.Query(t.Context(), `SELECT id FROM order_sagas WHERE step = 'FAILED'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		failed = append(failed, id)
	}
	if len(failed) != customers-units {
		t.Errorf("%d failed sagas", len(failed))
	}
	if n := e.count(t, e.paymentsDB, `SELECT count(*) FROM payments WHERE order_id = ANY($1)`, failed); n != 0 {
		t.Errorf("%d payments for failed checkouts", n)
	}
	if n := e.count(t, e.paymentsDB, `SELECT count(*) FROM payments`); n != units {
		t.Errorf("%d payments, want %d", n, units)
	}
}
