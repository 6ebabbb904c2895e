package graph

import (
	"fmt"

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
	return np, nil
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
	return u, nil
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
		minor, err := product.ChannelAmount([]string{"input", "prices", fmt.Sprint(i)}, p.Channel, &p.Amount)
		if err != nil {
			return v, err
		}
		v.Prices[p.Channel] = *minor
	}
	return v, nil
}
