package product

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// SortField orders a product search. ByID and ByPosition are internal: the
// catalog's default order and a collection's manual order.
type SortField string

// The sort fields.
const (
	ByRelevance SortField = "RELEVANCE"
	ByPrice     SortField = "PRICE"
	ByName      SortField = "NAME"
	ByCreatedAt SortField = "CREATED_AT"
	ByRating    SortField = "RATING"
	ByID        SortField = "ID"
	ByPosition  SortField = "POSITION"
)

// MaxSearchLen caps search text: longer input is an attack or a mistake,
// and trigram matching costs grow with it.
const MaxSearchLen = 200

// Search is a products query: filters, order and channel. Every filter
// that is set must hold.
type Search struct {
	Text         string // full-text plus typo-tolerant match; "" for none
	CategoryIDs  []string
	BrandIDs     []string
	PriceGTE     *int64 // minor units of the channel's currency
	PriceLTE     *int64
	Attributes   []AttributeFilter
	RatingGTE    *float64
	CollectionID string // "" for the whole catalog
	Channel      string
	Sort         SortField
	Desc         bool
	// Staff sees drafts and products published in the future.
	Staff bool `json:"-"`
}

// AttributeFilter matches products whose value of the attribute Slug is one
// of Values.
type AttributeFilter struct {
	Slug   string
	Values []string
}

// Fingerprint identifies the search's filters and order, so a cursor made
// for one search is refused by another.
func (s Search) Fingerprint() string {
	b, _ := json.Marshal(s) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}

// SortKey is a row's position in a search's order: the sort value in text
// form and the id that breaks ties, so equal values never duplicate or
// skip rows across pages.
type SortKey struct {
	Value string
	ID    string
}

// Found is one product of a search page with its sort key.
type Found struct {
	Product Product
	Key     SortKey
}

// SearchPage is one page of a search.
type SearchPage struct {
	Found   []Found
	HasNext bool
	// Total and Facets cover all matches; nil unless they were asked for.
	Total  *int
	Facets *Facets
}

// Facets are counts of a search's matches.
type Facets struct {
	Categories []FacetCount
	Brands     []FacetCount
	Attributes []AttributeFacet
	PriceBands []PriceBand
}

// FacetCount is how many matches have one category or brand.
type FacetCount struct {
	ID, Name string
	Count    int
}

// AttributeFacet counts matches per value of one attribute.
type AttributeFacet struct {
	Slug, Name string
	Values     []ValueCount
}

// ValueCount is how many matches have one value.
type ValueCount struct {
	Value string
	Count int
}

// PriceBand counts matches priced from GTE (minor units) up to, not
// including, LT; LT is nil for the top band.
type PriceBand struct {
	GTE   int64
	LT    *int64
	Count int
}

// PriceBandBounds are the lower bounds of the price bands, in major units
// of each currency: roughly the same bands for shoppers everywhere.
var PriceBandBounds = map[string][]int64{
	"USD": {0, 25, 50, 100, 250},
	"EUR": {0, 25, 50, 100, 250},
	"JPY": {0, 2500, 5000, 10000, 25000},
}
