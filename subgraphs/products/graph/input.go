package graph

import (
	"fmt"
	"time"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/products/graph/model"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// The parsers below turn GraphQL inputs into domain inputs; a rule broken
// on the way is a *errs.Problem for the payload.

func newProduct(in model.CreateProductInput) (product.NewProduct, error) {
	price, err := product.ParseAmount(in.BasePrice, product.Channels[product.DefaultChannel])
	if err != nil {
		return product.NewProduct{}, errs.Problemf([]string{"input", "basePrice"}, product.InvalidPrice, "%v", err)
	}
	np := product.NewProduct{Name: in.Name, Slug: deref(in.Slug), Description: deref(in.Description),
		PublishedAt: in.PublishedAt, CategoryID: deref(in.CategoryID), BrandID: deref(in.BrandID),
		ProductTypeID: deref(in.ProductTypeID), BasePrice: price}
	if in.Status != nil {
		np.Status = product.Status(*in.Status)
	}
	for _, a := range in.Attributes {
		np.Attributes = append(np.Attributes, product.AttributeInput{Slug: a.Slug, Value: a.Value})
	}
	return np, np.Normalize(time.Now().UTC())
}

func productUpdate(in model.UpdateProductInput) (product.ProductUpdate, error) {
	u := product.ProductUpdate{Name: in.Name, Slug: in.Slug, Description: in.Description, PublishedAt: in.PublishedAt,
		CategoryID: in.CategoryID, BrandID: in.BrandID}
	if in.Status != nil {
		s := product.Status(*in.Status)
		u.Status = &s
	}
	if in.BasePrice != nil {
		p, err := product.ParseAmount(*in.BasePrice, product.Channels[product.DefaultChannel])
		if err != nil {
			return u, errs.Problemf([]string{"input", "basePrice"}, product.InvalidPrice, "%v", err)
		}
		u.BasePrice = &p
	}
	return u, u.Check()
}

func newVariant(in model.CreateVariantInput) (product.NewVariant, error) {
	v := product.NewVariant{ProductID: in.ProductID, SKU: in.Sku, Name: in.Name, Prices: map[string]int64{}}
	if in.WeightGrams != nil {
		v.WeightGrams = *in.WeightGrams
	}
	for _, o := range in.Options {
		v.Options = append(v.Options, product.Option{Name: o.Name, Value: o.Value})
	}
	if v.Options == nil {
		v.Options = []product.Option{}
	}
	for i, p := range in.Prices {
		minor, err := channelAmount([]string{"input", "prices", fmt.Sprint(i)}, p.Channel, &p.Amount)
		if err != nil {
			return v, err
		}
		v.Prices[p.Channel] = *minor
	}
	return v, v.Check()
}

// channelAmount parses an amount in the channel's currency; nil stays nil.
func channelAmount(field []string, channel string, amount *string) (*int64, error) {
	currency, ok := product.Channels[channel]
	if !ok {
		return nil, errs.Problemf(field, product.UnknownChannel, "unknown channel %q", channel)
	}
	if amount == nil {
		return nil, nil
	}
	minor, err := product.ParseAmount(*amount, currency)
	if err != nil {
		return nil, errs.Problemf(field, product.InvalidPrice, "%v", err)
	}
	return &minor, nil
}

// nameAndSlug checks a name and returns the slug given or derived from it.
func nameAndSlug(name string, slug *string) (string, error) {
	if name == "" {
		return "", errs.Problemf([]string{"input", "name"}, product.Required, "name is required")
	}
	s := deref(slug)
	if s == "" {
		s = product.Slugify(name)
	}
	return s, product.CheckSlug([]string{"input", "slug"}, s)
}

// maxIDList caps the ids one staff mutation takes: a bigger list is a
// mistake or an attack, and each id costs a row write.
const maxIDList = 500

func checkIDList(field string, ids []string) error {
	if len(ids) > maxIDList {
		return errs.Problemf([]string{field}, product.Invalid, "at most %d ids at once", maxIDList)
	}
	return nil
}

func requiredName(name string) error {
	if name == "" {
		return errs.Problemf([]string{"input", "name"}, product.Required, "name is required")
	}
	return nil
}

// optionalNameAndSlug checks an update's name and slug when they are set.
func optionalNameAndSlug(name, slug *string) error {
	if name != nil {
		if err := requiredName(*name); err != nil {
			return err
		}
	}
	if slug != nil {
		return product.CheckSlug([]string{"input", "slug"}, *slug)
	}
	return nil
}
