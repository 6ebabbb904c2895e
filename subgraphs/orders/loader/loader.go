// Package loader batches the orders subgraph's reads per request: the
// lines (or events) of N orders cost one SQL statement.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/batch"
)

// Store is what the loaders read from.
type Store interface {
	OrdersByIDs(ctx context.Context, ids []string) ([]order.Order, error)
	LinesByOrders(ctx context.Context, orderIDs []string) ([]order.Line, error)
	EventsByOrders(ctx context.Context, orderIDs []string) ([]order.Event, error)
	FulfillmentsByOrders(ctx context.Context, orderIDs []string) ([]order.Fulfillment, error)
	order.ShippingReader
}

// Loaders are one request's dataloaders. A resolver that knows a level's
// orders (a page of a list, the orders of an _entities call) fills the
// loaders the operation will ask for, so that level costs one statement
// whatever the load (batch.Loader.Fill).
type Loaders struct {
	OrderByID *batch.Loader[string, order.Order]
	Lines     *batch.Loader[string, []order.Line]
	Events    *batch.Loader[string, []order.Event]
	// Fulfillments are each order's fulfilments, oldest first.
	Fulfillments *batch.Loader[string, []order.Fulfillment]
	// Shipping is the shipping table, under the key "": read once however
	// many orders describe their methods.
	Shipping *batch.Loader[string, order.ShippingTable]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{
		OrderByID:    batch.New(wait, batch.One(store.OrdersByIDs, func(o order.Order) string { return o.ID }, "order")),
		Lines:        batch.New(wait, batch.Many(store.LinesByOrders, func(l order.Line) string { return l.OrderID })),
		Events:       batch.New(wait, batch.Many(store.EventsByOrders, func(e order.Event) string { return e.OrderID })),
		Fulfillments: batch.New(wait, batch.Many(store.FulfillmentsByOrders, func(f order.Fulfillment) string { return f.OrderID })),
		Shipping: batch.New(wait, func(ctx context.Context, keys []string) []*dataloader.Result[order.ShippingTable] {
			t, err := order.LoadShippingTable(ctx, store)
			out := make([]*dataloader.Result[order.ShippingTable], len(keys))
			for i := range keys {
				out[i] = &dataloader.Result[order.ShippingTable]{Data: t, Error: err}
			}
			return out
		}),
	}
}

// Middleware gives every request its own loaders.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return batch.Middleware(func(*http.Request) *Loaders { return New(store, wait) }, next)
}

// With returns ctx carrying l: a subscription gives each event fresh
// loaders, or it would serve the first event's order for ever.
func With(ctx context.Context, l *Loaders) context.Context { return batch.With(ctx, l) }

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return batch.For[*Loaders](ctx) }
