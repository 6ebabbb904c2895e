package orders_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

func TestPlaceOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	e.receive(t, "var_000002", 5)
	cartID := e.cart(t, e.ada, "var_000001", 2, "var_000002", 1)
	var before struct{ MyCart cartView }
	gql(t, e.h, e.ada, `{ myCart { `+cartSelection+` } }`, nil, &before)

	p := e.place(t, e.ada, cartID, testcard.Visa, "checkout-1")
	if p.code() != "" || p.Order.Status != "CONFIRMED" || p.Order.Payment == nil {
		t.Fatalf("placeOrder: %+v", p)
	}
	if p.Order.Total.Amount != before.MyCart.Total.Amount {
		t.Errorf("order total %s, cart said %s", p.Order.Total.Amount, before.MyCart.Total.Amount)
	}
	// Stock went from reserved to allocated; the payment is authorized.
	if onHand, allocated, reserved := e.level(t, "var_000001"); onHand != 5 || allocated != 2 || reserved != 0 {
		t.Errorf("var_000001: on hand %d, allocated %d, reserved %d", onHand, allocated, reserved)
	}
	if st := e.paymentStatus(t, p.Order.Payment.ID); st != "AUTHORIZED" {
		t.Errorf("payment %s", st)
	}
	// The order kept the catalog's prices, and its history and outbox say CONFIRMED at version 1.
	var got struct {
		Order struct {
			Status string
			Lines  []struct {
				Quantity  int
				UnitPrice struct{ Amount string }
				LineTotal struct{ Amount string }
				Variant   struct{ ID string }
				Sku       string
			}
			Events []struct {
				From    *string
				To      string
				Version int
			}
			Customer        struct{ ID string }
			ShippingAddress struct{ City, CountryCode string }
		}
	}
	gql(t, e.h, e.ada, `query($id: ID!) { order(id: $id) { status lines { quantity unitPrice { amount } lineTotal { amount } variant { id } sku }
  events { from to version } customer { id } shippingAddress { city countryCode } } }`, map[string]any{"id": p.Order.ID}, &got)
	o := got.Order
	if len(o.Lines) != 2 || o.Lines[0].Variant.ID != "var_000001" || o.Lines[0].Quantity != 2 || o.Lines[0].UnitPrice.Amount != before.MyCart.Lines[0].UnitPrice.Amount ||
		o.Lines[0].Sku == "" || o.Customer.ID != "usr_ada" || o.ShippingAddress.CountryCode != "US" {
		t.Errorf("order: %+v", o)
	}
	if len(o.Events) != 1 || o.Events[0].From != nil || o.Events[0].To != "CONFIRMED" || o.Events[0].Version != 1 {
		t.Errorf("events: %+v", o.Events)
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM outbox WHERE type = 'order.status_changed' AND payload->>'to' = 'CONFIRMED'
AND (payload->>'version')::int = 1 AND payload->>'userId' = 'usr_ada' AND (payload->>'units')::int = 3 AND payload->>'currency' = 'USD'
AND (payload->>'totalMinor')::bigint = (SELECT total_minor FROM orders)`); n != 1 {
		t.Errorf("outbox events: %d", n)
	}
	// The cart is spent: the next add opens a new one.
	var after struct{ MyCart *struct{ ID string } }
	gql(t, e.h, e.ada, `{ myCart { id } }`, nil, &after)
	if after.MyCart != nil {
		t.Errorf("cart still open: %+v", after.MyCart)
	}
	if r := e.add(t, e.ada, "var_000001", 1); r.Cart.ID == cartID {
		t.Error("added to the ordered cart")
	}
}

func TestInsufficientStockAttemptsNoPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 1)
	cartID := e.cart(t, e.ada, "var_000001", 2)
	p := e.place(t, e.ada, cartID, testcard.Visa, "k")
	if p.code() != "INSUFFICIENT_STOCK" || p.Order != nil || len(p.Errors[0].Shortages) != 1 ||
		p.Errors[0].Shortages[0].VariantID != "var_000001" || p.Errors[0].Shortages[0].Requested != 2 || p.Errors[0].Shortages[0].Available != 1 {
		t.Fatalf("placeOrder: %+v", p)
	}
	if n := e.authorizations.Load(); n != 0 {
		t.Errorf("%d authorizations attempted", n)
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders", n)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 0 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d", allocated, reserved)
	}
}

func TestDeclinedCardReleasesTheStock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 3)
	cartID := e.cart(t, e.ada, "var_000001", 2)
	p := e.place(t, e.ada, cartID, testcard.Declined, "k-declined")
	if p.code() != "PAYMENT_DECLINED" || p.Order != nil {
		t.Fatalf("placeOrder: %+v", p)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 0 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d after a decline", allocated, reserved)
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders", n)
	}
	// The same key gives the same answer; another card with a new key works.
	if again := e.place(t, e.ada, cartID, testcard.Declined, "k-declined"); again.code() != "PAYMENT_DECLINED" {
		t.Errorf("replay: %+v", again)
	}
	if ok := e.place(t, e.ada, cartID, testcard.Visa, "k-visa"); ok.code() != "" || ok.Order.Status != "CONFIRMED" {
		t.Errorf("second card: %+v", ok)
	}
	if n := e.authorizations.Load(); n != 2 {
		t.Errorf("%d authorizations, want 2 (the replay is answered from the saga)", n)
	}
}

func TestThreeDSecureLeavesTheOrderPendingPayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 3)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 1), testcard.ThreeDSecure, "k")
	if p.code() != "" || p.Order.Status != "PENDING_PAYMENT" {
		t.Fatalf("placeOrder: %+v", p)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 0 || reserved != 1 {
		t.Errorf("allocated %d, reserved %d: the hold should wait for the customer", allocated, reserved)
	}
	// Staff may cancel it: the hold is released.
	if m := e.move(t, e.staff, p.Order.ID, "CANCELED"); len(m.Errors) > 0 || m.Order.Status != "CANCELED" {
		t.Fatalf("cancel: %+v", m)
	}
	if _, _, reserved := e.level(t, "var_000001"); reserved != 0 {
		t.Errorf("reserved %d after cancel", reserved)
	}
	// One the customer never confirms expires on its own, releasing its hold.
	bob := e.place(t, e.bob, e.cart(t, e.bob, "var_000001", 2), testcard.ThreeDSecure, "k")
	if n, err := e.svc.Lifecycle.ExpireUnpaid(context.Background(), 0); err != nil || n != 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	var got struct{ Order struct{ Status string } }
	gql(t, e.h, e.bob, `query($id: ID!) { order(id: $id) { status } }`, map[string]any{"id": bob.Order.ID}, &got)
	if _, _, reserved := e.level(t, "var_000001"); got.Order.Status != "EXPIRED" || reserved != 0 {
		t.Errorf("after expiry: %s, reserved %d", got.Order.Status, reserved)
	}
}

func TestIdempotentPlaceOrderChargesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 10)
	cartID := e.cart(t, e.ada, "var_000001", 1)
	// Five concurrent sends of one request, then a late retry.
	ids := make([]string, 5)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			if p := e.place(t, e.ada, cartID, testcard.Visa, "same-key"); p.Order != nil {
				ids[i] = p.Order.ID
			} else {
				ids[i] = "error " + p.code()
			}
		})
	}
	wg.Wait()
	late := e.place(t, e.ada, cartID, testcard.Visa, "same-key")
	for _, id := range append(ids, late.Order.ID) {
		if id != ids[0] {
			t.Fatalf("different answers: %v / %s", ids, late.Order.ID)
		}
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("%d orders", n)
	}
	if n := e.authorizations.Load(); n != 1 {
		t.Errorf("%d authorizations, want 1", n)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 1 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d", allocated, reserved)
	}
	// The same cart under another key is still the one order; another
	// cart under the used key is refused.
	if other := e.place(t, e.ada, cartID, testcard.Visa, "another-key"); other.Order == nil || other.Order.ID != ids[0] {
		t.Errorf("same cart, new key: %+v", other)
	}
	otherCart := e.cart(t, e.ada, "var_000001", 1)
	if reused := e.place(t, e.ada, otherCart, testcard.Visa, "same-key"); reused.code() != "IDEMPOTENCY_KEY_REUSED" {
		t.Errorf("other cart, same key: %+v", reused)
	}
}

func TestLastUnitGoesToExactlyOneCheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 1)
	tokens := []string{e.ada, e.bob, e.tokens.Token("usr_cy"), e.tokens.Token("usr_di")}
	carts := make([]string, len(tokens))
	for i, tok := range tokens {
		carts[i] = e.cart(t, tok, "var_000001", 1)
	}
	codes := make([]string, len(tokens))
	var wg sync.WaitGroup
	for i, tok := range tokens {
		wg.Go(func() {
			p := e.place(t, tok, carts[i], testcard.Visa, "race")
			codes[i] = p.code()
			if p.Order != nil {
				codes[i] = p.Order.Status
			}
		})
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case "CONFIRMED":
			won++
		case "INSUFFICIENT_STOCK":
		default:
			t.Errorf("unexpected outcome %q", c)
		}
	}
	if won != 1 {
		t.Fatalf("outcomes %v: want exactly one CONFIRMED", codes)
	}
	if onHand, allocated, reserved := e.level(t, "var_000001"); onHand != 1 || allocated != 1 || reserved != 0 {
		t.Errorf("on hand %d, allocated %d, reserved %d", onHand, allocated, reserved)
	}
	if n := e.authorizations.Load(); n != 1 {
		t.Errorf("%d authorizations, want 1", n)
	}
}

var errCrash = errors.New("simulated crash")

// crashAt makes the checkout stop, as a killed process would, when it is
// about to run step; only once.
func (e *env) crashAt(step order.Step) {
	var once sync.Once
	e.svc.Checkout.Hook = func(s order.Step) error {
		var err error
		if s == step {
			once.Do(func() { err = errCrash })
		}
		return err
	}
}

func TestRetryResumesACrashedCheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	cartID := e.cart(t, e.ada, "var_000001", 2)
	// Stock reserved, then the process died before asking payments.
	e.crashAt(order.StepReserved)
	if resp := e.placeResp(t, e.ada, cartID, testcard.Visa, "k"); len(resp.Errors) == 0 {
		t.Fatalf("no crash: %s", resp.Data)
	}
	if _, _, reserved := e.level(t, "var_000001"); reserved != 2 {
		t.Fatalf("reserved %d before the retry", reserved)
	}
	// The customer's retry carries on with the same reservation.
	p := e.place(t, e.ada, cartID, testcard.Visa, "k")
	if p.code() != "" || p.Order.Status != "CONFIRMED" {
		t.Fatalf("retry: %+v", p)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 2 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d: the retry reserved again?", allocated, reserved)
	}
	if n := e.count(t, e.inventoryDB, `SELECT count(*) FROM reservations`); n != 1 {
		t.Errorf("%d reservations", n)
	}
	if n := e.authorizations.Load(); n != 1 {
		t.Errorf("%d authorizations", n)
	}
}

func TestResumerCompensatesOrFinishesStuckCheckouts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	ctx := context.Background()

	// Ada's checkout died between reserve and authorize: nobody can pay
	// for her, so the resumer releases the stock.
	adaCart := e.cart(t, e.ada, "var_000001", 2)
	e.crashAt(order.StepReserved)
	e.placeResp(t, e.ada, adaCart, testcard.Visa, "ada")
	// Bob's died after the payment was authorized: the resumer confirms it.
	bobCart := e.cart(t, e.bob, "var_000001", 1)
	e.crashAt(order.StepAuthorized)
	e.placeResp(t, e.bob, bobCart, testcard.Visa, "bob")
	e.svc.Checkout.Hook = nil
	if _, _, reserved := e.level(t, "var_000001"); reserved != 3 {
		t.Fatalf("reserved %d before resuming", reserved)
	}

	if n, err := e.svc.Checkout.Resume(ctx, 0); err != nil || n != 2 {
		t.Fatalf("resume: %d, %v", n, err)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 1 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d after resuming", allocated, reserved)
	}
	var status string
	if err := e.pool.QueryRow(ctx, `SELECT status FROM orders`).Scan(&status); err != nil || status != "CONFIRMED" {
		t.Errorf("bob's order: %q, %v", status, err)
	}
	if p := e.place(t, e.ada, adaCart, testcard.Visa, "ada"); p.code() != "CHECKOUT_ABANDONED" {
		t.Errorf("ada's retry after compensation: %+v", p)
	}
	if p := e.place(t, e.bob, bobCart, testcard.Visa, "bob"); p.Order == nil || p.Order.Status != "CONFIRMED" {
		t.Errorf("bob's retry: %+v", p)
	}
	if n, _ := e.svc.Checkout.Resume(ctx, 0); n != 0 {
		t.Errorf("resumed %d finished sagas", n)
	}
}

func TestPlaceOrderInputChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.add(t, e.ada, "var_000001", 1)
	for _, c := range []struct{ token, cart, card, want string }{
		{e.ada, r.Cart.ID, testcard.Visa, "SHIPPING_ADDRESS_REQUIRED"},
		{e.bob, r.Cart.ID, testcard.Visa, "NOT_FOUND"},
		{e.ada, "cart_nope", testcard.Visa, "NOT_FOUND"},
		{e.ada, r.Cart.ID, "", "PAYMENT_METHOD_REQUIRED"},
	} {
		if p := e.place(t, c.token, c.cart, c.card, fmt.Sprint("k-", c.want, c.cart)); p.code() != c.want {
			t.Errorf("%s: %+v", c.want, p)
		}
	}
	// Anonymous, it is a guest's checkout, which needs the guest cart's
	// token: a customer's cart is never a guest's to check out.
	if p := e.place(t, "", r.Cart.ID, testcard.Visa, "k"); p.code() != "SIGN_IN_REQUIRED" {
		t.Errorf("anonymous: %+v", p)
	}
}

func TestLapsedHoldVoidsThePayment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	cartID := e.cart(t, e.ada, "var_000001", 1)
	// Authorized, then stuck until the stock hold lapsed.
	e.crashAt(order.StepAuthorized)
	e.placeResp(t, e.ada, cartID, testcard.Visa, "k")
	e.svc.Checkout.Hook = nil
	mustExec(t, e.inventoryDB, `UPDATE reservations SET expires_at = now() - interval '1 second'`)
	p := e.place(t, e.ada, cartID, testcard.Visa, "k")
	if p.code() != "RESERVATION_EXPIRED" {
		t.Fatalf("placeOrder: %+v", p)
	}
	var paymentID string
	if err := e.pool.QueryRow(context.Background(), `SELECT payment_id FROM order_sagas`).Scan(&paymentID); err != nil {
		t.Fatal(err)
	}
	if st := e.paymentStatus(t, paymentID); st != "VOIDED" {
		t.Errorf("payment %s: a lapsed checkout must not keep the money", st)
	}
	if _, allocated, reserved := e.level(t, "var_000001"); allocated != 0 || reserved != 0 {
		t.Errorf("allocated %d, reserved %d", allocated, reserved)
	}
}

// TestAbandonedPaymentIsVoided: the process died while payments was
// authorizing, the authorization went through but its answer was lost,
// and the customer never retried. Once the stock hold lapses, the resumer
// voids that authorization: no card stays held for an order that is not.
func TestAbandonedPaymentIsVoided(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	ctx := context.Background()
	cartID := e.cart(t, e.ada, "var_000001", 1)
	e.crashAt(order.StepAuthorizing)
	e.placeResp(t, e.ada, cartID, testcard.Visa, "k")
	e.svc.Checkout.Hook = nil
	var orderID string
	if err := e.pool.QueryRow(ctx, `SELECT id FROM order_sagas`).Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	// The lost call, as payments saw it.
	resp := gqltest.DoAs(t, e.payments, e.ada, `mutation($o: ID!) { authorizePayment(input: {orderId: $o, amount: {amount: "1.00", currencyCode: USD}, token: "tok_visa", idempotencyKey: "lost"}) { payment { id status } } }`,
		map[string]any{"o": orderID})
	if !strings.Contains(string(resp.Data), "AUTHORIZED") {
		t.Fatalf("authorize: %s", resp.Data)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE order_sagas SET updated_at = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Checkout.Resume(ctx, 0); err != nil {
		t.Fatal(err)
	}
	after := gqltest.DoAs(t, e.payments, e.staff, `query($o: ID!) { paymentsByOrder(orderId: $o) { status } }`, map[string]any{"o": orderID})
	gqltest.JSONEq(t, after.Data, `{"paymentsByOrder":[{"status":"VOIDED"}]}`)
	if p := e.place(t, e.ada, cartID, testcard.Visa, "k"); p.code() != "CHECKOUT_ABANDONED" {
		t.Errorf("retry after the resumer gave up: %+v", p)
	}
}

// TestLinesKeepProductAndCategory: checkout reads each variant's product
// and category from products with its price, keeps them on the order line
// and puts them in order.placed; moving the product to another category
// afterwards changes neither.
func TestLinesKeepProductAndCategory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	e.receive(t, "var_000002", 5)
	want := map[string][2]string{}
	for _, v := range []string{"var_000001", "var_000002"} {
		var p, c string
		if err := e.productsDB.QueryRow(context.Background(), `SELECT p.id, coalesce(p.category_id, '') FROM product_variants v JOIN products p ON p.id = v.product_id WHERE v.id = $1`, v).
			Scan(&p, &c); err != nil {
			t.Fatal(err)
		}
		if c == "" {
			t.Fatalf("demo product of %s has no category: the test needs one", v)
		}
		want[v] = [2]string{p, c}
	}
	id := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 2, "var_000002", 1), testcard.Visa, "k").Order.ID
	mustExec(t, e.productsDB, `UPDATE products SET category_id = NULL WHERE id = $1`, want["var_000001"][0])

	rows, err := e.pool.Query(context.Background(), `SELECT variant_id, product_id, category_id FROM order_lines WHERE order_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var v, p, c string
		if err := rows.Scan(&v, &p, &c); err != nil {
			t.Fatal(err)
		}
		if [2]string{p, c} != want[v] {
			t.Errorf("line %s: product %q category %q, want %v", v, p, c, want[v])
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d lines", n)
	}
	var payload struct {
		Lines []struct{ VariantID, ProductID, CategoryID string }
	}
	var raw []byte
	if err := e.pool.QueryRow(context.Background(), `SELECT payload FROM outbox WHERE event_id = $1`, "evt_"+id+"_placed").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatal(err)
	}
	for _, l := range payload.Lines {
		if [2]string{l.ProductID, l.CategoryID} != want[l.VariantID] {
			t.Errorf("order.placed line %+v, want %v", l, want[l.VariantID])
		}
	}
	if len(payload.Lines) != 2 {
		t.Errorf("order.placed lines: %s", raw)
	}
}
