package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/router/config"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// BenchmarkOrderStatusFanOut: N WebSocket clients watch one order through
// the router (the shopper's tabs, one token; the router listens to the
// order's Redis channel once for all of them); staff move the order; an op is the
// time from sending the mutation to the last client receiving the event,
// with lines' SKUs and the payment status fetched for it. afterCommit-ms is
// the part after the mutation answered (the change was committed and
// published). Each op uses a fresh order; setting it up is not timed.
//
//	go test -run '^$' -bench OrderStatusFanOut -benchtime 5x ./bench/
//
// BENCH_FANOUT=10,100,1000,5000 chooses the subscriber counts.
func BenchmarkOrderStatusFanOut(b *testing.B) {
	counts := []int{10, 100, 1000}
	if v := os.Getenv("BENCH_FANOUT"); v != "" {
		counts = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				b.Fatalf("BENCH_FANOUT: %q", v)
			}
			counts = append(counts, n)
		}
	}
	for _, n := range counts {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) { fanOut(b, n) })
	}
}

func fanOut(b *testing.B, n int) {
	// One shopper's n watchers: the per-user quota would refuse the 51st.
	st := stack.Start(b, stack.Options{Router: func(c *config.Config) { c.Subscriptions.MaxPerUser, c.Subscriptions.MaxTotal = -1, -1 }})
	ctx := context.Background()
	adminPassword, err := userstore.EnsureAdmin(ctx, st.Subgraphs["users"].Pool)
	if err != nil {
		b.Fatal(err)
	}
	ada := benchLogin(b, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)
	admin := benchLogin(b, st.Router.URL, userstore.AdminEmail, adminPassword)
	var afterCommit time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		orderID := benchPlace(b, st.Router.URL, ada, fmt.Sprintf("fanout-%d-%d", n, i))
		conns := make([]*websocket.Conn, n)
		for j := range conns {
			conns[j] = benchWatch(b, st.Router.URL, ada, orderID)
		}
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(func() {
				rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				for {
					_, msg, err := c.Read(rctx)
					if err != nil {
						b.Errorf("read: %v", err)
						return
					}
					if strings.Contains(string(msg), `"PROCESSING"`) {
						return
					}
				}
			})
		}
		b.StartTimer()
		benchDo(b, st.Router.URL, admin, `mutation($o: ID!) { updateOrderStatus(orderId: $o, status: PROCESSING) { errors { code } } }`, map[string]any{"o": orderID})
		committed := time.Now()
		wg.Wait()
		afterCommit += time.Since(committed)
		b.StopTimer()
		for _, c := range conns {
			_ = c.Close(websocket.StatusNormalClosure, "")
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(afterCommit.Milliseconds())/float64(b.N), "afterCommit-ms")
}

func benchDo(b *testing.B, url, token, q string, vars map[string]any) json.RawMessage {
	b.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 || strings.Contains(string(out.Data), `"code"`) {
		b.Fatalf("%.50s: %v %s %v", q, err, out.Data, out.Errors)
	}
	return out.Data
}

func benchLogin(b *testing.B, url, email, password string) string {
	var out struct {
		Login struct{ Token struct{ AccessToken string } }
	}
	_ = json.Unmarshal(benchDo(b, url, "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token { accessToken } } }`,
		map[string]any{"e": email, "p": password}), &out)
	return "Bearer " + out.Login.Token.AccessToken
}

// benchPlace places a one-line order for the token's user.
func benchPlace(b *testing.B, url, token, key string) string {
	var cart struct {
		AddCartLine struct{ Cart struct{ ID string } }
	}
	_ = json.Unmarshal(benchDo(b, url, token, `mutation { addCartLine(input: {variantId: "var_000003", quantity: 1}) { cart { id } errors { code } } }`, nil), &cart)
	id := cart.AddCartLine.Cart.ID
	benchDo(b, url, token, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: {firstName: "Ada", lastName: "Allen", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}) { errors { code } } }`,
		map[string]any{"c": id})
	var placed struct {
		PlaceOrder struct{ Order struct{ ID string } }
	}
	_ = json.Unmarshal(benchDo(b, url, token, `mutation($c: ID!, $k: String!) { placeOrder(input: {cartId: $c, paymentToken: "tok_visa", idempotencyKey: $k}) { order { id } errors { code } } }`,
		map[string]any{"c": id, "k": key}), &placed)
	return placed.PlaceOrder.Order.ID
}

// benchWatch opens a WebSocket watching the order and waits for its first
// event (the current state).
func benchWatch(b *testing.B, url, token, orderID string) *websocket.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		b.Fatal(err)
	}
	write := func(v any) {
		m, _ := json.Marshal(v)
		if err := c.Write(ctx, websocket.MessageText, m); err != nil {
			b.Fatal(err)
		}
	}
	write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": token}})
	write(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status version order { lines { variant { sku } } payment { status } } } }`,
		"variables": map[string]any{"id": orderID}}})
	for {
		_, msg, err := c.Read(ctx)
		if err != nil {
			b.Fatalf("watch: %v", err)
		}
		if strings.Contains(string(msg), `"next"`) {
			return c
		}
		if strings.Contains(string(msg), `"error"`) {
			b.Fatalf("watch refused: %s", msg)
		}
	}
}
