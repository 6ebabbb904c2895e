// Package product is the catalog domain: products, variants, prices per
// channel, the category tree, brands, attributes, collections and reviews,
// with the rules that do not need a database.
package product

import (
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// ManageProducts is the scope staff need to change the catalog, see drafts
// and moderate reviews.
const ManageProducts = "MANAGE_PRODUCTS"

// Status says whether shoppers may see a product.
type Status string

// The product statuses.
const (
	Draft     Status = "DRAFT"
	Published Status = "PUBLISHED"
	// Archived is no longer sold: found by id, in no list or search, and
	// unpriced for shoppers.
	Archived Status = "ARCHIVED"
)

// Product is something for sale. Price is the default channel's price of
// its cheapest variant, or its base price when no variant is priced there.
type Product struct {
	ID            string
	Name          string
	Slug          string
	Description   string
	Status        Status
	PublishedAt   *time.Time
	CreatedAt     time.Time
	Price         money.Money
	CategoryID    string // "" when none
	BrandID       string // "" when none
	ProductTypeID string // "" when none
}

// Variant is one buyable version of a product.
type Variant struct {
	ID          string
	ProductID   string
	SKU         string
	Name        string
	Options     []Option
	WeightGrams int
	Prices      []ChannelPrice
}

// PriceIn is the variant's price in channel, if it is sold there.
func (v Variant) PriceIn(channel string) (money.Money, bool) {
	for _, p := range v.Prices {
		if p.Channel == channel {
			return p.Price, true
		}
	}
	return money.Money{}, false
}

// Option is one option value of a variant, such as Size: M.
type Option struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ChannelPrice is a price in one channel.
type ChannelPrice struct {
	Channel string
	Price   money.Money
}

// Pricing is a product's price range in one channel.
type Pricing struct {
	ProductID string
	Channel   string
	From, To  money.Money
}

// Brand makes products.
type Brand struct {
	ID, Name, Slug string
}

// ProductType says which attributes its products have.
type ProductType struct {
	ID, Name string
}

// AttributeKind is the type of an attribute's values.
type AttributeKind string

// The attribute kinds.
const (
	Text    AttributeKind = "TEXT"
	Number  AttributeKind = "NUMBER"
	Boolean AttributeKind = "BOOLEAN"
	Choice  AttributeKind = "CHOICE"
)

// Attribute is a typed property of products.
type Attribute struct {
	ID, Slug, Name string
	Kind           AttributeKind
	Choices        []string
}

// AttributeValue is a product's value of one attribute, in text form.
type AttributeValue struct {
	ProductID string
	Attribute Attribute
	Value     string
}

// Collection is a hand-picked ordered list of products.
type Collection struct {
	ID, Name, Slug string
}

// PageRequest asks for one page of a parent's list: up to First rows with
// ids after After ("" for the first page). It is comparable, so a loader can
// key on it.
type PageRequest struct {
	ParentID string
	After    string
	First    int
}
