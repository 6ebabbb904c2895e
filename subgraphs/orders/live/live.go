// Package live carries committed order status changes to the orders
// subgraph's subscribers: the store publishes each change to Redis pub/sub
// right after its transaction commits, and every subgraph process holds one
// Redis connection on which it subscribes to the channels its clients
// watch, fanning each message out in-process.
//
// Delivery is at most once, on purpose: pub/sub has no replay, a subscriber
// that falls behind loses its oldest events, and a process that starts
// watching after a change never sees it. Order status is state, not a log:
// every subscription starts from the order's current state, every event
// carries the order's version, and subscribers drop what is not newer, so
// they converge on the truth. The outbox (order.status_changed) stays the
// durable path for consumers that must see every change.
package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Change is one committed status change, as published.
type Change struct {
	OrderID string `json:"orderId"`
	UserID  string `json:"userId"`
	From    string `json:"from,omitempty"` // "" for the order's creation
	To      string `json:"to"`
	Version int    `json:"version"`
	At      string `json:"at"` // RFC 3339
}

// OrderChannel is the channel of one order's changes.
func OrderChannel(prefix, orderID string) string { return prefix + "order:" + orderID }

// UserChannel is the channel of all changes of one customer's orders.
func UserChannel(prefix, userID string) string { return prefix + "orders:user:" + userID }

// AllChannel carries every order's changes: the staff feed.
func AllChannel(prefix string) string { return prefix + "orders:all" }

// publishTimeout bounds a publish: the change is committed already, and a
// slow Redis must not hold up the request that made it.
const publishTimeout = 2 * time.Second

// Publisher announces committed changes. Its zero value (no Redis)
// announces nothing.
type Publisher struct {
	Redis  *redis.Client
	Prefix string
	Log    *slog.Logger
}

// Publish sends c to its order's, its customer's and the staff feed's channels. Failures are
// logged, never returned: the change is committed, and subscribers converge
// on their next event or resubscription.
func (p Publisher) Publish(ctx context.Context, c Change) {
	if p.Redis == nil {
		return
	}
	b, err := json.Marshal(c)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	pipe := p.Redis.Pipeline()
	pipe.Publish(ctx, OrderChannel(p.Prefix, c.OrderID), b)
	if c.UserID != "" {
		pipe.Publish(ctx, UserChannel(p.Prefix, c.UserID), b)
	}
	pipe.Publish(ctx, AllChannel(p.Prefix), b)
	if _, err := pipe.Exec(ctx); err != nil && p.Log != nil {
		p.Log.Warn("publish order status change", "order", c.OrderID, "version", c.Version, "err", err)
	}
}

// SubscriberBuffer is how many undelivered changes a subscriber may hold;
// when a new one arrives on a full buffer the oldest is dropped. Versions
// let the subscriber tell; the latest state is never the one dropped.
const SubscriberBuffer = 16

// subscribeTimeout bounds the wait for Redis to confirm a new channel.
const subscribeTimeout = 5 * time.Second

// Hub is one process's Redis subscription: one connection, subscribed to
// exactly the channels somebody watches, each message fanned out to that
// channel's watchers without ever waiting for one of them. Safe for
// concurrent use.
type Hub struct {
	rdb    *redis.Client
	prefix string
	log    *slog.Logger

	// subMu orders SUBSCRIBE and UNSUBSCRIBE commands, so a channel left
	// and watched again at once ends subscribed.
	subMu    sync.Mutex
	mu       sync.Mutex
	ps       *redis.PubSub
	channels map[string]*channel
}

type channel struct {
	ready    chan struct{} // closed once Redis confirmed the subscription
	watchers map[*Watch]struct{}
}

// NewHub returns a hub on rdb; it connects on the first Watch.
func NewHub(rdb *redis.Client, prefix string, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{rdb: rdb, prefix: prefix, log: log, channels: map[string]*channel{}}
}

// Prefix is the key prefix channels are named with.
func (h *Hub) Prefix() string { return h.prefix }

// Watch is one subscriber of one channel. C delivers changes in the order
// Redis delivered them; it is closed after Close.
type Watch struct {
	C       chan Change
	hub     *Hub
	name    string
	closeMu sync.Once
}

// Watch subscribes to a channel and returns once Redis has confirmed the
// subscription (or ctx ends), so a change committed after Watch returns is
// delivered: read the current state after Watch, not before. The caller
// must Close the watch.
func (h *Hub) Watch(ctx context.Context, name string) (*Watch, error) {
	w := &Watch{C: make(chan Change, SubscriberBuffer), hub: h, name: name}
	h.mu.Lock()
	if h.ps == nil {
		// An empty subscription: go-redis connects on the first channel
		// and re-subscribes every channel after a reconnect.
		h.ps = h.rdb.Subscribe(context.Background())
		go h.run(h.ps)
	}
	ch, ok := h.channels[name]
	if !ok {
		ch = &channel{ready: make(chan struct{}), watchers: map[*Watch]struct{}{}}
		h.channels[name] = ch
	}
	ch.watchers[w] = struct{}{}
	ps := h.ps
	h.mu.Unlock()
	if !ok {
		h.subMu.Lock()
		err := ps.Subscribe(ctx, name)
		h.subMu.Unlock()
		if err != nil {
			w.Close()
			return nil, err
		}
	}
	wait, cancel := context.WithTimeout(ctx, subscribeTimeout)
	defer cancel()
	select {
	case <-ch.ready:
		return w, nil
	case <-wait.Done():
		w.Close()
		return nil, wait.Err()
	}
}

// Close stops the watch and closes C. The hub leaves the channel when its
// last watcher closes.
func (w *Watch) Close() {
	w.closeMu.Do(func() {
		h := w.hub
		h.mu.Lock()
		ch := h.channels[w.name]
		if ch != nil {
			delete(ch.watchers, w)
		}
		last := ch != nil && len(ch.watchers) == 0
		if last {
			delete(h.channels, w.name)
		}
		ps := h.ps
		close(w.C) // under mu: the reader sends under mu too
		h.mu.Unlock()
		if !last || ps == nil {
			return
		}
		h.subMu.Lock()
		defer h.subMu.Unlock()
		h.mu.Lock()
		_, again := h.channels[w.name] // watched again meanwhile: stay subscribed
		h.mu.Unlock()
		if again {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), subscribeTimeout)
		defer cancel()
		if err := ps.Unsubscribe(ctx, w.name); err != nil {
			h.log.Warn("redis unsubscribe", "channel", w.name, "err", err)
		}
	})
}

// Channels is how many channels the hub is subscribed to.
func (h *Hub) Channels() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.channels)
}

// run reads the hub's connection and fans messages out. It never blocks on
// a watcher: a full buffer loses its oldest change.
func (h *Hub) run(ps *redis.PubSub) {
	for msg := range ps.ChannelWithSubscriptions(redis.WithChannelSize(1024)) {
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			h.mu.Lock()
			if ch := h.channels[m.Channel]; ch != nil {
				select {
				case <-ch.ready:
				default:
					close(ch.ready)
				}
			}
			h.mu.Unlock()
		case *redis.Message:
			var c Change
			if err := json.Unmarshal([]byte(m.Payload), &c); err != nil {
				h.log.Warn("bad order status message", "channel", m.Channel, "err", err)
				continue
			}
			h.mu.Lock()
			if ch := h.channels[m.Channel]; ch != nil {
				for w := range ch.watchers {
					deliver(w.C, c)
				}
			}
			h.mu.Unlock()
		}
	}
}

// deliver puts c on out, dropping the oldest undelivered change if out is
// full. Only the hub's reader sends, so after one drop there is room.
func deliver(out chan Change, c Change) {
	select {
	case out <- c:
		return
	default:
	}
	select {
	case <-out:
	default:
	}
	select {
	case out <- c:
	default:
	}
}

// Close ends the hub's Redis subscription.
func (h *Hub) Close() error {
	h.mu.Lock()
	ps := h.ps
	h.ps = nil
	h.mu.Unlock()
	if ps == nil {
		return nil
	}
	return ps.Close()
}
