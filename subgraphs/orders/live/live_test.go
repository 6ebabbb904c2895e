package live_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/orders/live"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
)

// TestPublishShapesTheEvent: a change reaches its order's, its customer's
// and the staff feed's channels as the OrderStatusEvent the event graph
// declares (the order as its key alone); a guest's order has no customer
// channel.
func TestPublishShapesTheEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := redistest.New(t)
	ps := rdb.Subscribe(ctx, live.OrderChannel(prefix, "ord_1"), live.UserChannel(prefix, "usr_1"), live.AllChannel(prefix))
	t.Cleanup(func() { ps.Close() })
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	pub := live.Publisher{Redis: rdb, Prefix: prefix}
	pub.Publish(ctx, live.Change{OrderID: "ord_1", UserID: "usr_1", From: "CONFIRMED", To: "PROCESSING", Version: 2, At: at})
	pub.Publish(ctx, live.Change{OrderID: "ord_1", To: "CONFIRMED", Version: 1, At: at})

	got := map[string][]string{}
	for range 5 {
		m, err := ps.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got[m.Channel] = append(got[m.Channel], m.Payload)
	}
	want := `{"__typename":"OrderStatusEvent","order":{"__typename":"Order","id":"ord_1"},"status":"PROCESSING","previousStatus":"CONFIRMED","version":2,"occurredAt":"2026-12-07T10:00:00Z"}`
	if c := got[live.OrderChannel(prefix, "ord_1")]; len(c) != 2 || c[0] != want {
		t.Fatalf("order channel: %v", c)
	}
	if c := got[live.UserChannel(prefix, "usr_1")]; len(c) != 1 || c[0] != want {
		t.Fatalf("customer channel: %v", c)
	}
	var creation live.Event
	if c := got[live.AllChannel(prefix)]; len(c) != 2 || json.Unmarshal([]byte(c[1]), &creation) != nil || creation.PreviousStatus != nil || creation.Version != 1 {
		t.Fatalf("staff feed: %v", c)
	}
}
