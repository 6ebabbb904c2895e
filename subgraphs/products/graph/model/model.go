// Package model holds the products subgraph's GraphQL types; gqlgen writes
// the ones not declared here into models_gen.go. A field missing from a
// struct here is resolved by a resolver, through a loader.
package model

import (
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// Product is the GraphQL Product; pricing, category, brand, productType,
// attributes, variants, rating and reviews have resolvers.
type Product struct {
	ID            string
	Name          string
	Slug          string
	Description   string
	Status        ProductStatus
	PublishedAt   *time.Time
	CreatedAt     time.Time
	Price         money.Money
	CategoryID    string
	BrandID       string
	ProductTypeID string
}

// ProductVariant is the GraphQL ProductVariant; price, prices and product
// have resolvers over the domain variant it carries.
type ProductVariant struct {
	ID          string
	SKU         string
	Name        string
	Options     []*VariantOption
	WeightGrams int
	Variant     product.Variant
}

// Category is the GraphQL Category; parent, children and ancestors have
// resolvers.
type Category struct {
	ID       string
	Name     string
	Slug     string
	Position int
	Category product.Category
}

// ProductType is the GraphQL ProductType; attributes has a resolver.
type ProductType struct {
	ID   string
	Name string
}

// Collection is the GraphQL Collection; products has a resolver.
type Collection struct {
	ID   string
	Name string
	Slug string
}

// ProductConnection is a page of a search; totalCount and facets have
// resolvers that run the search's count and facet queries only when asked.
type ProductConnection struct {
	Edges    []*ProductEdge
	PageInfo *PageInfo
	Search   product.Search
	// KnownTotal and KnownFacets were computed with the page when the query
	// selected them; nil means the field resolvers query for them.
	KnownTotal  *int
	KnownFacets *product.Facets
}

// Review is the GraphQL Review; author and product have resolvers.
type Review struct {
	ID           string
	Rating       int
	Title        string
	Body         string
	Status       ReviewStatus
	HelpfulCount int
	CreatedAt    time.Time
	AuthorID     string
	ProductID    string
}

// User is the products subgraph's part of User: its reviews.
type User struct {
	ID string
}

// IsEntity marks the federation entities, as gqlgen's generated models do.
func (Product) IsEntity() {}

// IsEntity marks ProductVariant as a federation entity.
func (ProductVariant) IsEntity() {}

// IsEntity marks Review as a federation entity.
func (Review) IsEntity() {}

// IsEntity marks User as a federation entity.
func (User) IsEntity() {}
