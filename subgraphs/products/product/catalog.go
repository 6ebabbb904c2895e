package product

import (
	"context"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// CatalogStore is what the catalog's use cases read and write: products,
// their variants and prices, and searches over them.
type CatalogStore interface {
	ProductsByIDs(ctx context.Context, staff bool, ids []string) ([]Product, error)
	ProductBySlug(ctx context.Context, staff bool, slug string) (Product, error)
	VariantsByIDs(ctx context.Context, staff bool, ids []string) ([]Variant, error)
	CreateProduct(ctx context.Context, in NewProduct) (Product, error)
	UpdateProduct(ctx context.Context, id string, u ProductUpdate) (Product, error)
	SetAttributeValues(ctx context.Context, productID string, values []AttributeInput, remove []string) (Product, error)
	CreateVariant(ctx context.Context, in NewVariant) (Variant, error)
	UpdateVariant(ctx context.Context, id string, u VariantUpdate) (Variant, error)
	ArchiveProduct(ctx context.Context, id string) (Product, error)
	DeleteProduct(ctx context.Context, id string) error
	DeleteVariant(ctx context.Context, id string) error
	SetVariantPrice(ctx context.Context, variantID, channel string, minor *int64) (Variant, error)
	SearchAll(ctx context.Context, in Search, after *SortKey, first int, want Want) (SearchPage, error)
	SearchCount(ctx context.Context, in Search) (int, error)
	SearchFacets(ctx context.Context, in Search) (Facets, error)
}

// Want says which of a search's aggregates the caller will read, so they
// are computed in the statement that finds the page: one pass over the
// matches instead of one per aggregate.
type Want struct{ Count, Facets bool }

// Catalog is the product use cases: everyone reads what is published,
// staff read everything and change it.
type Catalog struct {
	store CatalogStore
	now   func() time.Time
}

// NewCatalog returns the catalog service.
func NewCatalog(store CatalogStore) *Catalog {
	return &Catalog{store: store, now: func() time.Time { return time.Now().UTC() }}
}

// Products are the products of ids the caller may see, in no order.
func (c *Catalog) Products(ctx context.Context, ids []string) ([]Product, error) {
	return c.store.ProductsByIDs(ctx, ViewerOf(ctx).Staff, ids)
}

// ProductBySlug is the product with slug, a NotFound problem when the
// caller may not see it or there is none.
func (c *Catalog) ProductBySlug(ctx context.Context, slug string) (Product, error) {
	return c.store.ProductBySlug(ctx, ViewerOf(ctx).Staff, slug)
}

// Variants are the variants of ids the caller may see, in no order.
func (c *Catalog) Variants(ctx context.Context, ids []string) ([]Variant, error) {
	return c.store.VariantsByIDs(ctx, ViewerOf(ctx).Staff, ids)
}

// Search is one page of s as the caller may see it; s.Staff is set here,
// whatever the caller put there.
func (c *Catalog) Search(ctx context.Context, s Search, after *SortKey, first int, want Want) (SearchPage, Search, error) {
	s.Staff = ViewerOf(ctx).Staff
	page, err := c.store.SearchAll(ctx, s, after, first, want)
	return page, s, err
}

// SearchCount counts the matches of a search Search returned.
func (c *Catalog) SearchCount(ctx context.Context, s Search) (int, error) {
	return c.store.SearchCount(ctx, s)
}

// SearchFacets are the facets of a search Search returned.
func (c *Catalog) SearchFacets(ctx context.Context, s Search) (Facets, error) {
	return c.store.SearchFacets(ctx, s)
}

// CreateProduct adds a product; staff only.
func (c *Catalog) CreateProduct(ctx context.Context, in NewProduct) (Product, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Product{}, err
	}
	if err := in.Normalize(c.now()); err != nil {
		return Product{}, err
	}
	return c.store.CreateProduct(ctx, in)
}

// UpdateProduct changes what u sets; staff only.
func (c *Catalog) UpdateProduct(ctx context.Context, id string, u ProductUpdate) (Product, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Product{}, err
	}
	if err := u.Check(); err != nil {
		return Product{}, err
	}
	return c.store.UpdateProduct(ctx, id, u)
}

// SetAttributeValues sets and removes a product's attribute values; staff only.
func (c *Catalog) SetAttributeValues(ctx context.Context, productID string, values []AttributeInput, remove []string) (Product, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Product{}, err
	}
	if len(values)+len(remove) > MaxIDList {
		return Product{}, errs.Problemf([]string{"values"}, Invalid, "at most %d values and removals at once", MaxIDList)
	}
	return c.store.SetAttributeValues(ctx, productID, values, remove)
}

// CreateVariant adds a variant to a product; staff only.
func (c *Catalog) CreateVariant(ctx context.Context, in NewVariant) (Variant, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Variant{}, err
	}
	if err := in.Check(); err != nil {
		return Variant{}, err
	}
	return c.store.CreateVariant(ctx, in)
}

// UpdateVariant changes what u sets of a variant; staff only.
func (c *Catalog) UpdateVariant(ctx context.Context, id string, u VariantUpdate) (Variant, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Variant{}, err
	}
	if err := u.Check(); err != nil {
		return Variant{}, err
	}
	return c.store.UpdateVariant(ctx, id, u)
}

// SetVariantPrice sets a variant's price in a channel, or removes it when
// amount is nil; staff only.
func (c *Catalog) SetVariantPrice(ctx context.Context, variantID, channel string, amount *string) (Variant, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Variant{}, err
	}
	minor, err := ChannelAmount([]string{"amount"}, channel, amount)
	if err != nil {
		return Variant{}, err
	}
	return c.store.SetVariantPrice(ctx, variantID, channel, minor)
}

// ArchiveProduct stops selling a product: shoppers no longer see it or its
// variants, so a cart holding one prices it as not sold; staff only.
func (c *Catalog) ArchiveProduct(ctx context.Context, id string) (Product, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Product{}, err
	}
	return c.store.ArchiveProduct(ctx, id)
}

// DeleteProduct removes a product that was never published (IN_USE
// otherwise: archive it); staff only.
func (c *Catalog) DeleteProduct(ctx context.Context, id string) error {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return err
	}
	return c.store.DeleteProduct(ctx, id)
}

// DeleteVariant removes a variant of a product that was never published
// (IN_USE otherwise); staff only.
func (c *Catalog) DeleteVariant(ctx context.Context, id string) error {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return err
	}
	return c.store.DeleteVariant(ctx, id)
}
