package postgres

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/products/media"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// demoData is the generated catalog, table by table.
type demoData struct {
	categories, brands, attributes, types, typeAttrs postgres.Table
	products, values, variants, prices, reviews      postgres.Table
	collections, collectionProducts                  postgres.Table
	images                                           postgres.Table
	productIDs                                       []string
}

func (d *demoData) tables() []postgres.Table {
	return []postgres.Table{d.categories, d.brands, d.attributes, d.types, d.typeAttrs, d.products, d.values,
		d.variants, d.prices, d.reviews, d.collections, d.collectionProducts, d.images}
}

// rows turns the demo world's catalog into this subgraph's rows.
func rows(w *demo.World) *demoData {
	d := &demoData{
		categories: postgres.Table{Name: "categories", Cols: []string{"id", "parent_id", "name", "slug", "position", "path"}},
		brands:     postgres.Table{Name: "brands", Cols: []string{"id", "name", "slug"}},
		attributes: postgres.Table{Name: "attributes", Cols: []string{"id", "slug", "name", "kind", "choices"}},
		types:      postgres.Table{Name: "product_types", Cols: []string{"id", "name"}},
		typeAttrs:  postgres.Table{Name: "product_type_attributes", Cols: []string{"product_type_id", "attribute_id", "position"}},
		products: postgres.Table{Name: "products", Cols: []string{"id", "name", "slug", "description", "status", "published_at",
			"created_at", "category_id", "brand_id", "product_type_id", "price_minor", "currency"}},
		values:             postgres.Table{Name: "product_attribute_values", Cols: []string{"product_id", "attribute_id", "value"}},
		variants:           postgres.Table{Name: "product_variants", Cols: []string{"id", "product_id", "sku", "name", "options", "weight_grams", "position", "created_at"}},
		prices:             postgres.Table{Name: "variant_prices", Cols: []string{"variant_id", "channel", "amount_minor", "currency"}},
		reviews:            postgres.Table{Name: "reviews", Cols: []string{"id", "product_id", "author_id", "rating", "title", "body", "status", "created_at", "updated_at"}},
		collections:        postgres.Table{Name: "collections", Cols: []string{"id", "name", "slug"}},
		collectionProducts: postgres.Table{Name: "collection_products", Cols: []string{"collection_id", "product_id", "position"}},
		images: postgres.Table{Name: "product_images", Cols: []string{"id", "product_id", "object_key", "content_type", "width", "height",
			"size_bytes", "alt", "position", "thumbnails", "created_at"}},
	}
	c := w.Catalog
	for _, b := range c.Brands {
		d.brands.Add(b.ID, b.Name, product.Slugify(b.Name))
	}
	for _, a := range c.Attributes {
		d.attributes.Add(a.ID, a.Slug, a.Name, a.Kind, a.Choices)
	}
	for _, cat := range c.Categories {
		var parent any
		if cat.ParentID != "" {
			parent = cat.ParentID
		}
		d.categories.Add(cat.ID, parent, cat.Name, product.Slugify(cat.Name), int32(cat.Position), cat.Path)
	}
	for _, t := range c.Types {
		d.types.Add(t.ID, t.Name)
		for i, a := range t.AttributeIDs {
			d.typeAttrs.Add(t.ID, a, int32(i))
		}
	}
	for _, p := range c.Products {
		d.product(p)
	}
	for _, col := range c.Collections {
		d.collections.Add(col.ID, col.Name, product.Slugify(col.Name))
		for i, id := range col.ProductIDs {
			d.collectionProducts.Add(col.ID, id, int32(i))
		}
	}
	return d
}

func (d *demoData) product(p demo.Product) {
	var published any
	if p.PublishedAt != nil {
		published = *p.PublishedAt
	}
	d.productIDs = append(d.productIDs, p.ID)
	d.products.Add(p.ID, p.Name, product.Slugify(p.Name)+"-"+strconv.Itoa(p.Number), p.Description,
		p.Status, published, p.CreatedAt, p.CategoryID, p.BrandID, p.TypeID, p.BasePriceMinor, "USD")
	if p.HasImage {
		d.demoImage(p.ID, p.Name, p.CreatedAt)
	}
	for _, a := range p.Attributes {
		d.values.Add(p.ID, a.AttributeID, a.Value)
	}
	for _, v := range p.Variants {
		opts, _ := json.Marshal([]product.Option{{Name: "Size", Value: v.Size}, {Name: "Colour", Value: v.Colour}})
		d.variants.Add(v.ID, p.ID, v.SKU, v.Name, opts, int32(v.WeightGrams), int32(v.Position), v.CreatedAt)
		for _, pr := range v.Prices {
			d.prices.Add(v.ID, pr.Channel, pr.AmountMinor, pr.Currency)
		}
	}
	for _, r := range p.Reviews {
		d.reviews.Add(r.ID, p.ID, r.AuthorID, int32(r.Rating), r.Title, r.Body, r.Status, r.At, r.At)
	}
}

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
	d.images.Add("img_"+id[len("prd_"):], id, key, ct, int32(media.DemoWidth), int32(media.DemoHeight),
		int64(len(data)), name, int32(0), tj, created)
}
