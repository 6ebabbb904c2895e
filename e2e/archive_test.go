package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// TestArchivedProductThroughTheRouter: after staff archive a product a
// shopper has ordered and has in her cart, the storefront's own cart and
// order queries still answer without errors (the variant resolves, with
// its name), the cart line is a VARIANT_NOT_AVAILABLE problem, and the
// product cannot be deleted.
func TestArchivedProductThroughTheRouter(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	adminPassword, err := userstore.EnsureAdmin(context.Background(), st.Subgraphs["users"].Pool)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, st.Router.URL, userstore.AdminEmail, adminPassword)
	ada := login(t, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)
	do := func(who, q string, vars map[string]any, out any) string {
		t.Helper()
		status, resp := queryAs(t, st.Router.URL, who, q, vars)
		if status != 200 || len(resp.Errors) > 0 {
			t.Fatalf("%s: status %d, errors %+v", q, status, resp.Errors)
		}
		gqltest.Decode(t, resp.Data, out)
		return string(resp.Data)
	}

	var v struct {
		Variant struct{ Product struct{ ID string } }
	}
	do(ada, `{ variant(id: "var_000003") { product { id } } }`, nil, &v)
	productID := v.Variant.Product.ID
	var added struct {
		AddCartLine struct{ Cart struct{ ID string } }
	}
	do(ada, `mutation { addCartLine(input: {variantId: "var_000003", quantity: 1}) { cart { id } errors { code } } }`, nil, &added)
	cartID := added.AddCartLine.Cart.ID
	var none any
	do(ada, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: {firstName: "Ada", lastName: "Allen", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}) { errors { code } } }`,
		map[string]any{"c": cartID}, &none)
	var placed struct {
		PlaceOrder struct {
			Order  *struct{ ID string }
			Errors []struct{ Code string }
		}
	}
	do(ada, `mutation($c: ID!) { placeOrder(input: {cartId: $c, paymentToken: "tok_visa", idempotencyKey: "e2e-archive"}) { order { id } errors { code } } }`,
		map[string]any{"c": cartID}, &placed)
	if placed.PlaceOrder.Order == nil {
		t.Fatalf("placeOrder: %+v", placed.PlaceOrder.Errors)
	}
	do(ada, `mutation { a: addCartLine(input: {variantId: "var_000003", quantity: 1}) { errors { code } } b: addCartLine(input: {variantId: "var_000001", quantity: 1}) { errors { code } } }`, nil, &none)

	var archived struct {
		ArchiveProduct struct {
			Product *struct{ Status string }
			Errors  []struct{ Code string }
		}
	}
	do(admin, `mutation($id: ID!) { archiveProduct(id: $id) { product { status } errors { code } } }`, map[string]any{"id": productID}, &archived)
	if archived.ArchiveProduct.Product == nil || archived.ArchiveProduct.Product.Status != "ARCHIVED" {
		t.Fatalf("archiveProduct: %+v", archived.ArchiveProduct)
	}

	// The selections web/src/pages/cart.ts and orders.ts make.
	cart := do(ada, `{ myCart { lines { variant { id name sku product { id name } } quantity unitPrice { amount currencyCode } } problems { code variantId } } }`, nil, &none)
	for _, want := range []string{`{"code":"VARIANT_NOT_AVAILABLE","variantId":"var_000003"}`, `"sku":"SKU-00002-1"`, `"unitPrice":null`} {
		if !strings.Contains(cart, want) {
			t.Fatalf("cart lacks %s: %s", want, cart)
		}
	}
	order := do(ada, `query($id: ID!) { order(id: $id) { lines { name sku variant { product { id name } } } } }`, map[string]any{"id": placed.PlaceOrder.Order.ID}, &none)
	if !strings.Contains(order, `"id":"`+productID+`"`) {
		t.Fatalf("order after archiving: %s", order)
	}

	var deleted struct {
		DeleteProduct struct {
			DeletedID *string
			Errors    []struct{ Code string }
		}
	}
	do(admin, `mutation($id: ID!) { deleteProduct(id: $id) { deletedId errors { code } } }`, map[string]any{"id": productID}, &deleted)
	if d := deleted.DeleteProduct; d.DeletedID != nil || len(d.Errors) != 1 || d.Errors[0].Code != "IN_USE" {
		t.Fatalf("deleteProduct of an ordered product: %+v", d)
	}
}
