// Package batch is what every subgraph's loaders are made of: dataloaders
// that turn the reads of one level of a query (the variants of N products,
// the ledgers of N payments) into one store call, and the per-request
// plumbing that gives each request loaders of its own, so nothing cached
// outlives the request or crosses to another caller.
package batch

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/platform/errs"
)

// New is a dataloader over f that gathers keys for wait.
func New[K comparable, V any](wait time.Duration, f dataloader.BatchFunc[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(f, dataloader.WithWait[K, V](wait))
}

// One is a batch function over a store method that returns the rows with
// some of the keys asked: each key gets its row, or a NotFound error
// naming what (e.g. "product") and the key.
func One[V any](load func(context.Context, []string) ([]V, error), keyOf func(V) string, what string) dataloader.BatchFunc[string, V] {
	return func(ctx context.Context, keys []string) []*dataloader.Result[V] {
		rows, err := load(ctx, keys)
		by := make(map[string]V, len(rows))
		for _, r := range rows {
			by[keyOf(r)] = r
		}
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			r, ok := by[k]
			switch {
			case err != nil:
				out[i] = &dataloader.Result[V]{Error: err}
			case !ok:
				out[i] = &dataloader.Result[V]{Error: errs.New(errs.NotFound, "%s %s not found", what, k)}
			default:
				out[i] = &dataloader.Result[V]{Data: r}
			}
		}
		return out
	}
}

// Many is a batch function over a store method that returns the rows
// belonging to some keys (a product's variants, an order's lines), in the
// order the store gives them: each key gets its rows, perhaps none.
func Many[V any](load func(context.Context, []string) ([]V, error), keyOf func(V) string) dataloader.BatchFunc[string, []V] {
	return func(ctx context.Context, keys []string) []*dataloader.Result[[]V] {
		rows, err := load(ctx, keys)
		by := make(map[string][]V, len(keys))
		for _, r := range rows {
			by[keyOf(r)] = append(by[keyOf(r)], r)
		}
		out := make([]*dataloader.Result[[]V], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[[]V]{Data: by[k], Error: err}
		}
		return out
	}
}

// ctxKey is one key per loaders type: the loaders of two subgraphs in one
// process never collide.
type ctxKey[L any] struct{}

// Middleware gives every request the loaders newLoaders makes for it.
func Middleware[L any](newLoaders func(*http.Request) L, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(With(r.Context(), newLoaders(r))))
	})
}

// With returns ctx carrying l: a subscription gives each event fresh
// loaders, or it would serve the first event's rows for ever.
func With[L any](ctx context.Context, l L) context.Context {
	return context.WithValue(ctx, ctxKey[L]{}, l)
}

// For returns the loaders Middleware or With put in ctx. Their absence is
// a wiring bug (a handler served without Middleware), not bad input.
func For[L any](ctx context.Context) L {
	l, ok := ctx.Value(ctxKey[L]{}).(L)
	if !ok {
		panic("batch: no loaders in the context: serve the handler through batch.Middleware")
	}
	return l
}
