package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// TestGuestFollowsOrderLive: a guest follows the order placeOrder gave
// them a token for, over SSE with the token as X-Order-Token (and over a
// WebSocket with it in connection_init), with the order's fields read as
// the guest; a wrong token or none is NOT_FOUND, as for an order that does
// not exist.
func TestGuestFollowsOrderLive(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	ctx := context.Background()
	adminPassword, err := userstore.EnsureAdmin(ctx, st.Subgraphs["users"].Pool)
	if err != nil {
		t.Fatal(err)
	}
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
		AddCartLine struct {
			Cart      struct{ ID string }
			CartToken string
		}
	}
	gqltest.Decode(t, do("", `mutation { addCartLine(input: {variantId: "var_000003", quantity: 1}) { cart { id } cartToken errors { code } } }`, nil), &cart)
	c, tok := cart.AddCartLine.Cart.ID, cart.AddCartLine.CartToken
	do("", `mutation($c: ID!, $t: String) { setShippingAddress(cartId: $c, cartToken: $t, address: {firstName: "Gus", lastName: "Guest", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}) { errors { code } } }`,
		map[string]any{"c": c, "t": tok})
	var placed struct {
		PlaceOrder struct {
			Order      struct{ ID, Number string }
			OrderToken string
		}
	}
	gqltest.Decode(t, do("", `mutation($c: ID!, $t: String) { placeOrder(input: {cartId: $c, cartToken: $t, email: "gus@example.com", paymentToken: "tok_visa", idempotencyKey: "guest-live-1"}) { order { id number } orderToken errors { code } } }`,
		map[string]any{"c": c, "t": tok}), &placed)
	order, orderToken := placed.PlaceOrder.Order, placed.PlaceOrder.OrderToken
	if order.ID == "" || orderToken == "" {
		t.Fatalf("guest order: %+v", placed)
	}

	const sub = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status version order { number guestEmail } } }`
	stream := func(orderToken string) (<-chan string, func()) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": sub, "variables": map[string]any{"id": order.ID}})
		rctx, cancel := context.WithCancel(ctx)
		req, _ := http.NewRequestWithContext(rctx, http.MethodPost, st.Router.URL+"/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		if orderToken != "" {
			req.Header.Set("X-Order-Token", orderToken)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out := make(chan string, 16)
		go func() {
			defer close(out)
			defer res.Body.Close()
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					out <- data
				}
			}
		}()
		return out, cancel
	}
	next := func(events <-chan string) string {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			return ev
		case <-time.After(20 * time.Second):
			t.Fatal("no event in 20 s")
		}
		return ""
	}

	events, stop := stream(orderToken)
	defer stop()
	if ev := next(events); ev != `{"data":{"orderStatusChanged":{"status":"CONFIRMED","version":1,"order":{"number":"`+order.Number+`","guestEmail":"gus@example.com"}}}}` {
		t.Fatalf("the guest's first event: %s", ev)
	}
	do(admin, `mutation($o: ID!) { updateOrderStatus(orderId: $o, status: PROCESSING) { errors { code } } }`, map[string]any{"o": order.ID})
	if ev := next(events); !strings.Contains(ev, `"status":"PROCESSING","version":2`) || !strings.Contains(ev, order.Number) {
		t.Fatalf("the guest's next event: %s", ev)
	}

	// Over a WebSocket the browser cannot set the header, so it goes in
	// connection_init's payload; the stream starts at the current state.
	ws := dialWS(t, st.Router.URL, map[string]any{"X-Order-Token": orderToken})
	ws.send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": sub, "variables": map[string]any{"id": order.ID}}})
	if m := ws.read(); m.Type != "next" || !strings.Contains(string(m.Payload), `"status":"PROCESSING","version":2`) || !strings.Contains(string(m.Payload), "gus@example.com") {
		t.Fatalf("the guest's WebSocket: %s %s", m.Type, m.Payload)
	}

	for name, token := range map[string]string{"a wrong token": orderToken + "x", "no token": ""} {
		refused, stop := stream(token)
		ev := next(refused)
		stop()
		if !strings.Contains(ev, "NOT_FOUND") || strings.Contains(ev, order.Number) || strings.Contains(ev, "CONFIRMED") {
			t.Errorf("%s: %s", name, ev)
		}
	}
}
