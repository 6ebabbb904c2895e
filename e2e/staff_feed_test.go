package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// TestStaffOrderFeed: staff watch every order's changes through the
// router, filtered by status; a shopper may not.
func TestStaffOrderFeed(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	ctx := context.Background()
	adminPassword, err := userstore.EnsureAdmin(ctx, st.Subgraphs["users"].Pool)
	if err != nil {
		t.Fatal(err)
	}
	ada := login(t, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)
	admin := login(t, st.Router.URL, userstore.AdminEmail, adminPassword)
	do := func(token, q string, vars map[string]any) []byte {
		t.Helper()
		_, resp := queryAs(t, st.Router.URL, token, q, vars)
		if len(resp.Errors) > 0 || strings.Contains(string(resp.Data), `"code"`) {
			t.Fatalf("%.60s: %s %+v", q, resp.Data, resp.Errors)
		}
		return resp.Data
	}
	watch := func(token string) (send func(any), read func() wsMessage) {
		ws := dialWS(t, st.Router.URL, map[string]any{"Authorization": token})
		return ws.send, ws.read
	}
	const feed = `subscription($w: OrderEventsWhere) { orderEvents(where: $w) { status previousStatus version order { id number } } }`

	// A shopper is refused by the field's @requiresScopes, as a query would
	// be, before any channel is opened; the stream then completes.
	sendAda, readAda := watch(ada)
	sendAda(map[string]any{"id": "f", "type": "subscribe", "payload": map[string]any{"query": feed}})
	if m := readAda(); m.Type != "next" || !strings.Contains(string(m.Payload), "UNAUTHORIZED_FIELD_OR_TYPE") || !strings.Contains(string(m.Payload), `"data":null`) {
		t.Fatalf("shopper's feed: %s %s", m.Type, m.Payload)
	}
	if m := readAda(); m.Type != "complete" {
		t.Fatalf("shopper's feed after the refusal: %s %s", m.Type, m.Payload)
	}

	sendStaff, readStaff := watch(admin)
	sendStaff(map[string]any{"id": "f", "type": "subscribe", "payload": map[string]any{"query": feed,
		"variables": map[string]any{"w": map[string]any{"statuses": []string{"SHIPPED"}}}}})

	var cart struct {
		AddCartLine struct{ Cart struct{ ID string } }
	}
	gqltest.Decode(t, do(ada, `mutation { addCartLine(input: {variantId: "var_000003", quantity: 1}) { cart { id } errors { code } } }`, nil), &cart)
	do(ada, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: {firstName: "Ada", lastName: "Allen", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}) { errors { code } } }`,
		map[string]any{"c": cart.AddCartLine.Cart.ID})
	var placed struct {
		PlaceOrder struct{ Order struct{ ID, Number string } }
	}
	gqltest.Decode(t, do(ada, `mutation($c: ID!) { placeOrder(input: {cartId: $c, paymentToken: "tok_visa", idempotencyKey: "feed-1"}) { order { id number } errors { code } } }`,
		map[string]any{"c": cart.AddCartLine.Cart.ID}), &placed)
	for _, status := range []string{"PROCESSING", "SHIPPED"} {
		do(admin, `mutation($o: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $o, status: $s) { errors { code message } } }`,
			map[string]any{"o": placed.PlaceOrder.Order.ID, "s": status})
	}
	// Only the change to SHIPPED passes the filter: the first event the
	// feed delivers is it.
	m := readStaff()
	var resp gqltest.Response
	_ = json.Unmarshal(m.Payload, &resp)
	var ev struct {
		OrderEvents struct {
			Status, PreviousStatus string
			Order                  struct{ ID, Number string }
		}
	}
	if m.Type != "next" || len(resp.Errors) > 0 {
		t.Fatalf("feed: %s %s", m.Type, m.Payload)
	}
	gqltest.Decode(t, resp.Data, &ev)
	if ev.OrderEvents.Status != "SHIPPED" || ev.OrderEvents.PreviousStatus != "PROCESSING" || ev.OrderEvents.Order.Number != placed.PlaceOrder.Order.Number {
		t.Fatalf("feed event: %+v", ev)
	}
}
