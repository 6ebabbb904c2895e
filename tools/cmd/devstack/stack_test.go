package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/router/supergraph"
	"github.com/myshop/supergraph/subgraphs/all"
	"github.com/myshop/supergraph/subgraphs/notifications"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// TestMakeRunServes starts the stack exactly as `make run` does (this
// command's run, with its own databases, Redis database and free ports)
// and checks, from outside, what the README promises of it.
func TestMakeRunServes(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ROUTER_LISTEN_ADDR": "127.0.0.1:0",
		"ROUTER_SUPERGRAPH":  filepath.Join(root, "schema", "supergraph.graphql"),
		"REDIS_URL":          privateRedis(t),
	}
	for _, d := range all.Defs {
		name := strings.ToUpper(d.Name)
		env[name+"_LISTEN_ADDR"] = "127.0.0.1:0"
		env[name+"_DATABASE_URL"] = pgtest.NewDatabase(t, d.Migrations)
	}
	base := startDevstack(t, env)

	t.Run("health", func(t *testing.T) {
		resp, err := http.Get(base + "/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("/health: %d", resp.StatusCode)
		}
	})

	t.Run("development outbox beside the router", func(t *testing.T) {
		resp, err := http.Get(base + notifications.DevOutboxPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Development outbox") {
			t.Errorf("%s: %d %.200s", notifications.DevOutboxPath, resp.StatusCode, body)
		}
	})

	t.Run("introspection answers the whole schema", func(t *testing.T) {
		sdl, err := os.ReadFile(env["ROUTER_SUPERGRAPH"])
		if err != nil {
			t.Fatal(err)
		}
		sg, err := supergraph.Parse(string(sdl))
		if err != nil {
			t.Fatal(err)
		}
		want := regexp.MustCompile(`(?m)^(?:type|interface|union|enum|input|scalar) (\w+)`).FindAllStringSubmatch(sg.APISDL, -1)
		files, _ := filepath.Glob("testdata/introspection-*.graphql")
		if len(files) < 3 {
			t.Fatalf("introspection fixtures: %v", files)
		}
		for _, f := range files {
			q, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				Schema struct {
					QueryType struct{ Name string }
					Types     []struct {
						Name   string
						Fields []struct{ Name string }
					}
				} `json:"__schema"`
			}
			cost := post(t, base, "", string(q), nil, &out)
			got := map[string][]string{}
			for _, ty := range out.Schema.Types {
				for _, fl := range ty.Fields {
					got[ty.Name] = append(got[ty.Name], fl.Name)
				}
				got[ty.Name] = append(got[ty.Name], "")
			}
			for _, w := range want {
				if _, ok := got[w[1]]; !ok {
					t.Errorf("%s: type %s missing from the answer", filepath.Base(f), w[1])
				}
			}
			if out.Schema.QueryType.Name != "Query" || !slices.Contains(got["Query"], "products") {
				t.Errorf("%s: Query.products not introspected", filepath.Base(f))
			}
			t.Logf("cost of %s: %s", filepath.Base(f), cost)
		}
	})

	t.Run("storefront queries at page size 100", func(t *testing.T) {
		src, err := os.ReadFile(filepath.Join(root, "web", "src", "pages", "catalog.ts"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile("(?s)const listQuery = `(.*?)`;").FindSubmatch(src)
		if m == nil {
			t.Fatal("the storefront's listQuery is not in web/src/pages/catalog.ts")
		}
		var list struct {
			Products struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		cost := post(t, base, "", string(m[1]), map[string]any{"first": 100}, &list)
		if len(list.Products.Edges) != 100 {
			t.Errorf("the listing at page size 100 has %d products", len(list.Products.Edges))
		}
		t.Logf("cost of the storefront listing at 100: %s", cost)
		pm := regexp.MustCompile("(?s)const productQuery = `(.*?)`;").FindSubmatch(src)
		if pm == nil {
			t.Fatal("the storefront's productQuery is not in web/src/pages/catalog.ts")
		}
		t.Logf("cost of the storefront's product page: %s", post(t, base, "", string(pm[1]), map[string]any{"id": list.Products.Edges[0].Node.ID}, nil))
		const reviews = `{ products(first: 100) { edges { node { id name reviews(first: 50) { edges { node { rating author { name } } } } } } } }`
		t.Logf("cost of 100 products with 50 reviews each: %s", post(t, base, "", reviews, nil, nil))
	})

	t.Run("an abusive query is refused, naming its estimate, the limit and the field", func(t *testing.T) {
		const abuse = `{ products(first: 100) { edges { node { reviews(first: 100) { edges { node { product { reviews(first: 100) { edges { node { rating } } } } } } } } } } }`
		// Refused before any subgraph call; with Accept: application/json
		// a request error is still 200, as GraphQL over HTTP says.
		status, body := postRaw(t, base, "", abuse, nil)
		if status != 200 || strings.Contains(body, `"data"`) || !strings.Contains(body, `"COST_ESTIMATED_TOO_EXPENSIVE"`) || !strings.Contains(body, "at most 1000000") ||
			!strings.Contains(body, "Product.reviews") {
			t.Errorf("abusive query: %d %s", status, body)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, m := range []string{"router_requests_total", "router_subgraph_fetches_total", "router_operation_cost_estimated_count",
			"router_operation_cost_actual_count", `router_rejected_total{reason="COST_ESTIMATED_TOO_EXPENSIVE"}`} {
			if resp.StatusCode != 200 || !bytes.Contains(b, []byte(m)) {
				t.Errorf("/metrics (%d) lacks %s", resp.StatusCode, m)
			}
		}
	})

	t.Run("live order status over graphql-transport-ws and SSE", func(t *testing.T) {
		var login struct {
			Login struct{ Token struct{ AccessToken string } }
		}
		post(t, base, "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token { accessToken } } }`,
			map[string]any{"e": "ada.allen.1@example.com", "p": userstore.DemoPassword}, &login)
		token := login.Login.Token.AccessToken
		var mine struct {
			MyOrders struct {
				Edges []struct{ Node struct{ ID, Status string } }
			}
		}
		post(t, base, token, `{ myOrders(first: 1) { edges { node { id status } } } }`, nil, &mine)
		if len(mine.MyOrders.Edges) == 0 {
			t.Fatal("the demo shopper has no orders")
		}
		order := mine.MyOrders.Edges[0].Node
		orders, err := os.ReadFile(filepath.Join(root, "web", "src", "pages", "orders.ts"))
		if err != nil {
			t.Fatal(err)
		}
		if m := regexp.MustCompile("`(query Mine [^`]*)`").FindSubmatch(orders); m == nil {
			t.Error("the storefront's order history query is not in web/src/pages/orders.ts")
		} else {
			q := strings.Replace(string(m[1]), "first: 50", "first: 100", 1)
			t.Logf("cost of the storefront's order history at 100: %s", post(t, base, token, q, nil, nil))
		}
		const sub = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status version } }`
		// The first event is the order's current state.
		if got := subscribeWS(t, base, token, sub, order.ID); got != order.Status {
			t.Errorf("WebSocket: first event status %q, want %q", got, order.Status)
		}
		if got := subscribeSSE(t, base, token, sub, order.ID); got != order.Status {
			t.Errorf("SSE: first event status %q, want %q", got, order.Status)
		}
	})
}

// privateRedis is a Redis database of its own for the stack: `make run`'s
// subgraphs use fixed key names, which must not meet another run's.
func privateRedis(t *testing.T) string {
	u, err := url.Parse(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/11"
	opts, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	return u.String()
}

// startDevstack runs this command's run until the test ends and returns the
// router's base URL, read from what it prints.
func startDevstack(t *testing.T, env map[string]string) string {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, func(k string) string { return env[k] }, pw)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("devstack: %v", err)
		}
	})
	up := regexp.MustCompile(`MyShop Supergraph is up: (http://\S+)/graphql`)
	found := make(chan string, 1)
	var once sync.Once
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := up.FindStringSubmatch(sc.Text()); m != nil {
				once.Do(func() { found <- m[1] })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case u := <-found:
		return u
	case err := <-done:
		t.Fatalf("devstack stopped: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("devstack did not come up in 3 minutes")
	}
	return ""
}

// postRaw sends a GraphQL request and returns the status and body.
func postRaw(t *testing.T, base, token, query string, vars map[string]any) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars, "extensions": map[string]any{"cost": true}})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends a GraphQL request that must answer without errors, decodes its
// data into out and returns its extensions.cost.
func post(t *testing.T, base, token, query string, vars map[string]any, out any) string {
	t.Helper()
	status, body := postRaw(t, base, token, query, vars)
	var resp struct {
		Data       json.RawMessage
		Errors     []json.RawMessage
		Extensions struct{ Cost json.RawMessage }
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || status != 200 || len(resp.Errors) > 0 {
		t.Fatalf("%.80s: %d %.600s", query, status, body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Data, out); err != nil {
			t.Fatal(err)
		}
	}
	if len(resp.Extensions.Cost) == 0 {
		t.Errorf("%.80s: no extensions.cost", query)
	}
	return string(resp.Extensions.Cost)
}

// subscribeWS subscribes over graphql-transport-ws and returns the status
// of the first event.
func subscribeWS(t *testing.T, base, token, query, orderID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	send := func(v any) {
		b, _ := json.Marshal(v)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"type": "connection_init", "payload": map[string]string{"Authorization": "Bearer " + token}})
	send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query, "variables": map[string]string{"id": orderID}}})
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("websocket: %v", err)
		}
		var msg struct {
			Type    string
			Payload json.RawMessage
		}
		_ = json.Unmarshal(b, &msg)
		switch msg.Type {
		case "connection_ack", "ping", "pong":
			continue
		case "next":
			return eventStatus(t, msg.Payload)
		default:
			t.Fatalf("websocket: %s", b)
		}
	}
}

// subscribeSSE subscribes over Server-Sent Events and returns the status of
// the first event.
func subscribeSSE(t *testing.T, base, token, query, orderID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]string{"id": orderID}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok && strings.Contains(data, "orderStatusChanged") {
			return eventStatus(t, json.RawMessage(data))
		}
	}
	t.Fatalf("SSE (%d) ended without an event: %v", resp.StatusCode, sc.Err())
	return ""
}

func eventStatus(t *testing.T, payload json.RawMessage) string {
	var ev struct {
		Data struct {
			OrderStatusChanged struct{ Status string }
		}
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Errors) > 0 {
		t.Fatalf("event %s: %v", payload, err)
	}
	return ev.Data.OrderStatusChanged.Status
}
