// Package loader batches the products subgraph's reads per request: a level
// of N products, variants, categories, ratings or review pages costs one
// SQL statement, whatever N is.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// Loaders are one request's dataloaders. They are built for one viewer, so
// what a loader caches is what that viewer may see.
type Loaders struct {
	ProductByID       *dataloader.Loader[string, product.Product]
	VariantByID       *dataloader.Loader[string, product.Variant]
	VariantsByProduct *dataloader.Loader[string, []product.Variant]
	PricingByProduct  *dataloader.Loader[string, []product.Pricing]
	CategoryByID      *dataloader.Loader[string, product.Category]
	ChildrenByID      *dataloader.Loader[string, []product.Category]
	BrandByID         *dataloader.Loader[string, product.Brand]
	TypeByID          *dataloader.Loader[string, product.ProductType]
	AttributesByType  *dataloader.Loader[string, []product.Attribute]
	ValuesByProduct   *dataloader.Loader[string, []product.AttributeValue]
	RatingByProduct   *dataloader.Loader[string, product.Rating]
	ReviewsByProduct  *dataloader.Loader[product.PageRequest, product.ReviewPage]
	ReviewsByAuthor   *dataloader.Loader[product.PageRequest, product.ReviewPage]
	ImagesByProduct   *dataloader.Loader[string, []product.Image]
	Viewer            postgres.Viewer
}

// New returns fresh loaders over store for viewer that gather keys for wait.
func New(store *postgres.Store, v postgres.Viewer, wait time.Duration) *Loaders {
	return &Loaders{
		Viewer: v,
		ProductByID: newLoader(wait, one(func(ctx context.Context, ids []string) ([]product.Product, error) {
			return store.ProductsByIDs(ctx, v.Staff, ids)
		}, func(p product.Product) string { return p.ID }, "product")),
		VariantByID: newLoader(wait, one(func(ctx context.Context, ids []string) ([]product.Variant, error) {
			return store.VariantsByIDs(ctx, v.Staff, ids)
		}, func(x product.Variant) string { return x.ID }, "variant")),
		VariantsByProduct: newLoader(wait, many(store.VariantsByProducts, func(x product.Variant) string { return x.ProductID })),
		PricingByProduct:  newLoader(wait, many(store.PricingsByProducts, func(x product.Pricing) string { return x.ProductID })),
		CategoryByID:      newLoader(wait, one(store.CategoriesByIDs, func(c product.Category) string { return c.ID }, "category")),
		ChildrenByID:      newLoader(wait, many(store.CategoryChildren, func(c product.Category) string { return c.ParentID })),
		BrandByID:         newLoader(wait, one(store.BrandsByIDs, func(b product.Brand) string { return b.ID }, "brand")),
		TypeByID:          newLoader(wait, one(store.ProductTypes, func(t product.ProductType) string { return t.ID }, "product type")),
		AttributesByType:  newLoader(wait, attributesByType(store)),
		ValuesByProduct:   newLoader(wait, many(store.AttributeValuesByProducts, func(x product.AttributeValue) string { return x.ProductID })),
		RatingByProduct:   newLoader(wait, ratings(store)),
		ImagesByProduct:   newLoader(wait, many(store.ImagesByProducts, func(x product.Image) string { return x.ProductID })),
		ReviewsByProduct: newLoader(wait, pages(func(ctx context.Context, reqs []product.PageRequest) ([]product.ReviewPage, error) {
			return store.ReviewPagesByProduct(ctx, v, reqs)
		})),
		ReviewsByAuthor: newLoader(wait, pages(func(ctx context.Context, reqs []product.PageRequest) ([]product.ReviewPage, error) {
			return store.ReviewPagesByAuthor(ctx, v, reqs)
		})),
	}
}

func newLoader[K comparable, V any](wait time.Duration, f dataloader.BatchFunc[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(f, dataloader.WithWait[K, V](wait))
}

type ctxKey struct{}

// Middleware gives every request its own loaders for the request's viewer
// (read from the verified claims, so it runs after auth), so nothing cached
// outlives the request or crosses to another user.
func Middleware(store *postgres.Store, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := New(store, ViewerOf(r.Context()), wait)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, l)))
	})
}

// ViewerOf is who the request's claims say is asking.
func ViewerOf(ctx context.Context) postgres.Viewer {
	c := auth.FromContext(ctx)
	if c == nil {
		return postgres.Viewer{}
	}
	return postgres.Viewer{Staff: c.HasScope(product.ManageProducts), UserID: c.UserID()}
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return ctx.Value(ctxKey{}).(*Loaders) }
