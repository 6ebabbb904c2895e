package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// TestTaxedGuestCheckout: with the demo's tax rates (Illinois 6.25%, on
// goods and shipping alike), a guest's cart shows each line's tax and the
// total with it, the order keeps exactly that, and the payment through
// the router is for the taxed total. The walkthrough in the README.
func TestTaxedGuestCheckout(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	do := func(q string, vars map[string]any, out any) {
		t.Helper()
		_, resp := queryAs(t, st.Router.URL, "", q, vars)
		if len(resp.Errors) > 0 || strings.Contains(string(resp.Data), `"code"`) {
			t.Fatalf("%.60s: %s %+v", q, resp.Data, resp.Errors)
		}
		gqltest.Decode(t, resp.Data, out)
	}
	type money struct {
		Amount     string
		MinorUnits int64
	}
	var added struct {
		AddCartLine struct {
			Cart      struct{ ID string }
			CartToken string
		}
	}
	do(`mutation { addCartLine(input: {variantId: "var_000003", quantity: 3}) { cart { id } cartToken errors { code } } }`, nil, &added)
	c, tok := added.AddCartLine.Cart.ID, added.AddCartLine.CartToken
	var cart struct {
		SetShippingAddress struct {
			Cart struct {
				Lines []struct {
					LineTotal, TaxAmount money
					TaxRate              string
				}
				Subtotal, ShippingTax, TaxTotal, Total money
				ShippingMethod                         struct{ Price money }
			}
		}
	}
	do(`mutation($c: ID!, $t: String) { setShippingAddress(cartId: $c, cartToken: $t, address: {firstName: "Gus", lastName: "Guest", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}) {
  cart { lines { lineTotal { amount minorUnits } taxAmount { amount minorUnits } taxRate } subtotal { amount minorUnits } shippingTax { amount minorUnits }
    taxTotal { amount minorUnits } total { amount minorUnits } shippingMethod { price { amount minorUnits } } } errors { code } } }`,
		map[string]any{"c": c, "t": tok}, &cart)
	k := cart.SetShippingAddress.Cart
	round := func(minor int64) int64 { return (minor*62_500 + 500_000) / 1_000_000 } // 6.25%, half up
	l := k.Lines[0]
	if l.TaxRate != "6.25" || l.TaxAmount.MinorUnits != round(l.LineTotal.MinorUnits) ||
		k.ShippingTax.MinorUnits != round(k.ShippingMethod.Price.MinorUnits) ||
		k.TaxTotal.MinorUnits != l.TaxAmount.MinorUnits+k.ShippingTax.MinorUnits ||
		k.Total.MinorUnits != k.Subtotal.MinorUnits+k.ShippingMethod.Price.MinorUnits+k.TaxTotal.MinorUnits || k.TaxTotal.MinorUnits == 0 {
		t.Fatalf("taxed cart: %+v", k)
	}
	var placed struct {
		PlaceOrder struct {
			Order struct {
				ID              string
				TaxTotal, Total money
				Lines           []struct{ NetTotal, TaxAmount, GrossTotal money }
			}
		}
	}
	do(`mutation($c: ID!, $t: String) { placeOrder(input: {cartId: $c, cartToken: $t, email: "gus@example.com", paymentToken: "tok_visa", idempotencyKey: "taxed-guest-1"}) {
  order { id taxTotal { amount minorUnits } total { amount minorUnits } lines { netTotal { amount minorUnits } taxAmount { amount minorUnits } grossTotal { amount minorUnits } } }
  orderToken errors { code } } }`, map[string]any{"c": c, "t": tok}, &placed)
	o := placed.PlaceOrder.Order
	ol := o.Lines[0]
	if o.TaxTotal != k.TaxTotal || o.Total != k.Total || ol.NetTotal != l.LineTotal || ol.TaxAmount != l.TaxAmount ||
		ol.GrossTotal.MinorUnits != l.LineTotal.MinorUnits+l.TaxAmount.MinorUnits {
		t.Errorf("order %+v, the cart said %+v", o, k)
	}
	var paid int64
	if err := st.Subgraphs["payments"].Pool.QueryRow(context.Background(), `SELECT amount_minor FROM payments WHERE order_id = $1`, o.ID).Scan(&paid); err != nil {
		t.Fatal(err)
	}
	if paid != k.Total.MinorUnits {
		t.Errorf("authorized %d, the taxed total is %d", paid, k.Total.MinorUnits)
	}
}
