// Package live publishes committed order status changes for the router's
// event source: the orders event graph (schema/orders/events) declares that
// orderStatusChanged, myOrderUpdates and orderEvents are fed by these
// channels, and each message is the subscription's OrderStatusEvent as
// GraphQL shapes it, with the order as its key alone; the router fetches
// whatever else a client selects from this subgraph.
//
// Delivery is at most once, on purpose: pub/sub has no replay. Order status
// is state, not a log: every event carries the order's version, the
// router starts each order subscription from Order.statusHistory and fills
// a Redis outage's gap from it, and subscribers drop what is not newer. The
// outbox (order.status_changed) stays the durable path for consumers that
// must see every change.
package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Change is one committed status change.
type Change struct {
	OrderID string
	UserID  string // "" for a guest's order
	From    string // "" for the order's creation
	To      string
	Version int
	At      time.Time
}

// Event is a change as the subscription's OrderStatusEvent: what the
// channels carry and what Order.statusHistory lists.
type Event struct {
	Typename       string  `json:"__typename"`
	Order          OrderID `json:"order"`
	Status         string  `json:"status"`
	PreviousStatus *string `json:"previousStatus"`
	Version        int     `json:"version"`
	OccurredAt     string  `json:"occurredAt"` // RFC 3339
}

// OrderID is the order as an event carries it: its key.
type OrderID struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
}

// EventOf shapes a change as its event.
func EventOf(c Change) Event {
	ev := Event{Typename: "OrderStatusEvent", Order: OrderID{Typename: "Order", ID: c.OrderID}, Status: c.To,
		Version: c.Version, OccurredAt: c.At.UTC().Format(time.RFC3339Nano)}
	if c.From != "" {
		from := c.From
		ev.PreviousStatus = &from
	}
	return ev
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

// Publish sends c to its order's, its customer's and the staff feed's
// channels. Failures are logged, never returned: the change is committed,
// and subscribers converge on their next event or resubscription.
func (p Publisher) Publish(ctx context.Context, c Change) {
	if p.Redis == nil {
		return
	}
	b, err := json.Marshal(EventOf(c))
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
