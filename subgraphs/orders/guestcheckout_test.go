package orders_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

type guestPlaced struct {
	Order *struct {
		ID, Status string
		GuestEmail *string
		Customer   *struct{ ID string }
	}
	NextAction *struct{ Type string }
	OrderToken *string
	Errors     []struct {
		Field []string
		Code  string
	}
}

// guestCartWithAddress fills a new guest cart and returns its id and token.
func (e *env) guestCartWithAddress(t *testing.T, variant string, qty int) (string, string) {
	t.Helper()
	var out struct{ AddCartLine guestCart }
	gql(t, e.h, "", `mutation($v: ID!, $q: Int!) { addCartLine(input: {variantId: $v, quantity: $q}) { `+guestFields+` } }`,
		map[string]any{"v": variant, "q": qty}, &out)
	if out.AddCartLine.CartToken == nil {
		t.Fatalf("guest add: %+v", out)
	}
	id, tok := out.AddCartLine.Cart.ID, *out.AddCartLine.CartToken
	var addr struct{ SetShippingAddress cartResult }
	gql(t, e.h, "", `mutation($c: ID!, $t: String) { setShippingAddress(cartId: $c, cartToken: $t, address: `+usAddress+`) { `+cartFields+` } }`,
		map[string]any{"c": id, "t": tok}, &addr)
	if len(addr.SetShippingAddress.Errors) > 0 {
		t.Fatalf("address: %+v", addr)
	}
	return id, tok
}

func (e *env) placeGuest(t *testing.T, cartID, cartToken, email, card, key string) guestPlaced {
	t.Helper()
	var out struct{ PlaceOrder guestPlaced }
	gql(t, e.h, "", `mutation($c: ID!, $t: String, $e: String, $p: String, $k: String!) {
  placeOrder(input: {cartId: $c, cartToken: $t, email: $e, paymentToken: $p, idempotencyKey: $k}) {
    order { id status guestEmail customer { id } } nextAction { type } orderToken errors { field code } } }`,
		map[string]any{"c": cartID, "t": cartToken, "e": email, "p": card, "k": key}, &out)
	return out.PlaceOrder
}

func (p guestPlaced) code() string {
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Code
}

func TestGuestCheckout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRedis(t))
	e.receive(t, "var_000001", 5)
	cartID, tok := e.guestCartWithAddress(t, "var_000001", 1)

	for _, c := range []struct{ name, token, email, code string }{
		{"no email", tok, "", "INVALID_EMAIL"},
		{"not an email", tok, "ada at example", "INVALID_EMAIL"},
		{"another cart's token", "ct_nope", "ada@example.com", "NOT_FOUND"},
	} {
		if p := e.placeGuest(t, cartID, c.token, c.email, testcard.Visa, "k-"+c.name); p.code() != c.code || p.Order != nil {
			t.Errorf("%s: %+v", c.name, p)
		}
	}
	p := e.placeGuest(t, cartID, tok, "Ada.Guest@Example.com", testcard.Visa, "k")
	if p.code() != "" || p.Order == nil || p.Order.Status != "CONFIRMED" || p.OrderToken == nil || !strings.HasPrefix(*p.OrderToken, "ot_") ||
		p.Order.Customer != nil || p.Order.GuestEmail == nil || *p.Order.GuestEmail != "ada.guest@example.com" {
		t.Fatalf("guest placeOrder: %+v", p)
	}
	token := *p.OrderToken
	// A replay gives the same order and token; the store holds only its hash.
	if again := e.placeGuest(t, cartID, tok, "ada.guest@example.com", testcard.Visa, "k"); again.Order == nil || again.Order.ID != p.Order.ID ||
		again.OrderToken == nil || *again.OrderToken != token {
		t.Errorf("replay: %+v", again)
	}
	sum := sha256.Sum256([]byte(token))
	if n := e.count(t, e.pool, `SELECT count(*) FROM orders WHERE guest_token_hash = $1`, hex.EncodeToString(sum[:])); n != 1 {
		t.Errorf("%d orders with the token's hash", n)
	}
	if n := e.count(t, e.pool, `SELECT count(*) FROM orders o, order_sagas s WHERE o.guest_token_hash = $1 OR s.guest_token_hash = $1 OR s.idempotency_key LIKE '%' || $1 || '%'`, token); n != 0 {
		t.Errorf("the clear token is stored")
	}
	if n := e.authorizations.Load(); n != 1 {
		t.Errorf("%d authorizations", n)
	}

	// The token opens the order; a wrong or expired one answers null, alike.
	guestOrder := func(token string) gqltest.Response {
		return gqltest.DoAs(t, e.h, "", `query($t: String!) { guestOrder(token: $t) { id status guestEmail customer { id } lines { quantity } } }`, map[string]any{"t": token})
	}
	var got struct {
		GuestOrder *struct {
			ID, Status string
			Lines      []struct{ Quantity int }
		}
	}
	gqltest.Decode(t, guestOrder(token).Data, &got)
	if got.GuestOrder == nil || got.GuestOrder.ID != p.Order.ID || len(got.GuestOrder.Lines) != 1 {
		t.Fatalf("guestOrder: %+v", got)
	}
	if r := guestOrder(token + "x"); string(r.Data) != `{"guestOrder":null}` || len(r.Errors) > 0 {
		t.Errorf("wrong token: %s %+v", r.Data, r.Errors)
	}
	mustExec(t, e.pool, `UPDATE orders SET guest_token_expires_at = now() - interval '1 second' WHERE id = $1`, p.Order.ID)
	if r := guestOrder(token); string(r.Data) != `{"guestOrder":null}` {
		t.Errorf("expired token: %s", r.Data)
	}
	mustExec(t, e.pool, `UPDATE orders SET guest_token_expires_at = now() + interval '1 day' WHERE id = $1`, p.Order.ID)

	// A client guessing tokens is stopped, even with the right one.
	for i := 0; i < 18; i++ { // 2 wrong ones so far
		guestOrder("ot_guess")
	}
	if r := guestOrder(token); len(r.Errors) == 0 || r.Errors[0].Code() != "RATE_LIMIT_EXCEEDED" {
		t.Errorf("after 20 wrong tokens: %s %+v", r.Data, r.Errors)
	}

	// Ada registers with that email: nothing joins until she verifies it.
	if n := e.count(t, e.pool, `SELECT count(*) FROM orders WHERE user_id = 'usr_ada'`); n != 0 {
		t.Fatalf("ada has %d orders", n)
	}
	e.deliver(t, []events.Event{{ID: "evt_v1", Type: "user.email_verified", Source: "users",
		Payload: map[string]any{"userId": "usr_ada", "email": "ada.guest@example.com"}}})
	var mine struct {
		MyOrders struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	gql(t, e.h, e.ada, `{ myOrders { edges { node { id } } } }`, nil, &mine)
	if len(mine.MyOrders.Edges) != 1 || mine.MyOrders.Edges[0].Node.ID != p.Order.ID {
		t.Errorf("ada's orders after verifying: %+v", mine)
	}
	gql(t, e.h, e.bob, `{ myOrders { edges { node { id } } } }`, nil, &mine)
	if len(mine.MyOrders.Edges) != 0 {
		t.Errorf("bob's orders: %+v", mine)
	}
}

func TestGuestCheckoutWithThreeDSecure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	cartID, tok := e.guestCartWithAddress(t, "var_000001", 2)
	if p := e.placeGuest(t, cartID, tok, "g@example.com", "", "k"); p.code() != "PAYMENT_METHOD_REQUIRED" {
		t.Errorf("no card: %+v", p)
	}
	p := e.placeGuest(t, cartID, tok, "g@example.com", testcard.ThreeDSecure, "k2")
	if p.code() != "" || p.Order == nil || p.Order.Status != "PENDING_PAYMENT" || p.NextAction == nil || p.OrderToken == nil {
		t.Fatalf("3-D Secure guest order: %+v", p)
	}
	var out struct {
		PlaceOrder struct {
			NextAction *struct{ RedirectURL string }
		}
	}
	gql(t, e.h, "", `mutation($c: ID!, $t: String) { placeOrder(input: {cartId: $c, cartToken: $t, email: "g@example.com", paymentToken: "tok_3ds", idempotencyKey: "k2"}) {
  nextAction { redirectUrl } } }`, map[string]any{"c": cartID, "t": tok}, &out)
	if c := e.answer(t, out.PlaceOrder.NextAction.RedirectURL, "approve"); c != 200 {
		t.Fatalf("approve: %d", c)
	}
	e.deliver(t, e.paymentEvents(t))
	var got struct {
		GuestOrder *struct{ Status, PaymentStatus string }
	}
	gqltest.Decode(t, gqltest.DoAs(t, e.h, "", `query($t: String!) { guestOrder(token: $t) { status paymentStatus } }`, map[string]any{"t": *p.OrderToken}).Data, &got)
	if got.GuestOrder == nil || got.GuestOrder.Status != "CONFIRMED" || got.GuestOrder.PaymentStatus != "AUTHORIZED" {
		t.Errorf("after approval: %+v", got)
	}
}
