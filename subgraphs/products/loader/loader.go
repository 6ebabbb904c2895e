// Package loader batches the products subgraph's reads per request: a level
// of N products, reviews or authors costs one SQL statement, whatever N is.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/subgraphs/platform/errs"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// Store is what the loaders read from.
type Store interface {
	ProductsByIDs(ctx context.Context, ids []string) ([]product.Product, error)
	ReviewPagesByProduct(ctx context.Context, reqs []product.PageRequest) ([]product.ReviewPage, error)
	ReviewPagesByAuthor(ctx context.Context, reqs []product.PageRequest) ([]product.ReviewPage, error)
}

// Loaders are one request's dataloaders.
type Loaders struct {
	ProductByID      *dataloader.Loader[string, product.Product]
	ReviewsByProduct *dataloader.Loader[product.PageRequest, product.ReviewPage]
	ReviewsByAuthor  *dataloader.Loader[product.PageRequest, product.ReviewPage]
}

// New returns fresh loaders over store that gather keys for wait.
func New(store Store, wait time.Duration) *Loaders {
	return &Loaders{
		ProductByID: dataloader.NewBatchedLoader(productsByIDs(store),
			dataloader.WithWait[string, product.Product](wait)),
		ReviewsByProduct: dataloader.NewBatchedLoader(pages(store.ReviewPagesByProduct),
			dataloader.WithWait[product.PageRequest, product.ReviewPage](wait)),
		ReviewsByAuthor: dataloader.NewBatchedLoader(pages(store.ReviewPagesByAuthor),
			dataloader.WithWait[product.PageRequest, product.ReviewPage](wait)),
	}
}

type ctxKey struct{}

// Middleware gives every request its own loaders, so nothing cached
// outlives the request.
func Middleware(store Store, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, New(store, wait))))
	})
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return ctx.Value(ctxKey{}).(*Loaders) }

func productsByIDs(store Store) dataloader.BatchFunc[string, product.Product] {
	return func(ctx context.Context, ids []string) []*dataloader.Result[product.Product] {
		ps, err := store.ProductsByIDs(ctx, ids)
		out := make([]*dataloader.Result[product.Product], len(ids))
		if err != nil {
			for i := range out {
				out[i] = &dataloader.Result[product.Product]{Error: err}
			}
			return out
		}
		byID := make(map[string]product.Product, len(ps))
		for _, p := range ps {
			byID[p.ID] = p
		}
		for i, id := range ids {
			if p, ok := byID[id]; ok {
				out[i] = &dataloader.Result[product.Product]{Data: p}
			} else {
				out[i] = &dataloader.Result[product.Product]{Error: errs.New(errs.NotFound, "product %s not found", id)}
			}
		}
		return out
	}
}

func pages(load func(context.Context, []product.PageRequest) ([]product.ReviewPage, error)) dataloader.BatchFunc[product.PageRequest, product.ReviewPage] {
	return func(ctx context.Context, reqs []product.PageRequest) []*dataloader.Result[product.ReviewPage] {
		ps, err := load(ctx, reqs)
		out := make([]*dataloader.Result[product.ReviewPage], len(reqs))
		for i := range out {
			if err != nil {
				out[i] = &dataloader.Result[product.ReviewPage]{Error: err}
			} else {
				out[i] = &dataloader.Result[product.ReviewPage]{Data: ps[i]}
			}
		}
		return out
	}
}
