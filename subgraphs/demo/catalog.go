package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Catalog is the demo catalog: the taxonomy, then ProductsPerScale×scale
// products with 2–5 variants each, prices in the three channels,
// attribute values and J-shaped reviews.
type Catalog struct {
	Categories  []Category
	Brands      []Brand
	Attributes  []Attribute
	Types       []ProductType
	Products    []Product
	Collections []Collection
	// Leaves are the leaf category ids per department, where products go.
	Leaves [][]string
}

// Category is a node of the category tree; Path is its materialized path
// ("/cat_001/cat_007/").
type Category struct {
	ID, ParentID, Name, Path string
	Position                 int
}

// Brand is a brand.
type Brand struct{ ID, Name string }

// Attribute is a typed product attribute; Kind is CHOICE, BOOLEAN, NUMBER
// or TEXT, and Choices lists a CHOICE's values.
type Attribute struct {
	ID, Slug, Name, Kind string
	Choices              []string
}

// ProductType is a department's product type with its attributes in
// display order.
type ProductType struct {
	ID, Name     string
	AttributeIDs []string
}

// Product is one product with everything that hangs off it.
type Product struct {
	ID, Name, Description string
	Number                int    // 1-based, the tail of its slug
	Status                string // PUBLISHED or DRAFT
	PublishedAt           *time.Time
	CreatedAt             time.Time
	CategoryID, BrandID   string
	TypeID                string
	BasePriceMinor        int64 // USD: the first variant's price
	Attributes            []AttributeValue
	Variants              []Variant
	Reviews               []Review
	HasImage              bool // one of the first DemoImages products
}

// AttributeValue is a product's value of one attribute.
type AttributeValue struct{ AttributeID, Value string }

// Variant is a purchasable variant; Prices has one entry per channel it is
// sold in.
type Variant struct {
	ID, ProductID, SKU, Name string
	Size, Colour             string
	WeightGrams, Position    int
	CreatedAt                time.Time
	Prices                   []Price
}

// Price is a variant's price in one channel.
type Price struct {
	Channel, Currency string
	AmountMinor       int64
}

// PriceIn is the variant's price in channel, if it is sold there.
func (v Variant) PriceIn(channel string) (Price, bool) {
	for _, p := range v.Prices {
		if p.Channel == channel {
			return p, true
		}
	}
	return Price{}, false
}

// Review is a customer's review; Status is VISIBLE or HIDDEN (moderated).
type Review struct {
	ID, AuthorID string
	Rating       int
	Title, Body  string
	Status       string
	At           time.Time
}

// Collection is a hand-picked list of products, in order.
type Collection struct {
	ID, Name   string
	ProductIDs []string
}

// Published tells whether shoppers can buy the product before t.
func (p Product) Published(t time.Time) bool {
	return p.Status == "PUBLISHED" && p.PublishedAt != nil && p.PublishedAt.Before(t)
}

// catalogEpoch is the demo catalog's day one: products are older than any
// order history, so their timestamps are the same every run.
var catalogEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// DemoImages is how many products (the first ones) have a demo image.
const DemoImages = 8

// reviewersPerUnit is how many customers of each unit of scale write that
// unit's reviews: the first ones, so the demo's first shopper has some.
const reviewersPerUnit = 24

func newCatalog(seed uint64, scale int) Catalog {
	c := Catalog{}
	c.taxonomy()
	rng := rand.New(rand.NewPCG(seed, 11))
	attrs := map[string]attributeDef{}
	for _, a := range attributeDefs {
		attrs[a.slug] = a
	}
	variant, review := 0, 0
	for i := 1; i <= ProductsPerScale*scale; i++ {
		variant, review = c.product(rng, attrs, i, variant, review)
	}
	c.collections()
	return c
}

// taxonomy: 6 departments × 3 sub-categories, with 2 third-level
// categories under the first sub-category of four of them: 30 in all.
func (c *Catalog) taxonomy() {
	for i, b := range brandNames {
		c.Brands = append(c.Brands, Brand{ID: fmt.Sprintf("brd_%03d", i+1), Name: b})
	}
	for i, a := range attributeDefs {
		c.Attributes = append(c.Attributes, Attribute{ID: fmt.Sprintf("atr_%03d", i+1), Slug: a.slug, Name: a.name, Kind: a.kind,
			Choices: append([]string{}, a.choices...)})
	}
	n := 0
	next := func(parent, parentPath, name string, pos int) (string, string) {
		n++
		id := fmt.Sprintf("cat_%03d", n)
		path := parentPath + id + "/"
		c.Categories = append(c.Categories, Category{ID: id, ParentID: parent, Name: name, Position: pos, Path: path})
		return id, path
	}
	for di, dep := range departments {
		t := ProductType{ID: fmt.Sprintf("pty_%03d", di+1), Name: dep.name}
		for _, slug := range dep.attributes {
			t.AttributeIDs = append(t.AttributeIDs, attributeID(slug))
		}
		c.Types = append(c.Types, t)
		root, rootPath := next("", "/", dep.name, di)
		var leaves []string
		for ci, child := range dep.children {
			id, path := next(root, rootPath, child, ci)
			if ci == 0 && len(dep.grandchildren) > 0 {
				for gi, g := range dep.grandchildren {
					gid, _ := next(id, path, g, gi)
					leaves = append(leaves, gid)
				}
				continue
			}
			leaves = append(leaves, id)
		}
		c.Leaves = append(c.Leaves, leaves)
	}
}

func attributeID(slug string) string {
	for i, a := range attributeDefs {
		if a.slug == slug {
			return fmt.Sprintf("atr_%03d", i+1)
		}
	}
	panic("demo: unknown attribute " + slug) // a typo in vocab.go, caught by any test
}

// product adds product i with its variants, prices, attribute values and
// reviews, and returns the last variant and review numbers used.
func (c *Catalog) product(rng *rand.Rand, attrs map[string]attributeDef, i, variant, review int) (int, int) {
	di := rng.IntN(len(departments))
	dep := departments[di]
	p := Product{ID: fmt.Sprintf("prd_%05d", i), Number: i, TypeID: fmt.Sprintf("pty_%03d", di+1), HasImage: i <= DemoImages}
	p.Name = adjectives[rng.IntN(len(adjectives))] + " " + dep.nouns[rng.IntN(len(dep.nouns))]
	p.CreatedAt = catalogEpoch.Add(time.Duration(i) * 37 * time.Minute)
	p.Status = "PUBLISHED"
	published := p.CreatedAt
	p.PublishedAt = &published
	switch {
	case i%33 == 0: // a few drafts
		p.Status, p.PublishedAt = "DRAFT", nil
	case i%97 == 0: // scheduled for later
		later := catalogEpoch.AddDate(10, 0, 0)
		p.PublishedAt = &later
	}
	p.BasePriceMinor = int64(500 + rng.IntN(300)*100 + 99) // 5.99 to 304.99
	leaves := c.Leaves[di]
	p.Description = blurbs[rng.IntN(len(blurbs))] + " This " + dep.nouns[rng.IntN(len(dep.nouns))] + " comes from our " + dep.name + " range."
	p.CategoryID = leaves[rng.IntN(len(leaves))]
	p.BrandID = fmt.Sprintf("brd_%03d", 1+rng.IntN(len(brandNames)))

	colours := attrs["colour"].choices
	colour := colours[rng.IntN(len(colours))]
	for _, slug := range dep.attributes {
		p.Attributes = append(p.Attributes, AttributeValue{AttributeID: attributeID(slug), Value: attributeValue(rng, attrs[slug], colour)})
	}
	for k, n := 0, 2+rng.IntN(4); k < n; k++ {
		variant++
		v := Variant{ID: VariantID(variant), ProductID: p.ID, SKU: fmt.Sprintf("SKU-%05d-%d", i, k+1), Colour: colour, Position: k,
			CreatedAt: p.CreatedAt}
		v.Size = sizes[(k+rng.IntN(2))%len(sizes)]
		v.Name = v.Size + " / " + colour
		v.WeightGrams = 100 + rng.IntN(2000)
		usd := p.BasePriceMinor + int64(k)*500
		v.Prices = append(v.Prices, Price{"default-usd", "USD", usd}, Price{"eu-eur", "EUR", usd*92/100/100*100 + 99})
		if i%31 != 0 { // a few products are not sold in Japan
			v.Prices = append(v.Prices, Price{"jp-jpy", "JPY", usd * 150 / 100 / 10 * 10})
		}
		p.Variants = append(p.Variants, v)
	}
	review = p.reviews(rng, review)
	c.Products = append(c.Products, p)
	return variant, review
}

// VariantID is the id of the i-th demo variant, 1-based.
func VariantID(i int) string { return fmt.Sprintf("var_%06d", i) }

func attributeValue(rng *rand.Rand, a attributeDef, colour string) string {
	switch {
	case a.slug == "colour":
		return colour
	case a.kind == "CHOICE":
		return a.choices[rng.IntN(len(a.choices))]
	case a.kind == "BOOLEAN":
		return strconv.FormatBool(rng.IntN(2) == 0)
	case a.kind == "NUMBER":
		return strconv.Itoa(1 + rng.IntN(40))
	default:
		return origins[rng.IntN(len(origins))]
	}
}

// reviews adds 0–12 reviews by distinct customers of the product's unit
// of scale, J-shaped: about 60% five stars; one in twenty is hidden by
// moderation.
func (p *Product) reviews(rng *rand.Rand, review int) int {
	unit := (p.Number - 1) / ProductsPerScale
	authors := rng.Perm(reviewersPerUnit)
	for _, a := range authors[:rng.IntN(13)] {
		review++
		rating := jShaped(rng.IntN(100))
		status := "VISIBLE"
		if rng.IntN(20) == 0 {
			status = "HIDDEN"
		}
		at := p.CreatedAt.Add(time.Duration(review%500) * time.Hour)
		p.Reviews = append(p.Reviews, Review{ID: fmt.Sprintf("rev_%05d", review), AuthorID: UserID(unit*CustomersPerScale + a + 1),
			Rating: rating, Title: titles[rng.IntN(len(titles))], Body: opinions[rng.IntN(len(opinions))], Status: status, At: at})
	}
	return review
}

func jShaped(p int) int {
	switch {
	case p < 60:
		return 5
	case p < 80:
		return 4
	case p < 88:
		return 3
	case p < 93:
		return 2
	default:
		return 1
	}
}

func (c *Catalog) collections() {
	for k, name := range []string{"Staff Picks", "Gift Ideas", "Best of Outdoor", "Desk Setup"} {
		col := Collection{ID: fmt.Sprintf("col_%03d", k+1), Name: name}
		for j := range 10 {
			// Spread over the catalog, in an order that is not id order.
			col.ProductIDs = append(col.ProductIDs, c.Products[(k*17+j*29+(9-j)*3)%len(c.Products)].ID)
		}
		c.Collections = append(c.Collections, col)
	}
}
