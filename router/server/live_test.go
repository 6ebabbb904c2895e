package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/server"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
)

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
			_, _ = io.WriteString(w, `{"data":{"order":null},"errors":[{"message":"no such order","extensions":{"code":"NOT_FOUND"}}]}`)
		case strings.Contains(string(b), "events"):
			_, _ = io.WriteString(w, `{"data":{"order":{"id":"o1","status":"CONFIRMED","version":1,"createdAt":"t1","events":[{"from":null,"at":"t1","version":1}]}}}`)
		default:
			_, _ = io.WriteString(w, `{"data":{"order":{"number":"100042"}}}`)
		}
	}))
	t.Cleanup(orders.Close)
	sdl, err := compose.Compose([]compose.Subgraph{{Name: "orders", URL: "http://orders.invalid", SDL: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { order(id: ID!): Order }
type Subscription { orderStatusChanged(orderId: ID!): OrderStatusEvent! }
type OrderStatusEvent { order: Order! status: String! previousStatus: String version: Int! occurredAt: String! }
type Order @key(fields: "id") { id: ID! number: String! status: String! version: Int! createdAt: String! events: [OrderEvent!]! }
type OrderEvent { from: String at: String! version: Int! }`}})
	if err != nil {
		t.Fatal(err)
	}
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
	publish(`{"orderId":"o1","userId":"usr_ada","to":"CONFIRMED","version":1,"at":"t1"}`)                     // not news
	publish(`{"orderId":"o1","userId":"usr_grace","from":"CONFIRMED","to":"CANCELED","version":9,"at":"t9"}`) // not hers
	publish(`{"orderId":"o1","userId":"usr_ada","from":"CONFIRMED","to":"PROCESSING","version":2,"at":"t2"}`)
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
