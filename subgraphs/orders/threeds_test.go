package orders_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/myshop/supergraph/subgraphs/orders"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/events"
)

type placedWithAction struct {
	Order *struct {
		ID, Status string
		Payment    *struct{ ID string }
	}
	NextAction *struct{ Type, RedirectURL, ClientSecret string }
	Errors     []struct{ Code string }
}

// place3DS places a one-unit order with the 3-D Secure test card.
func (e *env) place3DS(t *testing.T, token, key string) placedWithAction {
	t.Helper()
	cartID := e.cart(t, token, "var_000001", 1)
	var out struct{ PlaceOrder placedWithAction }
	gql(t, e.h, token, `mutation($c: ID!, $k: String!) { placeOrder(input: {cartId: $c, paymentToken: "`+testcard.ThreeDSecure+`", idempotencyKey: $k}) {
  order { id status payment { id } } nextAction { type redirectUrl clientSecret } errors { code } } }`,
		map[string]any{"c": cartID, "k": key}, &out)
	p := out.PlaceOrder
	if len(p.Errors) > 0 || p.Order == nil || p.Order.Status != "PENDING_PAYMENT" || p.NextAction == nil ||
		p.NextAction.Type != "REDIRECT" || !strings.Contains(p.NextAction.RedirectURL, testcard.ChallengePath) {
		t.Fatalf("placeOrder: %+v", p)
	}
	return p
}

// answer is the customer on the test provider's challenge page; it
// returns the page's HTTP status.
func (e *env) answer(t *testing.T, redirect, decision string) int {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, u.Path, strings.NewReader(url.Values{"decision": {decision}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.payments.ServeHTTP(rec, req)
	return rec.Code
}

// paymentEvents are the events payments recorded so far, oldest first, as
// its outbox relay would publish them.
func (e *env) paymentEvents(t *testing.T) []events.Event {
	t.Helper()
	rows, err := e.paymentsDB.Query(context.Background(), `SELECT event_id, type, payload FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var evs []events.Event
	for rows.Next() {
		var ev events.Event
		var payload []byte
		if err := rows.Scan(&ev.ID, &ev.Type, &payload); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(payload, &ev.Payload); err != nil {
			t.Fatal(err)
		}
		ev.Source = "payments"
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return evs
}

// deliver hands evs to the orders subgraph's event handler.
func (e *env) deliver(t *testing.T, evs []events.Event) {
	t.Helper()
	handle := orders.Events(e.svc.Lifecycle)
	for _, ev := range evs {
		if err := handle(context.Background(), ev); err != nil {
			t.Fatalf("event %s: %v", ev.ID, err)
		}
	}
}

type orderState struct {
	Status, PaymentStatus string
	Version               int
}

func (e *env) orderState(t *testing.T, token, id string) orderState {
	t.Helper()
	var out struct{ Order *orderState }
	gql(t, e.h, token, `query($id: ID!) { order(id: $id) { status paymentStatus version } }`, map[string]any{"id": id}, &out)
	if out.Order == nil {
		t.Fatalf("no order %s", id)
	}
	return *out.Order
}

func (e *env) expire(t *testing.T) int {
	t.Helper()
	n, err := e.svc.Lifecycle.ExpireUnpaid(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestThreeDSecureApprovedThenEventThenExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 3)
	p := e.place3DS(t, e.ada, "k")
	if c := e.answer(t, p.NextAction.RedirectURL, "approve"); c != 200 {
		t.Fatalf("approve: %d", c)
	}
	e.deliver(t, e.paymentEvents(t))
	confirmed := e.orderState(t, e.ada, p.Order.ID)
	if confirmed.Status != "CONFIRMED" || confirmed.PaymentStatus != "AUTHORIZED" {
		t.Fatalf("after the event: %+v", confirmed)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 1 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d", allocated, reserved)
	}
	// The expiry after it leaves it alone; the same events again change nothing.
	if n := e.expire(t); n != 0 {
		t.Errorf("expired %d", n)
	}
	e.deliver(t, e.paymentEvents(t))
	if again := e.orderState(t, e.ada, p.Order.ID); again != confirmed {
		t.Errorf("after a second delivery: %+v, was %+v", again, confirmed)
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "AUTHORIZED" {
		t.Errorf("payment %s", st)
	}
	// The customer's retry of placeOrder now sees the confirmed order, with nothing left to do.
	var out struct{ PlaceOrder placedWithAction }
	gql(t, e.h, e.ada, `mutation($c: ID!) { placeOrder(input: {cartId: $c, paymentToken: "`+testcard.ThreeDSecure+`", idempotencyKey: "k"}) {
  order { id status } nextAction { type } errors { code } } }`, map[string]any{"c": e.cartOf(t, p.Order.ID)}, &out)
	if out.PlaceOrder.Order == nil || out.PlaceOrder.Order.Status != "CONFIRMED" || out.PlaceOrder.NextAction != nil {
		t.Errorf("retry: %+v", out.PlaceOrder)
	}
}

func TestThreeDSecureApprovedBeforeExpiryWithTheEventLate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 3)
	p := e.place3DS(t, e.ada, "k")
	if c := e.answer(t, p.NextAction.RedirectURL, "approve"); c != 200 {
		t.Fatalf("approve: %d", c)
	}
	// The expiry runs before orders read the event: an authorized order is
	// confirmed, never expired.
	if n := e.expire(t); n != 0 {
		t.Errorf("expired %d", n)
	}
	confirmed := e.orderState(t, e.ada, p.Order.ID)
	if confirmed.Status != "CONFIRMED" || confirmed.PaymentStatus != "AUTHORIZED" {
		t.Fatalf("after expiry: %+v", confirmed)
	}
	e.deliver(t, e.paymentEvents(t))
	if again := e.orderState(t, e.ada, p.Order.ID); again != confirmed {
		t.Errorf("after the late event: %+v", again)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 1 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d", allocated, reserved)
	}
}

func TestThreeDSecureExpiredBeforeTheCustomerAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 3)
	p := e.place3DS(t, e.ada, "k")
	if n := e.expire(t); n != 1 {
		t.Fatalf("expired %d", n)
	}
	// Expiry voided what was unpaid: the bank's check is cancelled, so a
	// late approval cannot hold money for an order that is gone.
	if c := e.answer(t, p.NextAction.RedirectURL, "approve"); c != http.StatusConflict {
		t.Errorf("approve after expiry: %d", c)
	}
	e.deliver(t, e.paymentEvents(t))
	if got := e.orderState(t, e.ada, p.Order.ID); got.Status != "EXPIRED" || got.PaymentStatus != "VOIDED" {
		t.Errorf("after expiry: %+v", got)
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "VOIDED" {
		t.Errorf("payment %s", st)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 0 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d", allocated, reserved)
	}
}

func TestThreeDSecureEventsOutOfOrderAndFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 3)
	ada := e.place3DS(t, e.ada, "k")
	if c := e.answer(t, ada.NextAction.RedirectURL, "approve"); c != 200 {
		t.Fatalf("approve: %d", c)
	}
	// The approval's event first, then the older "requires action" one.
	evs := e.paymentEvents(t)
	slices.Reverse(evs)
	e.deliver(t, evs)
	if got := e.orderState(t, e.ada, ada.Order.ID); got.Status != "CONFIRMED" || got.Version != 2 {
		t.Errorf("out of order: %+v", got)
	}
	// A customer whose bank says no: the order is canceled, its stock back on sale.
	bob := e.place3DS(t, e.bob, "k")
	if c := e.answer(t, bob.NextAction.RedirectURL, "fail"); c != 200 {
		t.Fatalf("fail: %d", c)
	}
	e.deliver(t, e.paymentEvents(t))
	if got := e.orderState(t, e.bob, bob.Order.ID); got.Status != "CANCELED" {
		t.Errorf("failed payment: %+v", got)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 1 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d (only Ada's unit)", allocated, reserved)
	}
	if n := e.expire(t); n != 0 {
		t.Errorf("expired %d", n)
	}
}

// cartOf is the cart an order was placed from.
func (e *env) cartOf(t *testing.T, orderID string) string {
	t.Helper()
	var id string
	if err := e.pool.QueryRow(context.Background(), `SELECT cart_id FROM order_sagas WHERE id = $1`, orderID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
