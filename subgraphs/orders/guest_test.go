package orders_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type guestCart struct {
	Cart *struct {
		ID    string
		Lines []struct {
			Variant  struct{ ID string }
			Quantity int
		}
	}
	CartToken *string
	Errors    []struct{ Code string }
}

const guestFields = `cart { id lines { variant { id } quantity } } cartToken errors { code }`

// TestGuestCartAndMerge: a guest's cart lives by its token (argument or
// X-Cart-Token header); signing in and merging adds its lines to the
// customer's cart (capped at 100) and closes it.
func TestGuestCartAndMerge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	add := func(token, cartToken, variant string, qty int) guestCart {
		t.Helper()
		var out struct{ AddCartLine guestCart }
		vars := map[string]any{"v": variant, "q": qty}
		if cartToken != "" {
			vars["t"] = cartToken
		}
		gql(t, e.h, token, `mutation($v: ID!, $q: Int!, $t: String) { addCartLine(input: {variantId: $v, quantity: $q, cartToken: $t}) { `+guestFields+` } }`, vars, &out)
		return out.AddCartLine
	}
	g := add("", "", "var_000001", 60)
	if len(g.Errors) > 0 || g.CartToken == nil || !strings.HasPrefix(*g.CartToken, "ct_") {
		t.Fatalf("guest add: %+v", g)
	}
	tok := *g.CartToken
	if g2 := add("", tok, "var_000002", 1); g2.Cart.ID != g.Cart.ID || len(g2.Cart.Lines) != 2 {
		t.Fatalf("second guest add: %+v", g2)
	}
	// The header works as well as the argument.
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ myCart { id lines { quantity } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Cart-Token", tok)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), g.Cart.ID) {
		t.Errorf("myCart by header: %s", rec.Body)
	}
	// Without the token the cart is nobody's business, signed in or not.
	var bob map[string]struct{ Errors []struct{ Code string } }
	gql(t, e.h, e.bob, `mutation($c: ID!) { removeCartLine(cartId: $c, variantId: "var_000001") { errors { code } } }`, map[string]any{"c": g.Cart.ID}, &bob)
	if bob["removeCartLine"].Errors[0].Code != "NOT_FOUND" {
		t.Errorf("bob changed a guest cart: %+v", bob)
	}
	// Without its token, nobody checks a guest cart out.
	var place struct {
		PlaceOrder struct{ Errors []struct{ Code string } }
	}
	gql(t, e.h, "", `mutation($c: ID!) { placeOrder(input: {cartId: $c, paymentToken: "tok_visa", idempotencyKey: "g", email: "g@example.com"}) { errors { code } } }`,
		map[string]any{"c": g.Cart.ID}, &place)
	if len(place.PlaceOrder.Errors) != 1 || place.PlaceOrder.Errors[0].Code != "SIGN_IN_REQUIRED" {
		t.Errorf("guest checkout without the cart token: %+v", place)
	}
	var anon struct{ MergeGuestCart guestCart }
	gql(t, e.h, "", `mutation($t: String!) { mergeGuestCart(cartToken: $t) { `+guestFields+` } }`, map[string]any{"t": tok}, &anon)
	if len(anon.MergeGuestCart.Errors) != 1 || anon.MergeGuestCart.Errors[0].Code != "SIGN_IN_REQUIRED" {
		t.Errorf("anonymous merge: %+v", anon)
	}

	own := add(e.ada, "", "var_000001", 50)
	var m struct{ MergeGuestCart guestCart }
	gql(t, e.h, e.ada, `mutation($t: String!) { mergeGuestCart(cartToken: $t) { `+guestFields+` } }`, map[string]any{"t": tok}, &m)
	c := m.MergeGuestCart.Cart
	got := map[string]int{}
	for _, l := range c.Lines {
		got[l.Variant.ID] = l.Quantity
	}
	if len(m.MergeGuestCart.Errors) > 0 || c.ID != own.Cart.ID || m.MergeGuestCart.CartToken != nil || len(got) != 2 ||
		got["var_000001"] != 100 || got["var_000002"] != 1 {
		t.Fatalf("merge: %+v %v", m, got)
	}
	// The guest cart is closed: its token reaches nothing now.
	gql(t, e.h, e.ada, `mutation($t: String!) { mergeGuestCart(cartToken: $t) { `+guestFields+` } }`, map[string]any{"t": tok}, &m)
	if len(m.MergeGuestCart.Errors) != 1 || m.MergeGuestCart.Errors[0].Code != "NOT_FOUND" {
		t.Errorf("second merge: %+v", m)
	}
	if g := add("", tok, "var_000001", 1); len(g.Errors) != 1 || g.Errors[0].Code != "NOT_FOUND" {
		t.Errorf("add to a merged cart: %+v", g)
	}
}

// TestShippingAndBilling: the cart offers the methods for its address's
// country in its currency, charges the chosen (else the cheapest) as its
// own amount, and the order keeps copies of both addresses, the method and
// its price.
func TestShippingAndBilling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.receive(t, "var_000001", 5)
	r := e.add(t, e.ada, "var_000001", 1)
	var noAddr struct{ SetShippingMethod cartResult }
	gql(t, e.h, e.ada, `mutation($c: ID!) { setShippingMethod(cartId: $c, method: EXPRESS) { errors { code } } }`, map[string]any{"c": r.Cart.ID}, &noAddr)
	if len(noAddr.SetShippingMethod.Errors) != 1 || noAddr.SetShippingMethod.Errors[0].Code != "SHIPPING_METHOD_NOT_AVAILABLE" {
		t.Errorf("method without address: %+v", noAddr)
	}
	cartID := r.Cart.ID
	var addr struct{ SetShippingAddress cartResult }
	gql(t, e.h, e.ada, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: `+usAddress+`) { `+cartFields+` } }`, map[string]any{"c": cartID}, &addr)
	type money struct{ Amount, CurrencyCode string }
	var c struct {
		MyCart struct {
			Subtotal, Total money
			ShippingMethod  struct {
				Code  string
				Price money
			}
			AvailableShippingMethods []struct {
				Code  string
				Price money
			}
			BillingSameAsShipping bool
			BillingAddress        struct{ CountryCode string }
		}
	}
	const sel = `{ myCart { subtotal { amount currencyCode } total { amount currencyCode } shippingMethod { code price { amount currencyCode } }
  availableShippingMethods { code price { amount currencyCode } } billingSameAsShipping billingAddress { countryCode } } }`
	gql(t, e.h, e.ada, sel, nil, &c)
	mc := c.MyCart
	if len(mc.AvailableShippingMethods) != 2 || mc.AvailableShippingMethods[0].Code != "STANDARD" || mc.AvailableShippingMethods[0].Price.Amount != "5.99" ||
		mc.ShippingMethod.Code != "STANDARD" || !mc.BillingSameAsShipping || mc.BillingAddress.CountryCode != "US" {
		t.Fatalf("cart: %+v", mc)
	}
	var set map[string]cartResult
	gql(t, e.h, e.ada, `mutation($c: ID!) { setShippingMethod(cartId: $c, method: EXPRESS) { errors { code } } }`, map[string]any{"c": cartID}, &set)
	gql(t, e.h, e.ada, `mutation($c: ID!) { setBillingAddress(cartId: $c, address: {firstName: "Ada", lastName: "Allen", street1: "Hauptstr. 1", city: "Berlin", postalCode: "10115", countryCode: "de"}) { errors { code } } }`,
		map[string]any{"c": cartID}, &set)
	gql(t, e.h, e.ada, sel, nil, &c)
	mc = c.MyCart
	if mc.ShippingMethod.Code != "EXPRESS" || mc.ShippingMethod.Price.Amount != "19.99" || mc.BillingSameAsShipping || mc.BillingAddress.CountryCode != "DE" {
		t.Fatalf("cart after choices: %+v", mc)
	}
	var sub, tot float64
	fscan(mc.Subtotal.Amount, &sub)
	fscan(mc.Total.Amount, &tot)
	if diff := tot - sub - 19.99; diff > 0.001 || diff < -0.001 {
		t.Errorf("total %s, subtotal %s", mc.Total.Amount, mc.Subtotal.Amount)
	}
	p := e.place(t, e.ada, cartID, "tok_visa", "k")
	var o struct {
		Order struct {
			Subtotal, ShippingPrice, Total money
			ShippingMethod                 struct{ Code string }
			ShippingAddress                struct{ CountryCode string }
			BillingAddress                 struct{ CountryCode string }
		}
	}
	gql(t, e.h, e.ada, `query($id: ID!) { order(id: $id) { subtotal { amount currencyCode } shippingPrice { amount currencyCode } total { amount currencyCode }
  shippingMethod { code } shippingAddress { countryCode } billingAddress { countryCode } } }`, map[string]any{"id": p.Order.ID}, &o)
	if o.Order.Total != mc.Total || o.Order.Subtotal != mc.Subtotal || o.Order.ShippingPrice.Amount != "19.99" || o.Order.ShippingMethod.Code != "EXPRESS" ||
		o.Order.ShippingAddress.CountryCode != "US" || o.Order.BillingAddress.CountryCode != "DE" {
		t.Errorf("order: %+v", o.Order)
	}
	// The payment was for the total, shipping included.
	var pay struct{ Payment struct{ Amount money } }
	gql(t, e.payments, e.staff, `query($id: ID!) { payment(id: $id) { amount { amount currencyCode } } }`, map[string]any{"id": p.Order.Payment.ID}, &pay)
	if pay.Payment.Amount != o.Order.Total {
		t.Errorf("authorized %+v, order total %+v", pay.Payment.Amount, o.Order.Total)
	}
}

func fscan(s string, f *float64) { _, _ = fmt.Sscan(s, f) }
