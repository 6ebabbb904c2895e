// Package loader batches the inventory subgraph's reads per request: the
// stock of any number of variants costs one SQL statement.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/myshop/supergraph/subgraphs/inventory/stock"
	"github.com/myshop/supergraph/subgraphs/platform/batch"
)

// Store is what the loaders read from.
type Store interface {
	Levels(ctx context.Context, variantIDs []string) ([]stock.Level, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	LevelsByVariant *batch.Loader[string, []stock.Level]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{LevelsByVariant: batch.New(wait, batch.Many(store.Levels, func(l stock.Level) string { return l.VariantID }))}
}

// Middleware gives every request its own loaders.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return batch.Middleware(func(*http.Request) *Loaders { return New(store, wait) }, next)
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return batch.For[*Loaders](ctx) }
