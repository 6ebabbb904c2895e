package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/e2e/stack"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// client is shared by the benchmarks' concurrent customers: enough idle
// connections that 50 of them do not dial on every request.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

// gqlPost sends an operation as token and returns data; any GraphQL error or
// payload error code is an error.
func gqlPost(url, token, q string, vars map[string]any) (json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := benchClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Errors) > 0 || strings.Contains(string(out.Data), `"code"`) {
		return nil, fmt.Errorf("%.60s: status %d: %v %s", q, res.StatusCode, err, b)
	}
	return out.Data, nil
}

// must(b)(gqlPost(...)) is the data, or the benchmark fails.
func must(b *testing.B) func(json.RawMessage, error) json.RawMessage {
	return func(data json.RawMessage, err error) json.RawMessage {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
}

func execSQL(b *testing.B, pool *pgxpool.Pool, sql string, args ...any) {
	b.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		b.Fatal(err)
	}
}

func countSQL(b *testing.B, pool *pgxpool.Pool, sql string, args ...any) int {
	b.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

const shipTo = `{firstName: "Ada", lastName: "Allen", street1: "1 Main St", city: "Springfield", region: "IL", postalCode: "62701", countryCode: "US"}`

// customers adds n shoppers to the users database (the demo's password
// hash, so no argon2 per insert) and logs each in through the router.
func customers(b *testing.B, st *stack.Stack, n int) []string {
	b.Helper()
	users := st.Subgraphs["users"].Pool
	execSQL(b, users, `INSERT INTO users (id, name, email, password_hash, email_verified_at)
SELECT format('usr_bench%s', i), format('Bench %s', i), format('bench.%s@example.com', i), u.password_hash, now()
FROM users u, generate_series(1, $1) i WHERE u.id = 'usr_0001' ON CONFLICT DO NOTHING`, n)
	execSQL(b, users, `INSERT INTO user_roles (user_id, role) SELECT format('usr_bench%s', i), 'customer' FROM generate_series(1, $1) i ON CONFLICT DO NOTHING`, n)
	tokens := make([]string, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	// Two at a time: each login is an argon2 hash (19 MiB), and many at
	// once on a small machine outlast the router's subgraph timeout.
	sem := make(chan struct{}, 2)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			data, err := gqlPost(st.Router.URL+"/graphql", "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token { accessToken } errors { code } } }`,
				map[string]any{"e": fmt.Sprintf("bench.%d@example.com", i+1), "p": userstore.DemoPassword})
			var out struct {
				Login struct{ Token struct{ AccessToken string } }
			}
			if err == nil {
				err = json.Unmarshal(data, &out)
			}
			if err != nil || out.Login.Token.AccessToken == "" {
				failed.Store(fmt.Errorf("login %d: %v %s", i+1, err, data))
				return
			}
			tokens[i] = "Bearer " + out.Login.Token.AccessToken
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	return tokens
}

// admin is a staff token (every permission) through the router.
func admin(b *testing.B, st *stack.Stack) string {
	b.Helper()
	pw, err := userstore.EnsureAdmin(context.Background(), st.Subgraphs["users"].Pool)
	if err != nil {
		b.Fatal(err)
	}
	var out struct {
		Login struct{ Token struct{ AccessToken string } }
	}
	_ = json.Unmarshal(must(b)(gqlPost(st.Router.URL+"/graphql", "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token { accessToken } errors { code } } }`,
		map[string]any{"e": userstore.AdminEmail, "p": pw})), &out)
	return "Bearer " + out.Login.Token.AccessToken
}

// stockUp books units of each variant into a warehouse shipping to the US,
// through the router as staff (adjustStock, so the ledger stays whole).
func stockUp(b *testing.B, st *stack.Stack, staff string, variants []string, units int) {
	b.Helper()
	var wh string
	if err := st.Subgraphs["inventory"].Pool.QueryRow(context.Background(),
		`SELECT id FROM warehouses WHERE active AND 'US' = ANY(countries) ORDER BY priority, id LIMIT 1`).Scan(&wh); err != nil {
		b.Fatal(err)
	}
	for _, v := range variants {
		must(b)(gqlPost(st.Router.URL+"/graphql", staff, `mutation($w: ID!, $v: ID!, $d: Int!, $k: String!) { adjustStock(input: {warehouseId: $w, variantId: $v, delta: $d, reason: "bench", idempotencyKey: $k}) { errors { code } } }`,
			map[string]any{"w": wh, "v": v, "d": units, "k": "bench-" + v}))
	}
}

// placeOne fills the customer's cart with lines (variant → quantity), sets
// the address and places the order; it returns the order id and how long
// placeOrder alone took.
func placeOne(url, token, key string, lines map[string]int) (string, time.Duration, error) {
	var cart struct {
		AddCartLine struct{ Cart struct{ ID string } }
	}
	for v, q := range lines {
		data, err := gqlPost(url, token, `mutation($v: ID!, $q: Int!) { addCartLine(input: {variantId: $v, quantity: $q}) { cart { id } errors { code } } }`,
			map[string]any{"v": v, "q": q})
		if err != nil {
			return "", 0, err
		}
		_ = json.Unmarshal(data, &cart)
	}
	id := cart.AddCartLine.Cart.ID
	if _, err := gqlPost(url, token, `mutation($c: ID!) { setShippingAddress(cartId: $c, address: `+shipTo+`) { errors { code } } }`, map[string]any{"c": id}); err != nil {
		return "", 0, err
	}
	start := time.Now()
	data, err := gqlPost(url, token, `mutation($c: ID!, $k: String!) { placeOrder(input: {cartId: $c, paymentToken: "tok_visa", idempotencyKey: $k}) { order { id status } errors { code } } }`,
		map[string]any{"c": id, "k": key})
	took := time.Since(start)
	if err != nil {
		return "", 0, err
	}
	var placed struct {
		PlaceOrder struct{ Order struct{ ID, Status string } }
	}
	_ = json.Unmarshal(data, &placed)
	if placed.PlaceOrder.Order.Status != "CONFIRMED" {
		return "", 0, fmt.Errorf("placeOrder: %s", data)
	}
	return placed.PlaceOrder.Order.ID, took, nil
}

// BenchmarkCheckout: 50 customers check out concurrently through the
// router, each buying one unit of its own variant per order (cart, address,
// placeOrder: the whole saga of reserve, authorize, confirm). orders/s is
// over the wall time of the run; p50/p99 are of placeOrder alone. After
// each run it checks what must hold whatever the speed: no level oversold
// or negative, allocations grew by exactly the units ordered, one order per
// cart, one payment and one authorization per order.
func BenchmarkCheckout(b *testing.B) {
	st := stack.Start(b, stack.Options{})
	const n = 50
	tokens := customers(b, st, n)
	staff := admin(b, st)
	variants := make([]string, n)
	for i := range variants {
		variants[i] = fmt.Sprintf("var_%06d", i+1)
	}
	stockUp(b, st, staff, variants, 100_000)
	inv, ord, pay := st.Subgraphs["inventory"].Pool, st.Subgraphs["orders"].Pool, st.Subgraphs["payments"].Pool
	url := st.Router.URL + "/graphql"
	run := 0

	b.Run("router", func(b *testing.B) {
		run++
		allocated := func() int {
			return countSQL(b, inv, `SELECT coalesce(sum(allocated), 0) FROM stock WHERE variant_id = ANY($1)`, variants)
		}
		before := allocated()
		var next atomic.Int64
		var mu sync.Mutex
		var lat []time.Duration
		var ids []string
		var failed atomic.Value
		var wg sync.WaitGroup
		b.ResetTimer()
		start := time.Now()
		for w := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(b.N) {
						return
					}
					id, took, err := placeOne(url, tokens[w], fmt.Sprintf("bench-%d-%d", run, i), map[string]int{variants[w]: 1})
					if err != nil {
						failed.Store(err)
						return
					}
					mu.Lock()
					lat, ids = append(lat, took), append(ids, id)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.StopTimer()
		if err, _ := failed.Load().(error); err != nil {
			b.Fatal(err)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "orders/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "place-p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "place-p99-µs")

		if bad := countSQL(b, inv, `SELECT count(*) FROM stock WHERE on_hand < 0 OR allocated < 0 OR reserved < 0 OR allocated + reserved > on_hand`); bad != 0 {
			b.Fatalf("%d stock levels oversold or negative", bad)
		}
		if got := allocated() - before; got != b.N {
			b.Fatalf("allocations grew by %d for %d one-unit orders", got, b.N)
		}
		if c := countSQL(b, ord, `SELECT count(DISTINCT s.cart_id) FROM orders o JOIN order_sagas s ON s.id = o.id WHERE o.id = ANY($1)`, ids); c != b.N {
			b.Fatalf("%d carts for %d orders", c, b.N)
		}
		if c := countSQL(b, ord, `SELECT count(*) FROM (SELECT s.cart_id FROM orders o JOIN order_sagas s ON s.id = o.id GROUP BY 1 HAVING count(*) > 1) x`); c != 0 {
			b.Fatalf("%d carts with more than one order", c)
		}
		if c := countSQL(b, pay, `SELECT count(*) FROM payments WHERE order_id = ANY($1)`, ids); c != b.N {
			b.Fatalf("%d payments for %d orders", c, b.N)
		}
		if c := countSQL(b, pay, `SELECT count(*) FROM transactions t JOIN payments p ON p.id = t.payment_id WHERE p.order_id = ANY($1) AND t.kind = 'AUTHORIZE'`, ids); c != b.N {
			b.Fatalf("%d authorizations for %d orders", c, b.N)
		}
	})
}

// Order page: the order with its lines (product names and images), the
// payment, the fulfilments and the customer. Direct to orders, the same
// query without what other subgraphs add.
const (
	orderPage = `query($id: ID!) { order(id: $id) { id number status paymentStatus fulfillmentStatus total { amount currencyCode }
  lines { quantity unitPrice { amount } variant { id sku name product { name images { url alt } } } }
  payment { id status }
  fulfillments { carrier trackingNumber lines { quantity variant { id name } } }
  customer { id name } } }`
	orderPageDirect = `query($id: ID!) { order(id: $id) { id number status paymentStatus fulfillmentStatus total { amount currencyCode }
  lines { quantity unitPrice { amount } sku name variant { id } }
  payment { id }
  fulfillments { carrier trackingNumber lines { quantity variant { id } } }
  customer { id } } }`
)

// BenchmarkOrderPage reports the order page's p50/p99 through the router
// and straight to orders (compare within one run), for orders of 2 and 8
// lines, with the subgraph requests and SQL statements one page costs
// (which must not grow with the lines).
func BenchmarkOrderPage(b *testing.B) {
	st := stack.Start(b, stack.Options{})
	tokens := customers(b, st, 2)
	staff := admin(b, st)
	url := st.Router.URL + "/graphql"
	for i, lines := range []int{2, 8} {
		want := map[string]int{}
		var vs []string
		for j := range lines {
			v := fmt.Sprintf("var_%06d", 10+j)
			want[v], vs = 1+j%3, append(vs, v)
		}
		stockUp(b, st, staff, vs, 1000)
		id, _, err := placeOne(url, tokens[i], fmt.Sprintf("page-%d", lines), want)
		if err != nil {
			b.Fatal(err)
		}
		// Two shipments: half the lines, then one more unit.
		var ship []map[string]any
		for _, v := range vs[:lines/2] {
			ship = append(ship, map[string]any{"variantId": v, "quantity": want[v]})
		}
		for k, l := range [][]map[string]any{ship, {{"variantId": vs[len(vs)-1], "quantity": 1}}} {
			must(b)(gqlPost(url, staff, `mutation($o: ID!, $l: [FulfillmentLineInput!]!, $k: String!) { fulfillOrder(input: {orderId: $o, lines: $l, carrier: "UPS", trackingNumber: "1Z", idempotencyKey: $k}) { errors { code } } }`,
				map[string]any{"o": id, "l": l, "k": fmt.Sprintf("ship-%d", k)}))
		}
		vars := map[string]any{"id": id}
		b.Run(fmt.Sprintf("lines=%d/router", lines), func(b *testing.B) {
			for _, sg := range st.Subgraphs {
				sg.ResetCounts()
			}
			measurePage(b, url, tokens[i], orderPage, vars)
			var reqs, stmts int64
			for _, sg := range st.Subgraphs {
				reqs += sg.Requests()
				stmts += sg.Statements.Count()
			}
			b.ReportMetric(float64(reqs)/float64(b.N+1), "subgraph-requests/op")
			b.ReportMetric(float64(stmts)/float64(b.N+1), "sql/op")
		})
		b.Run(fmt.Sprintf("lines=%d/direct-orders", lines), func(b *testing.B) {
			measurePage(b, st.Subgraphs["orders"].Server.URL+"/graphql", tokens[i], orderPageDirect, vars)
		})
	}
}

func measurePage(b *testing.B, url, token, q string, vars map[string]any) {
	do := func() {
		data, err := gqlPost(url, token, q, vars)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Contains(data, []byte(`"trackingNumber":"1Z"`)) {
			b.Fatalf("unexpected answer: %s", data)
		}
	}
	do() // warm: plan cache, gqlgen's query cache, connections
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		do()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
