package orders_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// withRedis gives the orders subgraph a Redis namespace of its own.
func withRedis(t *testing.T) func(*subgraph.Deps) {
	rdb, prefix := redistest.New(t)
	return func(d *subgraph.Deps) { d.Redis, d.RedisPrefix = rdb, prefix }
}

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient speaks graphql-transport-ws to a server.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialWS connects and, unless init is nil, sends connection_init with it
// and waits for the ack. header goes on the upgrade request.
func dialWS(t *testing.T, url string, header http.Header, init map[string]any) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, strings.Replace(url, "http", "ws", 1), &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &wsClient{t: t, conn: conn}
	if init != nil {
		c.send(wsMessage{Type: "connection_init", Payload: mustJSON(init)})
		if m := c.read(); m.Type != "connection_ack" {
			t.Fatalf("want connection_ack, got %+v", m)
		}
	}
	return c
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func (c *wsClient) send(m wsMessage) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, _ := json.Marshal(m)
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next message that is not a ping.
func (c *wsClient) read() wsMessage {
	c.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		_, b, err := c.conn.Read(ctx)
		cancel()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatalf("bad message %s: %v", b, err)
		}
		if m.Type == "ping" {
			c.send(wsMessage{Type: "pong"})
			continue
		}
		return m
	}
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	c.send(wsMessage{ID: id, Type: "subscribe", Payload: mustJSON(map[string]any{"query": query, "variables": vars})})
}

type statusEvent struct {
	Data struct {
		OrderStatusChanged struct {
			Status         string
			PreviousStatus *string
			Version        int
			OccurredAt     string
			Order          struct{ ID, Status, Number string }
		}
	}
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

func (c *wsClient) next(id string) statusEvent {
	c.t.Helper()
	m := c.read()
	if m.Type != "next" || m.ID != id {
		c.t.Fatalf("want next for %s, got %+v", id, m)
	}
	var ev statusEvent
	if err := json.Unmarshal(m.Payload, &ev); err != nil {
		c.t.Fatal(err)
	}
	return ev
}

const statusSubscription = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status previousStatus version occurredAt order { id status number } } }`

// TestOrderStatusSubscription: the customer sees the current state first,
// then each committed change in order, with the order as it is now; the
// token may come in connection_init or on the upgrade request; another
// shopper learns nothing, not even that the order exists.
func TestOrderStatusSubscription(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRedis(t))
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	e.receive(t, "var_000001", 5)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 1), testcard.Visa, "sub-1")
	if p.Order == nil || p.Order.Status != "CONFIRMED" {
		t.Fatalf("place: %+v", p)
	}
	id := p.Order.ID

	ada := dialWS(t, srv.URL+"/graphql", nil, map[string]any{"Authorization": "Bearer " + e.ada})
	ada.subscribe("1", statusSubscription, map[string]any{"id": id})
	first := ada.next("1").Data.OrderStatusChanged
	if first.Status != "CONFIRMED" || first.Version != 1 || first.PreviousStatus != nil || first.Order.ID != id || first.OccurredAt == "" {
		t.Fatalf("first event: %+v", first)
	}
	// The token on the upgrade request works too (what the router sends).
	staffWatch := dialWS(t, srv.URL+"/graphql", http.Header{"Authorization": {"Bearer " + e.staff}}, map[string]any{})
	staffWatch.subscribe("s", statusSubscription, map[string]any{"id": id})
	if ev := staffWatch.next("s").Data.OrderStatusChanged; ev.Version != 1 {
		t.Fatalf("staff first event: %+v", ev)
	}

	for i, status := range []string{"PROCESSING", "SHIPPED"} {
		if m := e.move(t, e.staff, id, status); len(m.Errors) > 0 {
			t.Fatalf("move: %+v", m.Errors)
		}
		for _, c := range []*wsClient{ada, staffWatch} {
			subID := map[*wsClient]string{ada: "1", staffWatch: "s"}[c]
			ev := c.next(subID).Data.OrderStatusChanged
			if ev.Status != status || ev.Version != 2+i || ev.Order.Status != status || ev.PreviousStatus == nil {
				t.Fatalf("event %d for %s: %+v", i, subID, ev)
			}
		}
	}

	// complete ends the stream; the connection lives on.
	ada.send(wsMessage{ID: "1", Type: "complete"})
	ada.send(wsMessage{Type: "ping"})
	m := ada.read()
	if m.Type == "complete" && m.ID == "1" { // gqlgen confirms it
		m = ada.read()
	}
	if m.Type != "pong" {
		t.Fatalf("after complete: %+v", m)
	}

	bob := dialWS(t, srv.URL+"/graphql", nil, map[string]any{"Authorization": "Bearer " + e.bob})
	bob.subscribe("b", statusSubscription, map[string]any{"id": id})
	ev := bob.next("b")
	if len(ev.Errors) == 0 || ev.Errors[0].Extensions["code"] != "NOT_FOUND" || ev.Data.OrderStatusChanged.Status != "" {
		t.Fatalf("bob: %+v", ev)
	}
	if m := bob.read(); m.Type != "complete" {
		t.Fatalf("bob after error: %+v", m)
	}

	// A bad token in connection_init refuses the connection.
	bad := dialWS(t, srv.URL+"/graphql", nil, nil)
	bad.send(wsMessage{Type: "connection_init", Payload: mustJSON(map[string]any{"Authorization": "Bearer nope"})})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []string
	for {
		_, b, err := bad.conn.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) == -1 {
				t.Fatalf("bad token: %v", err)
			}
			break
		}
		got = append(got, string(b))
	}
	if strings.Contains(strings.Join(got, ""), "connection_ack") {
		t.Fatalf("bad token acknowledged: %q", got)
	}
}

// TestMyOrderUpdates streams changes of the caller's orders only.
func TestMyOrderUpdates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withRedis(t))
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	e.receive(t, "var_000001", 5)

	ada := dialWS(t, srv.URL+"/graphql", nil, map[string]any{"Authorization": "Bearer " + e.ada})
	ada.subscribe("m", `subscription { myOrderUpdates { status version order { id } } }`, nil)
	// Give the subscription time to reach Redis: it has no first event.
	time.Sleep(300 * time.Millisecond)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 1), testcard.Visa, "mine-1")
	m := ada.read()
	if m.Type != "next" || !strings.Contains(string(m.Payload), `"status":"CONFIRMED","version":1,"order":{"id":"`+p.Order.ID+`"}`) {
		t.Fatalf("placed: %+v %s", m, m.Payload)
	}
	e.move(t, e.staff, p.Order.ID, "PROCESSING")
	if m := ada.read(); !strings.Contains(string(m.Payload), `"status":"PROCESSING","version":2`) {
		t.Fatalf("moved: %s", m.Payload)
	}
}
