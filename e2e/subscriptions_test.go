package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// orderTracking is the realtime order page's subscription: fields of
// orders (number, lines), products (sku) and payments (status) on every
// event.
const orderTracking = `subscription($id: ID!) { orderStatusChanged(orderId: $id) {
  status previousStatus version occurredAt
  order { number lines { variant { sku } } payment { status } } } }`

type trackingEvent struct {
	OrderStatusChanged struct {
		Status         string
		PreviousStatus *string
		Version        int
		OccurredAt     string
		Order          struct {
			Number  string
			Lines   []struct{ Variant struct{ SKU string } }
			Payment *struct{ Status string }
		}
	}
}

// TestOrderTrackingSubscription: a shopper watching her order through the
// router over a WebSocket gets its current state first, then each move
// staff make, in order with increasing versions, each event completed with
// fields of products and payments; another shopper watching it (over SSE)
// gets an error and no data.
func TestOrderTrackingSubscription(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	ctx := context.Background()
	adminPassword, err := userstore.EnsureAdmin(ctx, st.Subgraphs["users"].Pool)
	if err != nil {
		t.Fatal(err)
	}
	ada := login(t, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)
	grace := login(t, st.Router.URL, "grace.torvalds.2@example.com", userstore.DemoPassword)
	admin := login(t, st.Router.URL, userstore.AdminEmail, adminPassword)
	do := func(token, q string, vars map[string]any) []byte {
		t.Helper()
		_, resp := queryAs(t, st.Router.URL, token, q, vars)
		if len(resp.Errors) > 0 || strings.Contains(string(resp.Data), `"code"`) {
			t.Fatalf("%.60s: %s %+v", q, resp.Data, resp.Errors)
		}
		return resp.Data
	}
	var cart struct {
		AddCartLine struct{ Cart struct{ ID string } }
	}
	gqltest.Decode(t, do(ada, `mutation { addCartLine(input: {variantId: "var_000003", quantity: 1}) { cart { id } errors { code } } }`, nil), &cart)
	do(ada, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: {firstName: "Ada", lastName: "Allen", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}) { errors { code } } }`,
		map[string]any{"c": cart.AddCartLine.Cart.ID})
	var placed struct {
		PlaceOrder struct{ Order struct{ ID, Number string } }
	}
	gqltest.Decode(t, do(ada, `mutation($c: ID!) { placeOrder(input: {cartId: $c, paymentToken: "tok_visa", idempotencyKey: "track-1"}) { order { id number } errors { code } } }`,
		map[string]any{"c": cart.AddCartLine.Cart.ID}), &placed)
	order := placed.PlaceOrder.Order

	// Ada, over a WebSocket with her token in connection_init.
	ws := dialWS(t, st.Router.URL, map[string]any{"Authorization": ada})
	send, read := ws.send, ws.read
	send(map[string]any{"id": "track", "type": "subscribe", "payload": map[string]any{"query": orderTracking, "variables": map[string]any{"id": order.ID}}})
	next := func() trackingEvent {
		t.Helper()
		m := read()
		var resp gqltest.Response
		if m.Type == "next" {
			_ = json.Unmarshal(m.Payload, &resp)
		}
		if m.Type != "next" || m.ID != "track" || len(resp.Errors) > 0 {
			t.Fatalf("want an event, got %s %s", m.Type, m.Payload)
		}
		var ev trackingEvent
		gqltest.Decode(t, resp.Data, &ev)
		return ev
	}
	first := next().OrderStatusChanged
	if first.Status != "CONFIRMED" || first.Version != 1 || first.PreviousStatus != nil || first.OccurredAt == "" ||
		first.Order.Number != order.Number || len(first.Order.Lines) != 1 || first.Order.Lines[0].Variant.SKU == "" ||
		first.Order.Payment == nil || first.Order.Payment.Status != "AUTHORIZED" {
		t.Fatalf("current state: %+v", first)
	}

	// Grace may not watch Ada's order: an error, no data (over SSE).
	body, _ := json.Marshal(map[string]any{"query": orderTracking, "variables": map[string]any{"id": order.ID}})
	req, _ := http.NewRequest(http.MethodPost, st.Router.URL+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", grace)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "event: ") || strings.HasPrefix(line, "data:") {
			events = append(events, line)
		}
	}
	res.Body.Close()
	if len(events) != 4 || events[0] != "event: next" || events[2] != "event: complete" || events[3] != "data:" {
		t.Fatalf("grace's stream: %q", events)
	}
	var denied gqltest.Response
	if err := json.Unmarshal([]byte(strings.TrimPrefix(events[1], "data: ")), &denied); err != nil {
		t.Fatal(err)
	}
	if len(denied.Errors) == 0 || (string(denied.Data) != "" && string(denied.Data) != "null") ||
		strings.Contains(events[1], order.Number) || strings.Contains(events[1], "CONFIRMED") {
		t.Fatalf("grace saw: %s", events[1])
	}

	for i, status := range []string{"PROCESSING", "SHIPPED"} {
		do(admin, `mutation($o: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $o, status: $s) { order { status } errors { code message } } }`,
			map[string]any{"o": order.ID, "s": status})
		ev := next().OrderStatusChanged
		if ev.Status != status || ev.Version != first.Version+1+i || ev.PreviousStatus == nil || ev.Order.Number != order.Number ||
			len(ev.Order.Lines) != 1 || ev.Order.Payment == nil {
			t.Fatalf("move to %s: %+v", status, ev)
		}
		if status == "SHIPPED" && ev.Order.Payment.Status != "PAID" {
			t.Errorf("shipped order's payment %q", ev.Order.Payment.Status)
		}
	}
	send(map[string]any{"id": "track", "type": "complete"})
	_ = ws.conn.Close(websocket.StatusNormalClosure, "")
}
