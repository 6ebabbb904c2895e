// Package loader batches the products subgraph's reads per request: a level
// of N products, variants, categories, ratings or review pages costs one
// SQL statement, whatever N is.
package loader

import (
	"context"
	"net/http"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/batch"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// Loaders are one request's dataloaders. They are built for one viewer, so
// what a loader caches is what that viewer may see.
type Loaders struct {
	ProductByID       *batch.Loader[string, product.Product]
	VariantByID       *batch.Loader[string, product.Variant]
	VariantsByProduct *batch.Loader[string, []product.Variant]
	PricingByProduct  *batch.Loader[string, []product.Pricing]
	CategoryByID      *batch.Loader[string, product.Category]
	ChildrenByID      *batch.Loader[string, []product.Category]
	BrandByID         *batch.Loader[string, product.Brand]
	TypeByID          *batch.Loader[string, product.ProductType]
	AttributesByType  *batch.Loader[string, []product.Attribute]
	ValuesByProduct   *batch.Loader[string, []product.AttributeValue]
	RatingByProduct   *batch.Loader[string, product.Rating]
	ReviewsByProduct  *batch.Loader[product.PageRequest, product.ReviewPage]
	ReviewsByAuthor   *batch.Loader[product.PageRequest, product.ReviewPage]
	ImagesByProduct   *batch.Loader[string, []product.Image]
	Viewer            product.Viewer
}

// New returns fresh loaders over store for viewer that gather keys for wait.
func New(store *postgres.Store, v product.Viewer, wait time.Duration) *Loaders {
	return &Loaders{
		Viewer: v,
		ProductByID: batch.New(wait, batch.One(func(ctx context.Context, ids []string) ([]product.Product, error) {
			return store.ProductsByIDs(ctx, v.Staff, ids)
		}, func(p product.Product) string { return p.ID }, "product")),
		VariantByID: batch.New(wait, batch.One(func(ctx context.Context, ids []string) ([]product.Variant, error) {
			return store.VariantsByIDs(ctx, v.Staff, ids)
		}, func(x product.Variant) string { return x.ID }, "variant")),
		VariantsByProduct: batch.New(wait, batch.Many(func(ctx context.Context, ids []string) ([]product.Variant, error) {
			return store.VariantsByProducts(ctx, v.Staff, ids)
		}, func(x product.Variant) string { return x.ProductID })),
		PricingByProduct: batch.New(wait, batch.Many(store.PricingsByProducts, func(x product.Pricing) string { return x.ProductID })),
		CategoryByID:     batch.New(wait, batch.One(store.CategoriesByIDs, func(c product.Category) string { return c.ID }, "category")),
		ChildrenByID:     batch.New(wait, batch.Many(store.CategoryChildren, func(c product.Category) string { return c.ParentID })),
		BrandByID:        batch.New(wait, batch.One(store.BrandsByIDs, func(b product.Brand) string { return b.ID }, "brand")),
		TypeByID:         batch.New(wait, batch.One(store.ProductTypes, func(t product.ProductType) string { return t.ID }, "product type")),
		AttributesByType: batch.New(wait, attributesByType(store)),
		ValuesByProduct:  batch.New(wait, batch.Many(store.AttributeValuesByProducts, func(x product.AttributeValue) string { return x.ProductID })),
		RatingByProduct:  batch.New(wait, ratings(store)),
		ImagesByProduct:  batch.New(wait, batch.Many(store.ImagesByProducts, func(x product.Image) string { return x.ProductID })),
		ReviewsByProduct: batch.New(wait, pages(func(ctx context.Context, reqs []product.PageRequest) ([]product.ReviewPage, error) {
			return store.ReviewPagesByProduct(ctx, v, reqs)
		})),
		ReviewsByAuthor: batch.New(wait, pages(func(ctx context.Context, reqs []product.PageRequest) ([]product.ReviewPage, error) {
			return store.ReviewPagesByAuthor(ctx, v, reqs)
		})),
	}
}

// Middleware gives every request its own loaders for the request's viewer
// (read from the verified claims, so it runs after auth), so nothing cached
// outlives the request or crosses to another user.
func Middleware(store *postgres.Store, wait time.Duration, next http.Handler) http.Handler {
	return batch.Middleware(func(r *http.Request) *Loaders { return New(store, product.ViewerOf(r.Context()), wait) }, next)
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders { return batch.For[*Loaders](ctx) }
