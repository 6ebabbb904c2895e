// Package loader batches the inventory subgraph's reads per request: the
// stock of any number of variants costs one SQL statement.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/subgraphs/inventory/stock"
)

// Store is what the loaders read from.
type Store interface {
	Levels(ctx context.Context, variantIDs []string) ([]stock.Level, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	LevelsByVariant *dataloader.Loader[string, []stock.Level]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{LevelsByVariant: dataloader.NewBatchedLoader(levels(store), dataloader.WithWait[string, []stock.Level](wait))}
}

type ctxKey struct{}

// Middleware gives every request its own loaders.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, New(store, wait))))
	})
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return ctx.Value(ctxKey{}).(*Loaders) }

func levels(store Store) dataloader.BatchFunc[string, []stock.Level] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[[]stock.Level] {
		ls, err := store.Levels(ctx, ids)
		byVariant := map[string][]stock.Level{}
		for _, l := range ls {
			byVariant[l.VariantID] = append(byVariant[l.VariantID], l)
		}
		out := make([]*dataloader.Result[[]stock.Level], len(ids))
		for i, id := range ids {
			out[i] = &dataloader.Result[[]stock.Level]{Data: byVariant[id], Error: err}
		}
		return out
	}
}
