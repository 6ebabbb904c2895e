package orders_test

import (
	"testing"

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

func (e *env) fulfil(t *testing.T, token, orderID string, lines []map[string]any) fulfilled {
	t.Helper()
	var out struct{ FulfillOrder fulfilled }
	gql(t, e.h, token, `mutation($o: ID!, $l: [FulfillmentLineInput!]!) { fulfillOrder(input: {orderId: $o, lines: $l, carrier: "UPS", trackingNumber: "1Z999"}) {
  order { status paymentStatus fulfillmentStatus } fulfillment { id carrier trackingNumber lines { variant { id } quantity } } errors { code } } }`,
		map[string]any{"o": orderID, "l": lines}, &out)
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

	if resp := gqltest.DoAs(t, e.h, e.ada, `mutation($o: ID!) { fulfillOrder(input: {orderId: $o, lines: [{variantId: "var_000001", quantity: 1}], carrier: "", trackingNumber: ""}) { errors { code } } }`,
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
	// Nothing moved in stock or money yet: inventory fulfils whole reservations.
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "AUTHORIZED" {
		t.Errorf("payment %s after a partial shipment", st)
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
