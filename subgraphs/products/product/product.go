// Package product is the catalog domain: products and their reviews.
package product

import "github.com/myshop/supergraph/subgraphs/platform/money"

// Product is something for sale.
type Product struct {
	ID    string
	Name  string
	Price money.Money
}

// Review is a shopper's rating and words about a product.
type Review struct {
	ID        string
	ProductID string
	AuthorID  string
	Rating    int
	Body      string
}

// PageRequest asks for one page of a parent's list: up to First rows with
// ids after After ("" for the first page). It is comparable, so a loader can
// key on it.
type PageRequest struct {
	ParentID string
	After    string
	First    int
}

// ReviewPage is one page of reviews, oldest first.
type ReviewPage struct {
	Reviews []Review
	HasNext bool
}

// ProductPage is one page of the catalog.
type ProductPage struct {
	Products []Product
	HasNext  bool
}
