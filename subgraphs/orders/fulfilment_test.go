package orders_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

type fulfilled struct {
	Order *struct {
		Status, PaymentStatus, FulfillmentStatus string
	}
	Fulfillment *struct {
		ID, Carrier, TrackingNumber string
		Lines                       []struct {
			Variant  struct{ ID string }
			Quantity int
		}
	}
	Errors []struct{ Code string }
}

const fulfilOp = `mutation($o: ID!, $l: [FulfillmentLineInput!]!, $k: String!) { fulfillOrder(input: {orderId: $o, lines: $l, carrier: "UPS", trackingNumber: "1Z999", idempotencyKey: $k}) {
  order { status paymentStatus fulfillmentStatus } fulfillment { id carrier trackingNumber lines { variant { id } quantity } } errors { code } } }`

// fulfil ships lines under a fresh idempotency key.
func (e *env) fulfil(t *testing.T, token, orderID string, lines []map[string]any) fulfilled {
	t.Helper()
	return e.fulfilKey(t, token, orderID, fmt.Sprintf("ship-%d", time.Now().UnixNano()), lines)
}

func (e *env) fulfilKey(t *testing.T, token, orderID, key string, lines []map[string]any) fulfilled {
	t.Helper()
	var out struct{ FulfillOrder fulfilled }
	gql(t, e.h, token, fulfilOp, map[string]any{"o": orderID, "l": lines, "k": key}, &out)
	return out.FulfillOrder
}

func line(variant string, qty int) map[string]any {
	return map[string]any{"variantId": variant, "quantity": qty}
}

// TestFulfilments: partial shipments move the order to PARTIALLY_SHIPPED,
// the last one to SHIPPED (fulfilling the stock, capturing the payment);
// over-shipping is refused; payment and fulfilment statuses follow, read
// from the order alone.
func TestFulfilments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	e.receive(t, "var_000002", 5)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 3, "var_000002", 1), testcard.Visa, "k")
	id := p.Order.ID

	if resp := gqltest.DoAs(t, e.h, e.ada, `mutation($o: ID!) { fulfillOrder(input: {orderId: $o, lines: [{variantId: "var_000001", quantity: 1}], carrier: "", trackingNumber: "", idempotencyKey: "k"}) { errors { code } } }`,
		map[string]any{"o": id}); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("customer fulfilled: %+v", resp)
	}
	f := e.fulfil(t, e.staff, id, []map[string]any{line("var_000001", 1), line("var_000001", 1)})
	if len(f.Errors) > 0 || f.Order.Status != "PARTIALLY_SHIPPED" || f.Order.FulfillmentStatus != "PARTIALLY_FULFILLED" ||
		f.Order.PaymentStatus != "AUTHORIZED" || f.Fulfillment.Carrier != "UPS" || len(f.Fulfillment.Lines) != 1 || f.Fulfillment.Lines[0].Quantity != 2 {
		t.Fatalf("first shipment: %+v", f)
	}
	for _, bad := range [][]map[string]any{{line("var_000001", 2)}, {line("var_000003", 1)}, {line("var_000002", 0)}, {}} {
		if f := e.fulfil(t, e.staff, id, bad); len(f.Errors) != 1 || f.Errors[0].Code != "INVALID_FULFILLMENT" {
			t.Errorf("%v: %+v", bad, f)
		}
	}
	// The 2 shipped units left stock; the money waits for the last shipment.
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "AUTHORIZED" {
		t.Errorf("payment %s after a partial shipment", st)
	}
	if onHand, allocated, _ := e.level(t, "var_000001"); onHand != 3 || allocated != 1 {
		t.Errorf("var_000001 after 2 of 3 shipped: on hand %d, allocated %d", onHand, allocated)
	}
	f = e.fulfil(t, e.staff, id, []map[string]any{line("var_000001", 1), line("var_000002", 1)})
	if len(f.Errors) > 0 || f.Order.Status != "SHIPPED" || f.Order.FulfillmentStatus != "FULFILLED" || f.Order.PaymentStatus != "PAID" {
		t.Fatalf("last shipment: %+v", f)
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "PAID" {
		t.Errorf("payment %s after shipping", st)
	}
	if onHand, allocated, _ := e.level(t, "var_000001"); onHand != 2 || allocated != 0 {
		t.Errorf("var_000001 after shipping: on hand %d, allocated %d", onHand, allocated)
	}
	var o struct {
		Order struct {
			Fulfillments []struct {
				Lines []struct{ Quantity int }
			}
			Events []struct{ To string }
		}
	}
	gql(t, e.h, e.ada, `query($id: ID!) { order(id: $id) { fulfillments { lines { quantity } } events { to } } }`, map[string]any{"id": id}, &o)
	if len(o.Order.Fulfillments) != 2 || len(o.Order.Fulfillments[1].Lines) != 2 || len(o.Order.Events) != 3 {
		t.Errorf("order: %+v", o)
	}
	// Canceling refunds; the order knows without asking payments.
	if m := e.move(t, e.staff, id, "CANCELED"); len(m.Errors) > 0 {
		t.Fatalf("cancel: %+v", m)
	}
	var c struct {
		Order struct{ PaymentStatus string }
	}
	gql(t, e.h, e.ada, `query($id: ID!) { order(id: $id) { paymentStatus } }`, map[string]any{"id": id}, &c)
	if c.Order.PaymentStatus != "REFUNDED" {
		t.Errorf("paymentStatus %s after cancel", c.Order.PaymentStatus)
	}
	// Events: placed once, canceled once, a status change per version, a
	// fulfilment each, all with stable ids.
	for typ, want := range map[string]int{"order.placed": 1, "order.canceled": 1, "order.status_changed": 4, "order.fulfillment_created": 2} {
		if n := e.count(t, e.pool, `SELECT count(*) FROM outbox WHERE type = $1 AND payload->>'orderId' = $2`, typ, id); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM outbox WHERE event_id IN ($1, $2) AND payload->>'number' IS NOT NULL`,
		"evt_"+id+"_placed", "evt_"+id+"_canceled"); n != 2 {
		t.Errorf("stable ids: %d", n)
	}
}

// TestShipAllAtOnce: updateOrderStatus SHIPPED ships whatever is left as one
// fulfilment; PARTIALLY_SHIPPED needs fulfillOrder.
func TestShipAllAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	id := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 2), testcard.Visa, "k").Order.ID
	if m := e.move(t, e.staff, id, "PARTIALLY_SHIPPED"); len(m.Errors) != 1 || m.Errors[0].Code != "INVALID_FULFILLMENT" {
		t.Errorf("PARTIALLY_SHIPPED by status: %+v", m)
	}
	if m := e.move(t, e.staff, id, "SHIPPED"); len(m.Errors) > 0 || m.Order.Status != "SHIPPED" {
		t.Fatalf("ship: %+v", m)
	}
	var o struct {
		Order struct {
			FulfillmentStatus, PaymentStatus string
			Fulfillments                     []struct {
				Carrier string
				Lines   []struct{ Quantity int }
			}
		}
	}
	gql(t, e.h, e.staff, `query($id: ID!) { order(id: $id) { fulfillmentStatus paymentStatus fulfillments { carrier lines { quantity } } } }`, map[string]any{"id": id}, &o)
	if o.Order.FulfillmentStatus != "FULFILLED" || o.Order.PaymentStatus != "PAID" || len(o.Order.Fulfillments) != 1 || o.Order.Fulfillments[0].Lines[0].Quantity != 2 {
		t.Errorf("order: %+v", o)
	}
}

// TestFulfilIdempotent: concurrent duplicates of one fulfillOrder (same
// key) record one fulfilment and take its units out of stock once; the
// same key with other lines is refused; a repeat after the order moved on
// replays the first answer.
func TestFulfilIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 10)
	id := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 4), testcard.Visa, "k").Order.ID

	const n = 8
	got := make([]fulfilled, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := gqltest.DoAs(t, e.h, e.staff, fulfilOp, map[string]any{"o": id, "l": []map[string]any{line("var_000001", 1)}, "k": "box-1"})
			if len(resp.Errors) > 0 {
				t.Errorf("duplicate %d: %+v", i, resp.Errors)
				return
			}
			var out struct{ FulfillOrder fulfilled }
			gqltest.Decode(t, resp.Data, &out)
			got[i] = out.FulfillOrder
		}()
	}
	wg.Wait()
	for i, f := range got {
		if len(f.Errors) > 0 || f.Fulfillment == nil || f.Fulfillment.ID != got[0].Fulfillment.ID {
			t.Fatalf("duplicate %d: %+v (first %+v)", i, f, got[0])
		}
	}
	if c := e.count(t, e.pool, `SELECT count(*) FROM fulfillments WHERE order_id = $1`, id); c != 1 {
		t.Fatalf("%d fulfilments for one key", c)
	}
	if onHand, allocated, _ := e.level(t, "var_000001"); onHand != 9 || allocated != 3 {
		t.Fatalf("after one shipment of 1 sent %d times: on hand %d, allocated %d", n, onHand, allocated)
	}
	if f := e.fulfilKey(t, e.staff, id, "box-1", []map[string]any{line("var_000001", 2)}); len(f.Errors) != 1 || f.Errors[0].Code != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("key reused with other lines: %+v", f)
	}
	// Ship the rest, then repeat the first key: same fulfilment, nothing moves.
	if f := e.fulfilKey(t, e.staff, id, "box-2", []map[string]any{line("var_000001", 3)}); len(f.Errors) > 0 || f.Order.Status != "SHIPPED" {
		t.Fatalf("the rest: %+v", f)
	}
	if f := e.fulfilKey(t, e.staff, id, "box-1", []map[string]any{line("var_000001", 1)}); len(f.Errors) > 0 || f.Fulfillment.ID != got[0].Fulfillment.ID {
		t.Fatalf("repeat after shipping: %+v", f)
	}
	if onHand, allocated, reserved := e.level(t, "var_000001"); onHand != 6 || allocated != 0 || reserved != 0 {
		t.Fatalf("after shipping 4: %d %d %d", onHand, allocated, reserved)
	}

	// Without a key the request is its own: sent twice, one shipment; with
	// another tracking number, another shipment.
	id2 := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 3), testcard.Visa, "k2").Order.ID
	const keyless = `mutation($o: ID!, $tn: String!) { fulfillOrder(input: {orderId: $o, lines: [{variantId: "var_000001", quantity: 1}], carrier: "UPS", trackingNumber: $tn}) {
  fulfillment { id } errors { code } } }`
	var first, again, other struct {
		FulfillOrder struct {
			Fulfillment *struct{ ID string }
			Errors      []struct{ Code string }
		}
	}
	gql(t, e.h, e.staff, keyless, map[string]any{"o": id2, "tn": "A"}, &first)
	gql(t, e.h, e.staff, keyless, map[string]any{"o": id2, "tn": "A"}, &again)
	gql(t, e.h, e.staff, keyless, map[string]any{"o": id2, "tn": "B"}, &other)
	if first.FulfillOrder.Fulfillment == nil || again.FulfillOrder.Fulfillment == nil || other.FulfillOrder.Fulfillment == nil ||
		again.FulfillOrder.Fulfillment.ID != first.FulfillOrder.Fulfillment.ID || other.FulfillOrder.Fulfillment.ID == first.FulfillOrder.Fulfillment.ID {
		t.Fatalf("keyless: %+v %+v %+v", first, again, other)
	}
	if onHand, allocated, _ := e.level(t, "var_000001"); onHand != 4 || allocated != 1 {
		t.Fatalf("after two keyless shipments of 1 (one sent twice): on hand %d, allocated %d", onHand, allocated)
	}
	if c := e.count(t, e.pool, `SELECT count(*) FROM outbox WHERE type = 'order.fulfillment_created' AND payload->>'orderId' = $1`, id); c != 2 {
		t.Errorf("%d fulfillment_created events for 2 shipments", c)
	}
}

// TestPartialShipmentThenCancel: a two-step shipment end to end through
// orders and inventory: each step takes exactly its units out of stock;
// canceling after the first releases only the rest, voids the payment,
// and the stock invariants hold (nothing negative, allocated and reserved
// within on hand).
func TestPartialShipmentThenCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 6)
	e.receive(t, "var_000002", 6)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 3, "var_000002", 2), testcard.Visa, "k")
	id := p.Order.ID
	if f := e.fulfil(t, e.staff, id, []map[string]any{line("var_000001", 2), line("var_000002", 1)}); len(f.Errors) > 0 || f.Order.Status != "PARTIALLY_SHIPPED" {
		t.Fatalf("first shipment: %+v", f)
	}
	if onHand, allocated, _ := e.level(t, "var_000001"); onHand != 4 || allocated != 1 {
		t.Errorf("var_000001 after 2 of 3: on hand %d, allocated %d", onHand, allocated)
	}
	if onHand, allocated, _ := e.level(t, "var_000002"); onHand != 5 || allocated != 1 {
		t.Errorf("var_000002 after 1 of 2: on hand %d, allocated %d", onHand, allocated)
	}
	if m := e.move(t, e.staff, id, "CANCELED"); len(m.Errors) > 0 {
		t.Fatalf("cancel: %+v", m)
	}
	for v, want := range map[string]int{"var_000001": 4, "var_000002": 5} {
		if onHand, allocated, reserved := e.level(t, v); onHand != want || allocated != 0 || reserved != 0 {
			t.Errorf("%s after cancel: %d %d %d, want on hand %d and nothing held", v, onHand, allocated, reserved, want)
		}
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "VOIDED" {
		t.Errorf("payment %s after canceling a partly shipped order", st)
	}
	if n := e.count(t, e.inventoryDB, `SELECT count(*) FROM stock WHERE on_hand < 0 OR allocated < 0 OR reserved < 0 OR allocated + reserved > on_hand`); n != 0 {
		t.Errorf("%d stock levels break the invariants", n)
	}
	if f := e.fulfil(t, e.staff, id, []map[string]any{line("var_000001", 1)}); len(f.Errors) != 1 || f.Errors[0].Code != "INVALID_TRANSITION" {
		t.Errorf("shipped a canceled order: %+v", f)
	}

	// Two steps to SHIPPED: the second takes the rest and captures.
	q := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 2), testcard.Visa, "k2")
	e.fulfil(t, e.staff, q.Order.ID, []map[string]any{line("var_000001", 1)})
	if f := e.fulfil(t, e.staff, q.Order.ID, []map[string]any{line("var_000001", 1)}); len(f.Errors) > 0 || f.Order.Status != "SHIPPED" || f.Order.PaymentStatus != "PAID" {
		t.Fatalf("second step: %+v", f)
	}
	if onHand, allocated, reserved := e.level(t, "var_000001"); onHand != 2 || allocated != 0 || reserved != 0 {
		t.Errorf("var_000001 after both orders: %d %d %d", onHand, allocated, reserved)
	}
}

// TestPartialRefund: refunding part of what was captured leaves the
// order's paymentStatus PARTIALLY_REFUNDED (as payments says), a repeat of
// the key refunds once, more than is left is refused, the rest makes it
// REFUNDED; nothing captured yet is refused.
func TestPartialRefund(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 1), testcard.Visa, "k")
	id := p.Order.ID
	type refunded struct {
		RefundOrder struct {
			Order *struct {
				Status, PaymentStatus string
				Total                 struct{ Amount, CurrencyCode string }
			}
			Errors []struct{ Code string }
		}
	}
	refund := func(key string, amount any) refunded {
		t.Helper()
		var out refunded
		gql(t, e.h, e.staff, `mutation($o: ID!, $a: MoneyInput, $k: String!) { refundOrder(input: {orderId: $o, amount: $a, idempotencyKey: $k}) {
  order { status paymentStatus total { amount currencyCode } } errors { code } } }`, map[string]any{"o": id, "a": amount, "k": key}, &out)
		return out
	}
	if r := refund("early", nil); len(r.RefundOrder.Errors) != 1 || r.RefundOrder.Errors[0].Code != "UPSTREAM_REFUSED" {
		t.Fatalf("refund before capture: %+v", r)
	}
	if m := e.move(t, e.staff, id, "SHIPPED"); len(m.Errors) > 0 {
		t.Fatalf("ship: %+v", m)
	}
	var o struct {
		Order struct {
			Total struct{ Amount, CurrencyCode string }
		}
	}
	gql(t, e.h, e.staff, `query($id: ID!) { order(id: $id) { total { amount currencyCode } } }`, map[string]any{"id": id}, &o)
	cur := o.Order.Total.CurrencyCode
	for range 2 {
		if r := refund("r1", map[string]any{"amount": "1.00", "currencyCode": cur}); len(r.RefundOrder.Errors) > 0 ||
			r.RefundOrder.Order.PaymentStatus != "PARTIALLY_REFUNDED" || r.RefundOrder.Order.Status != "SHIPPED" {
			t.Fatalf("partial refund: %+v", r)
		}
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "PARTIALLY_REFUNDED" {
		t.Fatalf("payments says %s", st)
	}
	if n := e.count(t, e.paymentsDB, `SELECT count(*) FROM transactions WHERE payment_id = $1 AND kind = 'REFUND'`, p.Order.Payment.ID); n != 1 {
		t.Errorf("%d refund transactions for one key sent twice", n)
	}
	if r := refund("r2", map[string]any{"amount": o.Order.Total.Amount, "currencyCode": cur}); len(r.RefundOrder.Errors) != 1 || r.RefundOrder.Errors[0].Code != "UPSTREAM_REFUSED" {
		t.Fatalf("refund more than is left: %+v", r)
	}
	if r := refund("r3", nil); len(r.RefundOrder.Errors) > 0 || r.RefundOrder.Order.PaymentStatus != "REFUNDED" {
		t.Fatalf("refund the rest: %+v", r)
	}
}
