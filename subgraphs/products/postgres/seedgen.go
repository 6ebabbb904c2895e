package postgres

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/demo"
	"github.com/myshop/supergraph/subgraphs/products/media"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// demoData is the generated catalog, table by table.
type demoData struct {
	categories, brands, attributes, types, typeAttrs table
	products, values, variants, prices, reviews      table
	collections, collectionProducts                  table
	images                                           table
	productIDs                                       []string
	leaves                                           [][]string // leaf category ids per department
}

func (d *demoData) tables() []table {
	return []table{d.categories, d.brands, d.attributes, d.types, d.typeAttrs, d.products, d.values,
		d.variants, d.prices, d.reviews, d.collections, d.collectionProducts, d.images}
}

// epoch is the demo catalog's day one, so timestamps are the same every run.
var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func generate(scale int) *demoData {
	d := &demoData{
		categories: table{name: "categories", cols: []string{"id", "parent_id", "name", "slug", "position", "path"}},
		brands:     table{name: "brands", cols: []string{"id", "name", "slug"}},
		attributes: table{name: "attributes", cols: []string{"id", "slug", "name", "kind", "choices"}},
		types:      table{name: "product_types", cols: []string{"id", "name"}},
		typeAttrs:  table{name: "product_type_attributes", cols: []string{"product_type_id", "attribute_id", "position"}},
		products: table{name: "products", cols: []string{"id", "name", "slug", "description", "status", "published_at",
			"created_at", "category_id", "brand_id", "product_type_id", "price_minor", "currency"}},
		values:             table{name: "product_attribute_values", cols: []string{"product_id", "attribute_id", "value"}},
		variants:           table{name: "product_variants", cols: []string{"id", "product_id", "sku", "name", "options", "weight_grams", "position", "created_at"}},
		prices:             table{name: "variant_prices", cols: []string{"variant_id", "channel", "amount_minor", "currency"}},
		reviews:            table{name: "reviews", cols: []string{"id", "product_id", "author_id", "rating", "title", "body", "status", "created_at", "updated_at"}},
		collections:        table{name: "collections", cols: []string{"id", "name", "slug"}},
		collectionProducts: table{name: "collection_products", cols: []string{"collection_id", "product_id", "position"}},
		images: table{name: "product_images", cols: []string{"id", "product_id", "object_key", "content_type", "width", "height",
			"size_bytes", "alt", "position", "thumbnails", "created_at"}},
	}
	d.taxonomy()
	rng := rand.New(rand.NewPCG(2026, 11))
	attrs := map[string]attributeDef{}
	for _, a := range attributeDefs {
		attrs[a.slug] = a
	}
	variant, review := 0, 0
	for i := 1; i <= DemoProducts*scale; i++ {
		variant, review = d.product(rng, attrs, i, variant, review)
	}
	d.demoCollections()
	return d
}

// taxonomy: 6 departments × 3 sub-categories, with 2 third-level
// categories under the first sub-category of four of them: 30 in all.
func (d *demoData) taxonomy() {
	for i, b := range brandNames {
		d.brands.rows = append(d.brands.rows, []any{fmt.Sprintf("brd_%03d", i+1), b, product.Slugify(b)})
	}
	for i, a := range attributeDefs {
		choices := a.choices
		if choices == nil {
			choices = []string{}
		}
		d.attributes.rows = append(d.attributes.rows, []any{fmt.Sprintf("atr_%03d", i+1), a.slug, a.name, a.kind, choices})
	}
	n := 0
	next := func(parent, parentPath, name string, pos int) (string, string) {
		n++
		id := fmt.Sprintf("cat_%03d", n)
		path := parentPath + id + "/"
		var p any
		if parent != "" {
			p = parent
		}
		d.categories.rows = append(d.categories.rows, []any{id, p, name, product.Slugify(name), int32(pos), path})
		return id, path
	}
	for di, dep := range departments {
		typeID := fmt.Sprintf("pty_%03d", di+1)
		d.types.rows = append(d.types.rows, []any{typeID, dep.name})
		for ai, slug := range dep.attributes {
			d.typeAttrs.rows = append(d.typeAttrs.rows, []any{typeID, attributeID(slug), int32(ai)})
		}
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
		d.leaves = append(d.leaves, leaves)
	}
}

func attributeID(slug string) string {
	for i, a := range attributeDefs {
		if a.slug == slug {
			return fmt.Sprintf("atr_%03d", i+1)
		}
	}
	panic("seed: unknown attribute " + slug) // a typo in seeddata.go, caught by any test
}

// product writes product i with its variants, prices, attribute values and
// reviews, and returns the last variant and review numbers used.
func (d *demoData) product(rng *rand.Rand, attrs map[string]attributeDef, i, variant, review int) (int, int) {
	di := rng.IntN(len(departments))
	dep := departments[di]
	id := fmt.Sprintf("prd_%05d", i)
	name := adjectives[rng.IntN(len(adjectives))] + " " + dep.nouns[rng.IntN(len(dep.nouns))]
	created := epoch.Add(time.Duration(i) * 37 * time.Minute)
	status, published := "PUBLISHED", any(created)
	switch {
	case i%33 == 0: // a few drafts
		status, published = "DRAFT", nil
	case i%97 == 0: // scheduled for later
		published = epoch.AddDate(10, 0, 0)
	}
	base := int64(500 + rng.IntN(300)*100 + 99) // 5.99 to 304.99
	leaves := d.leaves[di]
	desc := blurbs[rng.IntN(len(blurbs))] + " This " + dep.nouns[rng.IntN(len(dep.nouns))] + " comes from our " + dep.name + " range."
	d.productIDs = append(d.productIDs, id)
	d.products.rows = append(d.products.rows, []any{id, name, product.Slugify(name) + "-" + strconv.Itoa(i), desc, status, published,
		created, leaves[rng.IntN(len(leaves))], fmt.Sprintf("brd_%03d", 1+rng.IntN(len(brandNames))),
		fmt.Sprintf("pty_%03d", di+1), base, "USD"})
	if i <= DemoImages {
		d.demoImage(id, name, created)
	}

	colours := attrs["colour"].choices
	colour := colours[rng.IntN(len(colours))]
	for _, slug := range dep.attributes {
		d.values.rows = append(d.values.rows, []any{id, attributeID(slug), attributeValue(rng, attrs[slug], colour)})
	}
	for k, n := 0, 2+rng.IntN(4); k < n; k++ {
		variant++
		vid := fmt.Sprintf("var_%06d", variant)
		size := sizes[(k+rng.IntN(2))%len(sizes)]
		opts, _ := json.Marshal([]product.Option{{Name: "Size", Value: size}, {Name: "Colour", Value: colour}})
		d.variants.rows = append(d.variants.rows, []any{vid, id, fmt.Sprintf("SKU-%05d-%d", i, k+1), size + " / " + colour,
			opts, int32(100 + rng.IntN(2000)), int32(k), created})
		usd := base + int64(k)*500
		d.prices.rows = append(d.prices.rows, []any{vid, "default-usd", usd, "USD"})
		d.prices.rows = append(d.prices.rows, []any{vid, "eu-eur", usd*92/100/100*100 + 99, "EUR"})
		if i%31 != 0 { // a few products are not sold in Japan
			d.prices.rows = append(d.prices.rows, []any{vid, "jp-jpy", usd * 150 / 100 / 10 * 10, "JPY"})
		}
	}
	return variant, d.productReviews(rng, id, created, review)
}

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

// productReviews writes 0–12 reviews by distinct demo users, J-shaped:
// about 60% five stars; one in twenty is hidden by moderation.
func (d *demoData) productReviews(rng *rand.Rand, productID string, created time.Time, review int) int {
	authors := rng.Perm(demo.Users)
	for _, a := range authors[:rng.IntN(13)] {
		review++
		rating := jShaped(rng.IntN(100))
		status := "VISIBLE"
		if rng.IntN(20) == 0 {
			status = "HIDDEN"
		}
		at := created.Add(time.Duration(review%500) * time.Hour)
		d.reviews.rows = append(d.reviews.rows, []any{fmt.Sprintf("rev_%05d", review), productID, demo.UserID(a + 1),
			int32(rating), titles[rng.IntN(len(titles))], opinions[rng.IntN(len(opinions))], status, at, at})
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

func (d *demoData) demoCollections() {
	for c, name := range []string{"Staff Picks", "Gift Ideas", "Best of Outdoor", "Desk Setup"} {
		id := fmt.Sprintf("col_%03d", c+1)
		d.collections.rows = append(d.collections.rows, []any{id, name, product.Slugify(name)})
		for k := range 10 {
			// Spread over the catalog, in an order that is not id order.
			pid := d.productIDs[(c*17+k*29+(9-k)*3)%len(d.productIDs)]
			d.collectionProducts.rows = append(d.collectionProducts.rows, []any{id, pid, int32(k)})
		}
	}
}

// DemoImages is how many products (the first ones) get a demo image.
const DemoImages = 8

// demoImage gives a product its generated picture. The rows are written
// here; the files are rendered by the media package when first requested
// (the seed has no storage), the same bytes every time.
func (d *demoData) demoImage(id, name string, created time.Time) {
	key := media.DemoKey(id, 0)
	data, ct, _ := media.DemoObject(key)
	var thumbs []product.Thumbnail
	for _, size := range media.ThumbnailSizes {
		w, h := media.DemoThumbnailDims(size)
		thumbs = append(thumbs, product.Thumbnail{Size: size, Key: media.DemoKey(id, size), Width: w, Height: h, ContentType: "image/jpeg"})
	}
	tj, _ := json.Marshal(thumbs)
	d.images.rows = append(d.images.rows, []any{"img_" + id[len("prd_"):], id, key, ct, int32(media.DemoWidth), int32(media.DemoHeight),
		int64(len(data)), name, int32(0), tj, created})
}
