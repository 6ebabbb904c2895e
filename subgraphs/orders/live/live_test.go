package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/orders/live"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
)

// TestHubFansOutWithoutWaiting: watchers of one order share one Redis
// subscription; a watcher that never reads loses its oldest changes and
// holds up nobody; the channel is left when its last watcher closes.
func TestHubFansOutWithoutWaiting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rdb, prefix := redistest.New(t)
	hub := live.NewHub(rdb, prefix, nil)
	t.Cleanup(func() { hub.Close() })
	pub := live.Publisher{Redis: rdb, Prefix: prefix}
	name := live.OrderChannel(prefix, "ord_1")

	fast, err := hub.Watch(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	stuck, err := hub.Watch(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := hub.Watch(ctx, live.UserChannel(prefix, "usr_1"))
	if err != nil {
		t.Fatal(err)
	}
	if n := hub.Channels(); n != 2 {
		t.Fatalf("channels %d", n)
	}
	if n, _ := rdb.PubSubNumSub(ctx, name).Result(); n[name] != 1 {
		t.Fatalf("redis subscribers of the order's channel: %d, want 1", n[name])
	}

	const events = live.SubscriberBuffer * 3
	for v := 1; v <= events; v++ {
		pub.Publish(ctx, live.Change{OrderID: "ord_1", UserID: "usr_1", To: "PROCESSING", Version: v})
		select {
		case c := <-fast.C:
			if c.Version != v {
				t.Fatalf("fast watcher got version %d, want %d", c.Version, v)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("fast watcher stalled at version %d", v)
		}
	}
	// The user channel's copy of the last change comes after the order
	// channel's (one publish pipeline, one reader in order): once it is
	// here, the hub has handed the last change to the stuck watcher too,
	// which the fast watcher's receipt alone does not promise.
	var last live.Change
	for last.Version != events {
		select {
		case last = <-mine.C:
		case <-time.After(5 * time.Second):
			t.Fatalf("user channel: last %+v", last)
		}
	}
	if last.OrderID != "ord_1" {
		t.Fatalf("user channel: last %+v", last)
	}
	// The stuck watcher kept the newest changes, in order.
	var got []int
	for len(stuck.C) > 0 {
		got = append(got, (<-stuck.C).Version)
	}
	if len(got) != live.SubscriberBuffer || got[len(got)-1] != events || got[0] != events-live.SubscriberBuffer+1 {
		t.Fatalf("stuck watcher kept %v", got)
	}

	fast.Close()
	stuck.Close()
	if _, ok := <-fast.C; ok {
		t.Fatal("closed watch still open")
	}
	if n := hub.Channels(); n != 1 {
		t.Fatalf("channels after close %d", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, _ := rdb.PubSubNumSub(ctx, name).Result()
		if n[name] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still subscribed to a channel nobody watches")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mine.Close()
}
