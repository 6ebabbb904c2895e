package orders_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/myshop/supergraph/subgraphs/orders/live"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// withRedis gives the orders subgraph a Redis namespace of its own.
func withRedis(t *testing.T) func(*subgraph.Deps) {
	rdb, prefix := redistest.New(t)
	return func(d *subgraph.Deps) { d.Redis, d.RedisPrefix = rdb, prefix }
}

// historyQuery is what the router's event source asks when a subscriber
// opens orderStatusChanged: the order read as that subscriber, with its
// history in the events' own shape.
const historyQuery = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { __typename statusHistory {
  __typename order { __typename id } status previousStatus version occurredAt } } } }`

// TestStatusHistoryIsWhatIsPublished: each committed change is published
// to the order's channel as the event Order.statusHistory then lists last,
// byte for byte, so the router's first event and its gap filling agree
// with the live ones; another shopper reads no order, so the router opens
// no subscription for them.
func TestStatusHistoryIsWhatIsPublished(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := redistest.New(t)
	e := newEnv(t, func(d *subgraph.Deps) { d.Redis, d.RedisPrefix = rdb, prefix })
	e.receive(t, "var_000001", 5)
	p := e.place(t, e.ada, e.cart(t, e.ada, "var_000001", 1), testcard.Visa, "hist-1")
	if p.Order == nil || p.Order.Status != "CONFIRMED" {
		t.Fatalf("place: %+v", p)
	}
	id := p.Order.ID
	ps := rdb.Subscribe(ctx, live.OrderChannel(prefix, id))
	t.Cleanup(func() { ps.Close() })
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if m := e.move(t, e.staff, id, "PROCESSING"); len(m.Errors) > 0 {
		t.Fatalf("move: %+v", m.Errors)
	}
	msg, err := ps.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}

	reps := map[string]any{"r": []map[string]string{{"__typename": "Order", "id": id}}}
	var out struct {
		Entities []*struct {
			StatusHistory []json.RawMessage `json:"statusHistory"`
		} `json:"_entities"`
	}
	gqltest.Decode(t, gqltest.DoAs(t, e.h, e.ada, historyQuery, reps).Data, &out)
	if len(out.Entities) != 1 || out.Entities[0] == nil || len(out.Entities[0].StatusHistory) != 2 {
		t.Fatalf("ada's history: %+v", out)
	}
	h := out.Entities[0].StatusHistory
	if string(h[1]) != msg.Payload {
		t.Fatalf("history's newest\n %s\nthe published event\n %s", h[1], msg.Payload)
	}
	var first live.Event
	if json.Unmarshal(h[0], &first) != nil || first.Status != "CONFIRMED" || first.Version != 1 || first.PreviousStatus != nil {
		t.Fatalf("history's first: %s", h[0])
	}

	out.Entities = nil
	gqltest.Decode(t, gqltest.DoAs(t, e.h, e.bob, historyQuery, reps).Data, &out)
	if len(out.Entities) != 1 || out.Entities[0] != nil {
		t.Fatalf("bob read ada's order: %+v", out)
	}
}
