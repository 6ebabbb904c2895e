package graph

import (
	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/products/graph/model"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// The lists whose cursors this subgraph makes. A product search's list name
// also carries the search's fingerprint (see searchList).
const (
	reviewsList = "reviews"
	brandsList  = "brands"
)

func toProduct(p product.Product) *model.Product {
	return &model.Product{ID: p.ID, Name: p.Name, Slug: p.Slug, Description: p.Description,
		Status: model.ProductStatus(p.Status), PublishedAt: p.PublishedAt, CreatedAt: p.CreatedAt, Price: p.Price,
		CategoryID: p.CategoryID, BrandID: p.BrandID, ProductTypeID: p.ProductTypeID}
}

func toVariant(v product.Variant) *model.ProductVariant {
	opts := make([]*model.VariantOption, len(v.Options))
	for i, o := range v.Options {
		opts[i] = &model.VariantOption{Name: o.Name, Value: o.Value}
	}
	return &model.ProductVariant{ID: v.ID, SKU: v.SKU, Name: v.Name, Options: opts, WeightGrams: v.WeightGrams, Variant: v}
}

func toCategory(c product.Category) *model.Category {
	return &model.Category{ID: c.ID, Name: c.Name, Slug: c.Slug, Position: c.Position, Category: c}
}

func toBrand(b product.Brand) *model.Brand { return &model.Brand{ID: b.ID, Name: b.Name, Slug: b.Slug} }

func toAttribute(a product.Attribute) *model.Attribute {
	choices := a.Choices
	if choices == nil {
		choices = []string{}
	}
	return &model.Attribute{ID: a.ID, Slug: a.Slug, Name: a.Name, Kind: model.AttributeKind(a.Kind), Choices: choices}
}

func toReview(r product.Review) *model.Review {
	return &model.Review{ID: r.ID, Rating: r.Rating, Title: r.Title, Body: r.Body, Status: model.ReviewStatus(r.Status),
		HelpfulCount: r.HelpfulCount, CreatedAt: r.CreatedAt, AuthorID: r.AuthorID, ProductID: r.ProductID}
}

func toRating(r product.Rating) *model.ProductRating {
	out := &model.ProductRating{Average: r.Average, Count: r.Count, Distribution: make([]*model.RatingCount, 5)}
	for i, n := range r.Distribution {
		out.Distribution[i] = &model.RatingCount{Rating: i + 1, Count: n}
	}
	return out
}

func toFacets(f product.Facets, currency money.Currency) *model.ProductFacets {
	out := &model.ProductFacets{Categories: []*model.FacetCount{}, Brands: []*model.FacetCount{},
		Attributes: []*model.AttributeFacet{}, PriceBands: []*model.PriceBand{}}
	for _, c := range f.Categories {
		out.Categories = append(out.Categories, &model.FacetCount{ID: c.ID, Name: c.Name, Count: c.Count})
	}
	for _, b := range f.Brands {
		out.Brands = append(out.Brands, &model.FacetCount{ID: b.ID, Name: b.Name, Count: b.Count})
	}
	for _, a := range f.Attributes {
		af := &model.AttributeFacet{Slug: a.Slug, Name: a.Name}
		for _, v := range a.Values {
			af.Values = append(af.Values, &model.FacetValue{Value: v.Value, Count: v.Count})
		}
		out.Attributes = append(out.Attributes, af)
	}
	for _, b := range f.PriceBands {
		pb := &model.PriceBand{Gte: &money.Money{Minor: b.GTE, Currency: currency}, Count: b.Count}
		if b.LT != nil {
			pb.Lt = &money.Money{Minor: *b.LT, Currency: currency}
		}
		out.PriceBands = append(out.PriceBands, pb)
	}
	return out
}

// inOrder lines rows up with ids, as an entity batch must answer: one
// result per representation, nil where the id is unknown.
func inOrder[T, M any](ids []string, rows []T, idOf func(T) string, conv func(T) *M) []*M {
	byID := make(map[string]*M, len(rows))
	for _, r := range rows {
		byID[idOf(r)] = conv(r)
	}
	out := make([]*M, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}

func mapSlice[T, M any](rows []T, conv func(T) *M) []*M {
	out := make([]*M, len(rows))
	for i, r := range rows {
		out[i] = conv(r)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func collectionPayload(c product.Collection) *model.CollectionPayload {
	return &model.CollectionPayload{Collection: &model.Collection{ID: c.ID, Name: c.Name, Slug: c.Slug}, Errors: []*model.ProductError{}}
}

func productTypePayload(t product.ProductType) *model.ProductTypePayload {
	return &model.ProductTypePayload{ProductType: &model.ProductType{ID: t.ID, Name: t.Name}, Errors: []*model.ProductError{}}
}

// deletePayload reports a delete: the id when done, the rule that refused
// it otherwise.
func deletePayload(id string, err error) (*model.DeletePayload, error) {
	if err == nil {
		return &model.DeletePayload{DeletedID: &id, Errors: []*model.ProductError{}}, nil
	}
	ps, err := problems(err)
	return &model.DeletePayload{Errors: ps}, err
}
