// Package loader batches the orders subgraph's reads per request: the
// lines (or events) of N orders cost one SQL statement.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/errs"
)

// Store is what the loaders read from.
type Store interface {
	OrdersByIDs(ctx context.Context, ids []string) ([]order.Order, error)
	LinesByOrders(ctx context.Context, orderIDs []string) ([]order.Line, error)
	EventsByOrders(ctx context.Context, orderIDs []string) ([]order.Event, error)
	FulfillmentsByOrders(ctx context.Context, orderIDs []string) ([]order.Fulfillment, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	OrderByID *dataloader.Loader[string, order.Order]
	Lines     *dataloader.Loader[string, []order.Line]
	Events    *dataloader.Loader[string, []order.Event]
	// Fulfillments are each order's fulfilments, oldest first.
	Fulfillments *dataloader.Loader[string, []order.Fulfillment]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{
		OrderByID: dataloader.NewBatchedLoader(ordersByIDs(store), dataloader.WithWait[string, order.Order](wait)),
		Lines: dataloader.NewBatchedLoader(grouped(store.LinesByOrders, func(l order.Line) string { return l.OrderID }),
			dataloader.WithWait[string, []order.Line](wait)),
		Events: dataloader.NewBatchedLoader(grouped(store.EventsByOrders, func(e order.Event) string { return e.OrderID }),
			dataloader.WithWait[string, []order.Event](wait)),
		Fulfillments: dataloader.NewBatchedLoader(grouped(store.FulfillmentsByOrders, func(f order.Fulfillment) string { return f.OrderID }),
			dataloader.WithWait[string, []order.Fulfillment](wait)),
	}
}

type ctxKey struct{}

// Middleware gives every request its own loaders.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, New(store, wait))))
	})
}

// With returns ctx carrying l: a subscription gives each event fresh
// loaders, or it would serve the first event's order for ever.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return ctx.Value(ctxKey{}).(*Loaders) }

func ordersByIDs(store Store) dataloader.BatchFunc[string, order.Order] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[order.Order] {
		os, err := store.OrdersByIDs(ctx, ids)
		byID := make(map[string]order.Order, len(os))
		for _, o := range os {
			byID[o.ID] = o
		}
		out := make([]*dataloader.Result[order.Order], len(ids))
		for i, id := range ids {
			o, ok := byID[id]
			switch {
			case err != nil:
				out[i] = &dataloader.Result[order.Order]{Error: err}
			case !ok:
				out[i] = &dataloader.Result[order.Order]{Error: errs.New(errs.NotFound, "order %s not found", id)}
			default:
				out[i] = &dataloader.Result[order.Order]{Data: o}
			}
		}
		return out
	}
}

// grouped batches a "rows of these parents" read and hands each parent its rows.
func grouped[T any](read func(context.Context, []string) ([]T, error), parent func(T) string) dataloader.BatchFunc[string, []T] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[[]T] {
		rows, err := read(ctx, ids)
		by := map[string][]T{}
		for _, r := range rows {
			by[parent(r)] = append(by[parent(r)], r)
		}
		out := make([]*dataloader.Result[[]T], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[[]T]{Data: by[id], Error: err}
		}
		return out
	}
}
