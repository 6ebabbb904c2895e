package e2e

import (
	"strings"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// TestCheckoutThroughTheRouter: a shopper fills a cart, checks out and
// reads the order back, and the answer joins five subgraphs: orders
// (order, lines), products (variant names), inventory (stock left),
// payments (status) and users (the customer).
func TestCheckoutThroughTheRouter(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	ada := login(t, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)
	do := func(q string, vars map[string]any) gqltest.Response {
		t.Helper()
		_, resp := queryAs(t, st.Router.URL, ada, q, vars)
		if len(resp.Errors) > 0 {
			t.Fatalf("%s: %+v", q[:40], resp.Errors)
		}
		return resp
	}
	cart := do(`mutation { addCartLine(input: {variantId: "var_000003", quantity: 2}) { cart { id } errors { code } } }`, nil)
	var c struct {
		AddCartLine struct{ Cart struct{ ID string } }
	}
	gqltest.Decode(t, cart.Data, &c)
	do(`mutation($c: ID!) { setShippingAddress(cartId: $c, address: {firstName: "Ada", lastName: "Allen", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}) { errors { code } } }`,
		map[string]any{"c": c.AddCartLine.Cart.ID})
	placed := do(`mutation($c: ID!) { placeOrder(input: {cartId: $c, paymentToken: "tok_visa", idempotencyKey: "e2e-1"}) { order { id status } errors { code message } } }`,
		map[string]any{"c": c.AddCartLine.Cart.ID})
	var p struct {
		PlaceOrder struct {
			Order  *struct{ ID, Status string }
			Errors []struct{ Code, Message string }
		}
	}
	gqltest.Decode(t, placed.Data, &p)
	if p.PlaceOrder.Order == nil || p.PlaceOrder.Order.Status != "CONFIRMED" {
		t.Fatalf("placeOrder: %s", placed.Data)
	}
	order := do(`query($id: ID!) { order(id: $id) { status lines { quantity variant { sku availableQuantity } } payment { status } customer { name } } }`,
		map[string]any{"id": p.PlaceOrder.Order.ID})
	s := string(order.Data)
	for _, want := range []string{`"status":"CONFIRMED"`, `"quantity":2`, `"sku":"SKU-00002-1"`, `"payment":{"status":"AUTHORIZED"}`, `"customer":{"name":"Ada Allen"}`} {
		if !strings.Contains(s, want) {
			t.Fatalf("order lacks %s: %s", want, s)
		}
	}
}
