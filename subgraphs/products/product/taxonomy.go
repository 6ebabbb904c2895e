package product

import (
	"context"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// TaxonomyStore is what the taxonomy's use cases read and write:
// categories, brands, collections, attributes and product types.
type TaxonomyStore interface {
	RootCategories(ctx context.Context) ([]Category, error)
	CreateCategory(ctx context.Context, name, slug, parentID string) (Category, error)
	MoveCategory(ctx context.Context, id, parentID string, position *int) (Category, error)
	UpdateCategory(ctx context.Context, id string, name, slug *string) (Category, error)
	DeleteCategory(ctx context.Context, id string) error
	Brands(ctx context.Context, after string, first int) ([]Brand, error)
	CreateBrand(ctx context.Context, name, slug string) (Brand, error)
	UpdateBrand(ctx context.Context, id string, name, slug *string) (Brand, error)
	DeleteBrand(ctx context.Context, id string) error
	CollectionByID(ctx context.Context, id string) (Collection, bool, error)
	CreateCollection(ctx context.Context, name, slug string) (Collection, error)
	UpdateCollection(ctx context.Context, id string, name, slug *string) (Collection, error)
	DeleteCollection(ctx context.Context, id string) error
	AddCollectionProducts(ctx context.Context, id string, productIDs []string, position *int) (Collection, error)
	RemoveCollectionProducts(ctx context.Context, id string, productIDs []string) (Collection, error)
	CreateAttribute(ctx context.Context, a Attribute) (Attribute, error)
	UpdateAttribute(ctx context.Context, id string, name, slug *string, choices []string) (Attribute, error)
	DeleteAttribute(ctx context.Context, id string) error
	ProductTypes(ctx context.Context, ids []string) ([]ProductType, error)
	CreateProductType(ctx context.Context, name string, attributeIDs []string) (ProductType, error)
	UpdateProductType(ctx context.Context, id, name string) (ProductType, error)
	DeleteProductType(ctx context.Context, id string) error
	AssignAttributes(ctx context.Context, typeID string, attributeIDs []string) (ProductType, error)
	UnassignAttributes(ctx context.Context, typeID string, attributeIDs []string) (ProductType, error)
}

// Taxonomy is how the catalog is organised: everyone reads it, staff
// change it.
type Taxonomy struct{ store TaxonomyStore }

// NewTaxonomy returns the taxonomy service.
func NewTaxonomy(store TaxonomyStore) *Taxonomy { return &Taxonomy{store: store} }

// RootCategories are the categories without a parent.
func (t *Taxonomy) RootCategories(ctx context.Context) ([]Category, error) {
	return t.store.RootCategories(ctx)
}

// Brands are up to first+1 brands after the brand id after ("" for the
// start), so the caller can tell whether there is a next page.
func (t *Taxonomy) Brands(ctx context.Context, after string, first int) ([]Brand, error) {
	return t.store.Brands(ctx, after, first)
}

// Collection is the collection id, ok false when there is none.
func (t *Taxonomy) Collection(ctx context.Context, id string) (Collection, bool, error) {
	return t.store.CollectionByID(ctx, id)
}

// ProductTypes are every product type.
func (t *Taxonomy) ProductTypes(ctx context.Context) ([]ProductType, error) {
	return t.store.ProductTypes(ctx, nil)
}

// CreateCategory adds a category under parentID ("" for a root); staff only.
func (t *Taxonomy) CreateCategory(ctx context.Context, name string, slug *string, parentID string) (Category, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Category{}, err
	}
	s, err := NameAndSlug(name, slug)
	if err != nil {
		return Category{}, err
	}
	return t.store.CreateCategory(ctx, name, s, parentID)
}

// MoveCategory moves a category under parentID ("" for the root) at
// position; staff only.
func (t *Taxonomy) MoveCategory(ctx context.Context, id, parentID string, position *int) (Category, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Category{}, err
	}
	return t.store.MoveCategory(ctx, id, parentID, position)
}

// UpdateCategory renames a category or changes its slug; staff only.
func (t *Taxonomy) UpdateCategory(ctx context.Context, id string, name, slug *string) (Category, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Category{}, err
	}
	if err := OptionalNameAndSlug(name, slug); err != nil {
		return Category{}, err
	}
	return t.store.UpdateCategory(ctx, id, name, slug)
}

// DeleteCategory removes a category without subcategories or products;
// staff only.
func (t *Taxonomy) DeleteCategory(ctx context.Context, id string) error {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return err
	}
	return t.store.DeleteCategory(ctx, id)
}

// UpdateBrand renames a brand or changes its slug; staff only.
func (t *Taxonomy) UpdateBrand(ctx context.Context, id string, name, slug *string) (Brand, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Brand{}, err
	}
	if err := OptionalNameAndSlug(name, slug); err != nil {
		return Brand{}, err
	}
	return t.store.UpdateBrand(ctx, id, name, slug)
}

// DeleteBrand removes a brand no product has; staff only.
func (t *Taxonomy) DeleteBrand(ctx context.Context, id string) error {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return err
	}
	return t.store.DeleteBrand(ctx, id)
}

// CreateBrand adds a brand; staff only.
func (t *Taxonomy) CreateBrand(ctx context.Context, name string, slug *string) (Brand, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Brand{}, err
	}
	s, err := NameAndSlug(name, slug)
	if err != nil {
		return Brand{}, err
	}
	return t.store.CreateBrand(ctx, name, s)
}

// CreateCollection adds a collection; staff only.
func (t *Taxonomy) CreateCollection(ctx context.Context, name string, slug *string) (Collection, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Collection{}, err
	}
	s, err := NameAndSlug(name, slug)
	if err != nil {
		return Collection{}, err
	}
	return t.store.CreateCollection(ctx, name, s)
}

// UpdateCollection renames a collection or changes its slug; staff only.
func (t *Taxonomy) UpdateCollection(ctx context.Context, id string, name, slug *string) (Collection, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Collection{}, err
	}
	if err := OptionalNameAndSlug(name, slug); err != nil {
		return Collection{}, err
	}
	return t.store.UpdateCollection(ctx, id, name, slug)
}

// DeleteCollection removes a collection; staff only.
func (t *Taxonomy) DeleteCollection(ctx context.Context, id string) error {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return err
	}
	return t.store.DeleteCollection(ctx, id)
}

// AddCollectionProducts puts products into a collection at position (the
// end when nil); staff only.
func (t *Taxonomy) AddCollectionProducts(ctx context.Context, id string, productIDs []string, position *int) (Collection, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Collection{}, err
	}
	if err := CheckIDList("productIds", productIDs); err != nil {
		return Collection{}, err
	}
	return t.store.AddCollectionProducts(ctx, id, productIDs, position)
}

// RemoveCollectionProducts takes products out of a collection; staff only.
func (t *Taxonomy) RemoveCollectionProducts(ctx context.Context, id string, productIDs []string) (Collection, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Collection{}, err
	}
	if err := CheckIDList("productIds", productIDs); err != nil {
		return Collection{}, err
	}
	return t.store.RemoveCollectionProducts(ctx, id, productIDs)
}

// CreateAttribute adds an attribute; staff only.
func (t *Taxonomy) CreateAttribute(ctx context.Context, name string, slug *string, kind AttributeKind, choices []string) (Attribute, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Attribute{}, err
	}
	s, err := NameAndSlug(name, slug)
	if err != nil {
		return Attribute{}, err
	}
	if err := CheckAttribute([]string{"input"}, kind, choices); err != nil {
		return Attribute{}, err
	}
	return t.store.CreateAttribute(ctx, Attribute{Name: name, Slug: s, Kind: kind, Choices: choices})
}

// UpdateAttribute changes what is set of an attribute; staff only.
func (t *Taxonomy) UpdateAttribute(ctx context.Context, id string, name, slug *string, choices []string) (Attribute, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return Attribute{}, err
	}
	if err := OptionalNameAndSlug(name, slug); err != nil {
		return Attribute{}, err
	}
	return t.store.UpdateAttribute(ctx, id, name, slug, choices)
}

// DeleteAttribute removes an attribute; staff only.
func (t *Taxonomy) DeleteAttribute(ctx context.Context, id string) error {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return err
	}
	return t.store.DeleteAttribute(ctx, id)
}

// CreateProductType adds a product type with attributes; staff only.
func (t *Taxonomy) CreateProductType(ctx context.Context, name string, attributeIDs []string) (ProductType, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return ProductType{}, err
	}
	if err := RequiredName(name); err != nil {
		return ProductType{}, err
	}
	if err := CheckIDList("attributeIds", attributeIDs); err != nil {
		return ProductType{}, err
	}
	return t.store.CreateProductType(ctx, name, attributeIDs)
}

// UpdateProductType renames a product type; with no name it answers the
// type as it is. Staff only.
func (t *Taxonomy) UpdateProductType(ctx context.Context, id string, name *string) (ProductType, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return ProductType{}, err
	}
	if name != nil {
		if err := RequiredName(*name); err != nil {
			return ProductType{}, err
		}
		return t.store.UpdateProductType(ctx, id, *name)
	}
	ts, err := t.store.ProductTypes(ctx, []string{id})
	if err != nil {
		return ProductType{}, err
	}
	if len(ts) == 0 {
		return ProductType{}, errs.Problemf([]string{"id"}, NotFound, "no product type %s", id)
	}
	return ts[0], nil
}

// DeleteProductType removes a product type; staff only.
func (t *Taxonomy) DeleteProductType(ctx context.Context, id string) error {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return err
	}
	return t.store.DeleteProductType(ctx, id)
}

// AssignAttributes adds attributes to a product type; staff only.
func (t *Taxonomy) AssignAttributes(ctx context.Context, typeID string, attributeIDs []string) (ProductType, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return ProductType{}, err
	}
	if err := CheckIDList("attributeIds", attributeIDs); err != nil {
		return ProductType{}, err
	}
	return t.store.AssignAttributes(ctx, typeID, attributeIDs)
}

// UnassignAttributes takes attributes off a product type; staff only.
func (t *Taxonomy) UnassignAttributes(ctx context.Context, typeID string, attributeIDs []string) (ProductType, error) {
	if _, err := auth.Require(ctx, ManageProducts); err != nil {
		return ProductType{}, err
	}
	if err := CheckIDList("attributeIds", attributeIDs); err != nil {
		return ProductType{}, err
	}
	return t.store.UnassignAttributes(ctx, typeID, attributeIDs)
}
