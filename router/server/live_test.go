package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/server"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
)

// liveSubgraphs are an orders subgraph and its event graph, as
// schema/orders and schema/orders/events declare them.
func liveSubgraphs(t *testing.T) string {
	t.Helper()
	const event = `type OrderStatusEvent @shareable { order: Order! status: String! previousStatus: String version: Int! occurredAt: String! }`
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "orders", URL: "http://orders.invalid", SDL: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])
type Query { order(id: ID!): Order }
type Order @key(fields: "id") { id: ID! number: String! statusHistory: [OrderStatusEvent!]! }
` + event},
		{Name: "orders_events", SDL: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@authenticated"])
directive @redisSubscribe(channel: String!, entity: String, history: String, sequence: String, filter: String) on FIELD_DEFINITION
type Subscription {
  orderStatusChanged(orderId: ID!): OrderStatusEvent! @authenticated
    @redisSubscribe(channel: "order:{{ args.orderId }}", entity: "Order(id: {{ args.orderId }})", history: "statusHistory", sequence: "version")
}
type Order @key(fields: "id", resolvable: false) { id: ID! }
` + event},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sdl
}

// statusEvent is a message of the order's channel, and an item of its
// statusHistory.
func statusEvent(from, to string, version int) string {
	prev := "null"
	if from != "" {
		prev = `"` + from + `"`
	}
	return fmt.Sprintf(`{"__typename":"OrderStatusEvent","order":{"__typename":"Order","id":"o1"},"status":%q,"previousStatus":%s,"version":%d,"occurredAt":"t%d"}`,
		to, prev, version, version)
}

// TestLiveOrderStatusFromRedis: with Redis, the router serves
// orderStatusChanged itself: the state read as the caller first (which
// refuses another user's order), then only newer versions of the caller's
// order from one channel subscription shared by all its watchers, the
// order's other fields read per event, and the end at the token's expiry.
func TestLiveOrderStatusFromRedis(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	issuer := authtest.New(t)
	ada := issuer.Token("usr_ada")
	shortLived := issuer.TokenFor("usr_ada", 2*time.Second)
	orders := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch a := r.Header.Get("Authorization"); {
		case a != "Bearer "+ada && a != "Bearer "+shortLived:
			_, _ = io.WriteString(w, `{"data":{"_entities":[null]}}`)
		case strings.Contains(string(b), "statusHistory"):
			_, _ = io.WriteString(w, `{"data":{"_entities":[{"__typename":"Order","statusHistory":[`+statusEvent("", "CONFIRMED", 1)+`]}]}}`)
		default:
			_, _ = io.WriteString(w, `{"data":{"_entities":[{"__typename":"Order","number":"100042"}]}}`)
		}
	}))
	t.Cleanup(orders.Close)
	sdl := liveSubgraphs(t)
	srv := newRouterFor(t, sdl, map[string]string{"orders": orders.URL}, func(c *server.Config) {
		c.Verifier, c.Redis = issuer.Verifier(), rdb
	}, settings(func(c *config.Config) { c.RedisPrefix, c.Subscriptions.ChannelPrefix = prefix+"router:", prefix }))
	h := &subsHarness{srv: srv, router: httptest.NewServer(srv), issuer: issuer}
	t.Cleanup(h.router.Close)
	const sub = `{"id":"a","type":"subscribe","payload":{"query":"subscription { orderStatusChanged(orderId: \"o1\") { status previousStatus version order { number } } }"}}`
	var tabs []*wsClient
	for range 3 {
		c := h.dial(t)
		c.init(`{"Authorization":"Bearer ` + ada + `"}`)
		c.send(sub)
		if m := c.read(); m.Type != "next" || compact(t, string(m.Payload)) != `{"data":{"orderStatusChanged":{"order":{"number":"100042"},"previousStatus":null,"status":"CONFIRMED","version":1}}}` {
			t.Fatalf("current state: %+v %s", m, m.Payload)
		}
		tabs = append(tabs, c)
	}
	ctx := context.Background()
	channel := prefix + "order:o1"
	if n := rdb.PubSubNumSub(ctx, channel).Val()[channel]; n != 1 {
		t.Errorf("Redis subscriptions to the order's channel: %d, want 1 for 3 watchers", n)
	}
	publish := func(msg string) {
		if err := rdb.Publish(ctx, channel, msg).Err(); err != nil {
			t.Fatal(err)
		}
	}
	publish(statusEvent("", "CONFIRMED", 1))                // not news
	publish(`{"orderId":"o1","to":"CANCELED","version":9}`) // malformed: dropped
	publish(`not json`)                                     // malformed: dropped
	publish(statusEvent("CONFIRMED", "PROCESSING", 2))
	for i, c := range tabs {
		if m := c.read(); m.Type != "next" || compact(t, string(m.Payload)) != `{"data":{"orderStatusChanged":{"order":{"number":"100042"},"previousStatus":"CONFIRMED","status":"PROCESSING","version":2}}}` {
			t.Fatalf("tab %d: %+v %s", i, m, m.Payload)
		}
	}
	// An operation's variable default names the order when the request
	// sends no variables.
	withDefault := h.dial(t)
	withDefault.init(`{"Authorization":"Bearer ` + ada + `"}`)
	withDefault.send(`{"id":"d","type":"subscribe","payload":{"query":"subscription($id: ID! = \"o1\") { orderStatusChanged(orderId: $id) { status version } }"}}`)
	if m := withDefault.read(); m.Type != "next" || compact(t, string(m.Payload)) != `{"data":{"orderStatusChanged":{"status":"CONFIRMED","version":1}}}` {
		t.Fatalf("variable default: %+v %s", m, m.Payload)
	}
	withDefault.send(`{"id":"d","type":"complete"}`)
	// Another user cannot watch it.
	grace := h.dial(t)
	grace.init(`{"Authorization":"Bearer ` + issuer.Token("usr_grace") + `"}`)
	grace.send(sub)
	if m := grace.read(); m.Type != "error" || !strings.Contains(string(m.Payload), "NOT_FOUND") {
		t.Fatalf("another user's order: %+v %s", m, m.Payload)
	}
	// A stream ends when its token expires, with a code the client can act
	// on (SSE here; a WebSocket is closed with 4403 at the same moment).
	req, _ := http.NewRequest(http.MethodPost, h.router.URL+"/graphql", strings.NewReader(`{"query":"subscription { orderStatusChanged(orderId: \"o1\") { status } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+shortLived)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	stream, _ := io.ReadAll(res.Body) // ends when the router ends it
	res.Body.Close()
	if !strings.Contains(string(stream), "SUBSCRIPTION_JWT_EXPIRED") || !strings.HasSuffix(string(stream), "event: complete\ndata:\n\n") {
		t.Fatalf("stream at expiry: %q", stream)
	}
	for _, c := range tabs {
		c.send(`{"id":"a","type":"complete"}`)
	}
	// The last watcher gone, the router leaves the channel.
	deadline := time.Now().Add(10 * time.Second)
	for rdb.PubSubNumSub(ctx, channel).Val()[channel] != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the router still listens to the order's channel")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLiveOrderStatusFillsARedisOutage: changes published while the
// router's Redis connection was down are lost to pub/sub; when go-redis has
// reconnected and resubscribed, a subscriber of one order gets each change
// it missed, in version order, from the order's history, then newer ones.
func TestLiveOrderStatusFillsARedisOutage(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.New(t)
	// The router's own client, named so the test can cut just its connection.
	opt := *rdb.Options()
	opt.ClientName = "livegap-" + strings.Trim(prefix, ":")
	opt.ClientName = strings.ReplaceAll(opt.ClientName, ":", "-")
	routerRdb := redis.NewClient(&opt)
	t.Cleanup(func() { _ = routerRdb.Close() })
	issuer := authtest.New(t)
	ada := issuer.Token("usr_ada")
	history := []string{statusEvent("", "CONFIRMED", 1), statusEvent("CONFIRMED", "PROCESSING", 2), statusEvent("PROCESSING", "SHIPPED", 3)}
	var version atomic.Int64
	version.Store(1)
	orders := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := version.Load()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"data":{"_entities":[{"__typename":"Order","statusHistory":[%s]}]}}`, strings.Join(history[:v], ","))
	}))
	t.Cleanup(orders.Close)
	sdl := liveSubgraphs(t)
	srv := newRouterFor(t, sdl, map[string]string{"orders": orders.URL}, func(c *server.Config) {
		c.Verifier, c.Redis = issuer.Verifier(), routerRdb
	}, settings(func(c *config.Config) { c.RedisPrefix, c.Subscriptions.ChannelPrefix = prefix+"router:", prefix }))
	h := &subsHarness{srv: srv, router: httptest.NewServer(srv), issuer: issuer}
	t.Cleanup(h.router.Close)
	c := h.dial(t)
	c.init(`{"Authorization":"Bearer ` + ada + `"}`)
	c.send(`{"id":"a","type":"subscribe","payload":{"query":"subscription { orderStatusChanged(orderId: \"o1\") { status previousStatus version } }"}}`)
	want := func(what, payload string) {
		t.Helper()
		if m := c.read(); m.Type != "next" || compact(t, string(m.Payload)) != payload {
			t.Fatalf("%s: %+v %s", what, m, m.Payload)
		}
	}
	want("current state", `{"data":{"orderStatusChanged":{"previousStatus":null,"status":"CONFIRMED","version":1}}}`)
	ctx := context.Background()
	channel := prefix + "order:o1"
	for rdb.PubSubNumSub(ctx, channel).Val()[channel] != 1 {
		time.Sleep(10 * time.Millisecond)
	}
	// Two changes committed while the connection is down: nobody hears
	// their messages.
	version.Store(3)
	list, err := rdb.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+opt.ClientName+" ") || !strings.Contains(line, " sub=1 ") {
			continue
		}
		id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
		if err := rdb.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
			t.Fatal(err)
		}
		killed++
	}
	if killed != 1 {
		t.Fatalf("killed %d pub/sub connections of the router, want 1:\n%s", killed, list)
	}
	want("the first missed change", `{"data":{"orderStatusChanged":{"previousStatus":"CONFIRMED","status":"PROCESSING","version":2}}}`)
	want("the second missed change", `{"data":{"orderStatusChanged":{"previousStatus":"PROCESSING","status":"SHIPPED","version":3}}}`)
	// And live again.
	for rdb.PubSubNumSub(ctx, channel).Val()[channel] != 1 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := rdb.Publish(ctx, channel, statusEvent("SHIPPED", "DELIVERED", 4)).Err(); err != nil {
		t.Fatal(err)
	}
	want("a change after the outage", `{"data":{"orderStatusChanged":{"previousStatus":"SHIPPED","status":"DELIVERED","version":4}}}`)
}
