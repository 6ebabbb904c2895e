package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/server"
)

// subsSupergraph: "live" serves the subscription and Order.number; "pay"
// adds Order.paymentStatus, fetched per event.
func subsSupergraph(t testing.TB) string {
	t.Helper()
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "live", URL: "http://live.invalid", SDL: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { order(id: ID!): Order }
type Subscription { orderStatusChanged(orderId: ID!): OrderStatusEvent! }
type OrderStatusEvent { status: String! version: Int! order: Order! }
type Order @key(fields: "id") { id: ID! number: String! }`},
		{Name: "pay", URL: "http://pay.invalid", SDL: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Order @key(fields: "id") { id: ID! paymentStatus: String! }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sdl
}

type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// fakeLive is a subgraph serving subscriptions over graphql-transport-ws:
// every subscribe gets the events the test sends.
type fakeLive struct {
	*httptest.Server
	mu        sync.Mutex
	headers   []string // Authorization on each upgrade
	inits     []string // connection_init payloads
	queries   []string
	subs      map[string]*websocket.Conn // active subscriptions by id
	completed chan string                // ids the router completed
}

func newFakeLive(t *testing.T) *fakeLive {
	f := &fakeLive{subs: map[string]*websocket.Conn{}, completed: make(chan string, 16)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			return
		}
		defer conn.CloseNow()
		f.mu.Lock()
		f.headers = append(f.headers, r.Header.Get("Authorization"))
		f.mu.Unlock()
		ctx := context.Background()
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var m wsMsg
			_ = json.Unmarshal(b, &m)
			switch m.Type {
			case "connection_init":
				f.mu.Lock()
				f.inits = append(f.inits, string(m.Payload))
				f.mu.Unlock()
				_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"connection_ack"}`))
			case "ping":
				_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
			case "subscribe":
				var p struct{ Query string }
				_ = json.Unmarshal(m.Payload, &p)
				f.mu.Lock()
				f.queries = append(f.queries, p.Query)
				f.subs[m.ID] = conn
				f.mu.Unlock()
			case "complete":
				f.mu.Lock()
				delete(f.subs, m.ID)
				f.mu.Unlock()
				f.completed <- m.ID
			}
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// waitSubs waits until n upstream subscriptions are active.
func (f *fakeLive) waitSubs(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		f.mu.Lock()
		got := len(f.subs)
		f.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("want %d upstream subscriptions", n)
}

// send sends a next (payload) or, with typ "complete", a complete to every
// active subscription.
func (f *fakeLive) send(t *testing.T, typ, payload string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, c := range f.subs {
		m := wsMsg{ID: id, Type: typ}
		if payload != "" {
			m.Payload = json.RawMessage(payload)
		}
		b, _ := json.Marshal(m)
		if err := c.Write(context.Background(), websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		if typ == "complete" {
			delete(f.subs, id)
		}
	}
}

func event(status string, version int) string {
	return `{"data":{"orderStatusChanged":{"status":"` + status + `","version":` + jsonInt(version) + `,"order":{"__typename":"Order","id":"o1","number":"100042"}}}}`
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

type subsHarness struct {
	router *httptest.Server
	srv    *server.Server
	live   *fakeLive
	issuer *authtest.Issuer
}

func newSubsHarness(t *testing.T, opts ...func(*server.Config)) *subsHarness {
	h := &subsHarness{live: newFakeLive(t), issuer: authtest.New(t)}
	pay := newFakeSubgraph(t, func(req subgraphRequest) string {
		return `{"data":{"_entities":[{"__typename":"Order","paymentStatus":"PAID"}]}}`
	})
	opts = append([]func(*server.Config){func(c *server.Config) { c.Verifier = h.issuer.Verifier() }}, opts...)
	h.srv = newRouterFor(t, subsSupergraph(t), map[string]string{"live": h.live.URL, "pay": pay.URL}, opts...)
	h.router = httptest.NewServer(h.srv)
	t.Cleanup(h.router.Close)
	return h
}

type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func (h *subsHarness) dial(t *testing.T) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.router.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return &wsClient{t: t, conn: conn}
}

func (c *wsClient) send(raw string) {
	c.t.Helper()
	if err := c.conn.Write(context.Background(), websocket.MessageText, []byte(raw)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) read() wsMsg {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.conn.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m wsMsg
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatal(err)
	}
	return m
}

// closed reads until the connection closes and returns its close code.
func (c *wsClient) closed() websocket.StatusCode {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := c.conn.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func (c *wsClient) init(payload string) {
	c.t.Helper()
	c.send(`{"type":"connection_init","payload":` + payload + `}`)
	if m := c.read(); m.Type != "connection_ack" {
		c.t.Fatalf("want ack, got %+v", m)
	}
}

const subQuery = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status version order { number paymentStatus } } }`

func subscribeMsg(id string) string {
	b, _ := json.Marshal(map[string]any{"id": id, "type": "subscribe",
		"payload": map[string]any{"query": subQuery, "variables": map[string]any{"id": "o1"}}})
	return string(b)
}

// TestWebSocketSubscription: events from the subgraph's subscription reach
// the client in order, each completed with fields of another subgraph;
// the client's token reaches the subgraph on the upgrade and in
// connection_init; complete stops the upstream subscription.
func TestWebSocketSubscription(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t)
	token := h.issuer.Token("usr_ada")
	c := h.dial(t)
	c.init(`{"Authorization":"Bearer ` + token + `"}`)
	c.send(subscribeMsg("a"))
	h.live.waitSubs(t, 1)
	for i, status := range []string{"CONFIRMED", "PROCESSING", "SHIPPED"} {
		h.live.send(t, "next", event(status, i+1))
		m := c.read()
		want := `{"data":{"orderStatusChanged":{"status":"` + status + `","version":` + jsonInt(i+1) + `,"order":{"number":"100042","paymentStatus":"PAID"}}}}`
		if m.Type != "next" || m.ID != "a" || compact(t, string(m.Payload)) != compact(t, want) {
			t.Fatalf("event %d: %+v %s", i, m, m.Payload)
		}
	}
	h.live.mu.Lock()
	headers, inits, queries := h.live.headers, h.live.inits, h.live.queries
	h.live.mu.Unlock()
	if len(headers) != 1 || headers[0] != "Bearer "+token || !strings.Contains(inits[0], token) {
		t.Errorf("upstream auth: headers %q, init %q", headers, inits)
	}
	if !strings.Contains(queries[0], "orderStatusChanged") || strings.Contains(queries[0], "paymentStatus") {
		t.Errorf("upstream query %q", queries[0])
	}
	c.send(`{"id":"a","type":"complete"}`)
	select {
	case <-h.live.completed:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream subscription was not completed")
	}
	// ping → pong, and the connection lives on.
	c.send(`{"type":"ping"}`)
	if m := c.read(); m.Type != "pong" {
		t.Fatalf("ping: %+v", m)
	}
	// The subgraph completing ends the client's operation.
	c.send(subscribeMsg("b"))
	h.live.waitSubs(t, 1)
	h.live.send(t, "complete", "")
	if m := c.read(); m.Type != "complete" || m.ID != "b" {
		t.Fatalf("want complete for b, got %+v", m)
	}
	// Validation errors are an error message for the id; the connection stays.
	c.send(`{"id":"v","type":"subscribe","payload":{"query":"subscription { nope }"}}`)
	if m := c.read(); m.Type != "error" || m.ID != "v" || !strings.Contains(string(m.Payload), "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("invalid operation: %+v %s", m, m.Payload)
	}
	// Queries work on the socket too: one next, then complete.
	pay := `{"id":"q","type":"subscribe","payload":{"query":"{ __typename }"}}`
	c.send(pay)
	if m := c.read(); m.Type != "next" || compact(t, string(m.Payload)) != `{"data":{"__typename":"Query"}}` {
		t.Fatalf("query: %+v %s", m, m.Payload)
	}
	if m := c.read(); m.Type != "complete" || m.ID != "q" {
		t.Fatalf("query end: %+v", m)
	}
}

// TestWebSocketProtocolErrors: each breach of graphql-transport-ws closes
// the connection with the code the protocol gives it.
func TestWebSocketProtocolErrors(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t, settings(func(c *config.Config) { c.Subscriptions.InitTimeout = config.Duration(200 * time.Millisecond) }))
	cases := []struct {
		name string
		do   func(c *wsClient)
		want websocket.StatusCode
	}{
		{"no connection_init in time", func(c *wsClient) {}, 4408},
		{"second connection_init", func(c *wsClient) { c.init(`{}`); c.send(`{"type":"connection_init"}`) }, 4429},
		{"subscribe before ack", func(c *wsClient) { c.send(subscribeMsg("x")) }, 4401},
		{"duplicate id", func(c *wsClient) { c.init(`{}`); c.send(subscribeMsg("x")); c.send(subscribeMsg("x")) }, 4409},
		{"malformed message", func(c *wsClient) { c.init(`{}`); c.send(`{not json`) }, 4400},
		{"unknown type", func(c *wsClient) { c.init(`{}`); c.send(`{"type":"hello"}`) }, 4400},
		{"subscribe without id", func(c *wsClient) { c.init(`{}`); c.send(`{"type":"subscribe","payload":{"query":"{ __typename }"}}`) }, 4400},
		{"bad token", func(c *wsClient) { c.send(`{"type":"connection_init","payload":{"Authorization":"Bearer nope"}}`) }, 4403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(t)
			tc.do(c)
			if got := c.closed(); got != tc.want {
				t.Fatalf("close code %d, want %d", got, tc.want)
			}
		})
	}
}

// TestWebSocketLimitAndDrain: a connection runs at most
// subscriptions.max_per_connection operations; Drain closes sockets with 1001.
func TestWebSocketLimitAndDrain(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t, settings(func(c *config.Config) { c.Subscriptions.MaxPerConnection = 1 }))
	c := h.dial(t)
	c.init(`{}`)
	c.send(subscribeMsg("1"))
	c.send(subscribeMsg("2"))
	if m := c.read(); m.Type != "error" || m.ID != "2" || !strings.Contains(string(m.Payload), "SUBSCRIPTION_LIMIT_EXCEEDED") {
		t.Fatalf("over the limit: %+v %s", m, m.Payload)
	}
	h.live.waitSubs(t, 1)
	if n := h.srv.OpenStreams(); n != 1 {
		t.Fatalf("open streams %d", n)
	}
	h.srv.Drain()
	if got := c.closed(); got != websocket.StatusGoingAway {
		t.Fatalf("drain: close %d", got)
	}
	select { // the upstream subscription ends with the client's
	case <-h.live.completed:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream subscription outlived the drain")
	}
}

// TestSSESubscription: POST with Accept: text/event-stream streams "next"
// events and ends with "complete" when the subgraph completes.
func TestSSESubscription(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t)
	token := h.issuer.Token("usr_ada")
	b, _ := json.Marshal(map[string]any{"query": subQuery, "variables": map[string]any{"id": "o1"}})
	req, _ := http.NewRequest(http.MethodPost, h.router.URL+"/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	events := make(chan [2]string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var name, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data:"):
				data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			case line == "" && name != "":
				events <- [2]string{name, data}
				name, data = "", ""
			}
		}
	}()
	h.live.waitSubs(t, 1)
	h.live.send(t, "next", event("PROCESSING", 2))
	ev := <-events
	if ev[0] != "next" || compact(t, ev[1]) != compact(t, `{"data":{"orderStatusChanged":{"status":"PROCESSING","version":2,"order":{"number":"100042","paymentStatus":"PAID"}}}}`) {
		t.Fatalf("event %q", ev)
	}
	h.live.mu.Lock()
	auth := h.live.headers[0]
	h.live.mu.Unlock()
	if auth != "Bearer "+token {
		t.Errorf("upstream Authorization %q", auth)
	}
	h.live.send(t, "complete", "")
	if ev := <-events; ev[0] != "complete" {
		t.Fatalf("want complete, got %q", ev)
	}
	if _, ok := <-events; ok {
		t.Fatal("the stream did not end")
	}
	_, _ = io.Copy(io.Discard, res.Body)
}

// TestSubscriptionNeedsStreamingTransport: a plain POST of a subscription
// is refused with a hint.
func TestSubscriptionNeedsStreamingTransport(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t)
	r := post(t, h.srv, "application/graphql-response+json", `{"query":"subscription { orderStatusChanged(orderId: \"o1\") { status } }"}`)
	if r.status != 400 || !strings.Contains(r.body, "text/event-stream") {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

// TestEverySubscriptionHasItsOwnUpstream: two tabs of one user watching
// one order get an upstream subscription each (sharing the upstream
// connection), so each gets what the subgraph sends first: the current
// state.
func TestEverySubscriptionHasItsOwnUpstream(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t)
	token := h.issuer.Token("usr_ada")
	for _, id := range []string{"tab1", "tab2"} {
		c := h.dial(t)
		c.init(`{"Authorization":"Bearer ` + token + `"}`)
		c.send(subscribeMsg(id))
	}
	h.live.waitSubs(t, 2)
	h.live.mu.Lock()
	defer h.live.mu.Unlock()
	if len(h.live.headers) != 1 {
		t.Errorf("upstream connections %d, want 1 shared", len(h.live.headers))
	}
}

// TestSubscriptionQuotas (P24): a user's subscriptions are capped across
// connections, and a completed one frees its place.
func TestSubscriptionQuotas(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t, settings(func(c *config.Config) { c.Subscriptions.MaxPerUser = 1 }))
	token := h.issuer.Token("usr_ada")
	a, b := h.dial(t), h.dial(t)
	a.init(`{"Authorization":"Bearer ` + token + `"}`)
	b.init(`{"Authorization":"Bearer ` + token + `"}`)
	a.send(subscribeMsg("1"))
	h.live.waitSubs(t, 1)
	b.send(subscribeMsg("2"))
	if m := b.read(); m.Type != "error" || m.ID != "2" || !strings.Contains(string(m.Payload), "SUBSCRIPTION_LIMIT_EXCEEDED") {
		t.Fatalf("second subscription of one user: %+v %s", m, m.Payload)
	}
	// Another user is not affected.
	c := h.dial(t)
	c.init(`{"Authorization":"Bearer ` + h.issuer.Token("usr_grace") + `"}`)
	c.send(subscribeMsg("3"))
	h.live.waitSubs(t, 2)
	// Completing the first frees the place.
	a.send(`{"id":"1","type":"complete"}`)
	select {
	case <-h.live.completed:
	case <-time.After(10 * time.Second):
		t.Fatal("the first subscription did not end upstream")
	}
	b.send(subscribeMsg("4"))
	h.live.waitSubs(t, 2) // grace's and the new one
}

// TestLegacyGraphQLWS: the older subscriptions-transport-ws protocol
// (subprotocol graphql-ws): start, data, stop.
func TestLegacyGraphQLWS(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.router.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if conn.Subprotocol() != "graphql-ws" {
		t.Fatalf("subprotocol %q", conn.Subprotocol())
	}
	c := &wsClient{t: t, conn: conn}
	c.send(`{"type":"connection_init","payload":{"Authorization":"Bearer ` + h.issuer.Token("usr_ada") + `"}}`)
	if m := c.read(); m.Type != "connection_ack" {
		t.Fatalf("ack: %+v", m)
	}
	if m := c.read(); m.Type != "ka" {
		t.Fatalf("keep-alive: %+v", m)
	}
	start := strings.Replace(subscribeMsg("a"), `"type":"subscribe"`, `"type":"start"`, 1)
	c.send(start)
	h.live.waitSubs(t, 1)
	h.live.send(t, "next", event("CONFIRMED", 1))
	if m := c.read(); m.Type != "data" || m.ID != "a" || !strings.Contains(string(m.Payload), `"CONFIRMED"`) {
		t.Fatalf("data: %+v %s", m, m.Payload)
	}
	c.send(`{"id":"a","type":"stop"}`)
	select {
	case <-h.live.completed:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not end the upstream subscription")
	}
}

// TestWebSocketPingsAndReload: the router pings an idle socket every
// ping_interval, and a new supergraph closes the sockets the old one
// served with 1012, so clients resubscribe against the new schema.
func TestWebSocketPingsAndReload(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t, func(c *server.Config) {
		set := devSettings()
		set.Subscriptions.PingInterval = config.Duration(20 * time.Millisecond)
		c.Settings = &set
	})
	c := h.dial(t)
	c.init(`{}`)
	for range 3 {
		if m := c.read(); m.Type != "ping" {
			t.Fatalf("want the router's ping, got %+v", m)
		}
		c.send(`{"type":"pong"}`)
	}
	c.send(subscribeMsg("a"))
	h.live.waitSubs(t, 1)
	if err := h.srv.Reload(subsSupergraph(t)); err != nil {
		t.Fatal(err)
	}
	if code := c.closed(); code != 1012 {
		t.Fatalf("after a reload: close %d, want 1012", code)
	}
}
