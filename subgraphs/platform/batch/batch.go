// Package batch is what every subgraph's loaders are made of: dataloaders
// that turn the reads of one level of a query (the variants of N products,
// the ledgers of N payments) into one store call, and the per-request
// plumbing that gives each request loaders of its own, so nothing cached
// outlives the request or crosses to another caller.
package batch

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/platform/errs"
)

// Loader is a dataloader that a parent can also Fill with a whole level's
// keys. A dataloader batches the keys that arrive within its wait; the
// field resolvers of one level ask from goroutines over time, and on a
// loaded machine (or while LoadMany adds its keys one by one) they miss the
// window and one level costs several statements. A parent that knows the
// level's keys fills the loader in one call of the batch function instead:
// one statement per level, whatever the load and the wait.
type Loader[K comparable, V any] struct {
	*dataloader.Loader[K, V]
	fetch dataloader.BatchFunc[K, V]
	cache *dataloader.InMemoryCache[K, V]
}

// New is a dataloader over f that gathers keys for wait.
func New[K comparable, V any](wait time.Duration, f dataloader.BatchFunc[K, V]) *Loader[K, V] {
	cache := dataloader.NewCache[K, V]()
	return &Loader[K, V]{
		Loader: dataloader.NewBatchedLoader(f, dataloader.WithWait[K, V](wait), dataloader.WithCache[K, V](cache)),
		fetch:  f, cache: cache,
	}
}

// Fill reads the keys not yet loaded in one call of the batch function and
// keeps each answer (an error too) for the Loads that follow.
func (l *Loader[K, V]) Fill(ctx context.Context, keys []K) {
	seen := make(map[K]bool, len(keys))
	var missing []K
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, ok := l.cache.Get(ctx, k); !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return
	}
	results := l.fetch(ctx, missing)
	for i, k := range missing {
		r := &dataloader.Result[V]{Error: fmt.Errorf("batch: no result for key %v", k)}
		if i < len(results) && results[i] != nil {
			r = results[i]
		}
		l.cache.Set(ctx, k, func() (V, error) { return r.Data, r.Error })
	}
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
