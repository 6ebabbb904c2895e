package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/smtptest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// eventually polls cond until it holds or the bound passes. The pipeline
// (outbox relays, the stream, consumers, delivery) is asynchronous by
// design; the bound is only there to end a broken run.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s did not happen", what)
}

// TestOrderLifecycleMovesMailAndMetrics: placing, shipping, delivering and
// canceling (refunding) an order through the router sends the customer the
// expected mail over SMTP and moves the sales dashboard.
func TestOrderLifecycleMovesMailAndMetrics(t *testing.T) {
	t.Parallel()
	mail := smtptest.New(t)
	st := stack.Start(t, stack.Options{Background: true, Env: map[string]string{"NOTIFICATIONS_SMTP_ADDR": mail.Addr}})
	ctx := context.Background()
	adminPassword, err := userstore.EnsureAdmin(ctx, st.Subgraphs["users"].Pool)
	if err != nil {
		t.Fatal(err)
	}
	// Notifications learns addresses from users' events; wait until it
	// knows the demo shopper before she orders.
	eventually(t, "notifications learning Ada's address", func() bool {
		var n int
		_ = st.Subgraphs["notifications"].Pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE user_id = 'usr_0001'`).Scan(&n)
		return n == 1
	})

	ada := login(t, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)
	admin := login(t, st.Router.URL, userstore.AdminEmail, adminPassword)
	do := func(token, q string, vars map[string]any) string {
		t.Helper()
		_, resp := queryAs(t, st.Router.URL, token, q, vars)
		if len(resp.Errors) > 0 || strings.Contains(string(resp.Data), `"code"`) {
			t.Fatalf("%.60s: %s %+v", q, resp.Data, resp.Errors)
		}
		return string(resp.Data)
	}
	var cart struct {
		AddCartLine struct{ Cart struct{ ID string } }
	}
	gqltest.Decode(t, []byte(do(ada, `mutation { addCartLine(input: {variantId: "var_000003", quantity: 1}) { cart { id } errors { code } } }`, nil)), &cart)
	do(ada, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: {firstName: "Ada", lastName: "Allen", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}) { errors { code } } }`,
		map[string]any{"c": cart.AddCartLine.Cart.ID})
	var placed struct {
		PlaceOrder struct {
			Order struct {
				ID     string
				Number string
				Total  struct{ Amount string }
			}
		}
	}
	gqltest.Decode(t, []byte(do(ada, `mutation($c: ID!) { placeOrder(input: {cartId: $c, paymentToken: "tok_visa", idempotencyKey: "life-1"}) { order { id number total { amount } } errors { code } } }`,
		map[string]any{"c": cart.AddCartLine.Cart.ID})), &placed)
	order := placed.PlaceOrder.Order
	for _, status := range []string{"PROCESSING", "SHIPPED", "DELIVERED"} {
		do(admin, `mutation($o: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $o, status: $s) { order { status } errors { code message } } }`,
			map[string]any{"o": order.ID, "s": status})
	}
	do(admin, `mutation($o: ID!) { cancelOrder(orderId: $o, reason: "returned") { order { status } errors { code message } } }`, map[string]any{"o": order.ID})

	wantSubjects := []string{
		fmt.Sprintf("Subject: Order %s: CONFIRMED", order.Number),
		fmt.Sprintf("Subject: Order %s: SHIPPED", order.Number),
		fmt.Sprintf("Subject: Order %s: DELIVERED", order.Number),
		fmt.Sprintf("Subject: Order %s: CANCELED", order.Number),
		"Subject: Your refund is on its way",
	}
	eventually(t, "the order's mail", func() bool {
		got := ""
		for _, m := range mail.Received() {
			if m.To == "ada.allen.1@example.com" {
				got += m.Data
			}
		}
		for _, s := range wantSubjects {
			if !strings.Contains(got, s) {
				return false
			}
		}
		return true
	})

	today := time.Now().UTC().Format(time.DateOnly)
	want := fmt.Sprintf(`"orders":1,"revenue":{"amount":%q},"refunds":{"amount":%q}`, order.Total.Amount, order.Total.Amount)
	var last string
	eventually(t, "the sales dashboard moving", func() bool {
		_, resp := queryAs(t, st.Router.URL, admin, fmt.Sprintf(`{ salesMetrics(from: %q, to: %q) { orders revenue { amount } refunds { amount } } }`, today, today), nil)
		last = string(resp.Data)
		return strings.Contains(last, want)
	})
}
