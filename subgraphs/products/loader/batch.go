package loader

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/myshop/supergraph/subgraphs/platform/batch"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

func attributesByType(store *postgres.Store) dataloader.BatchFunc[string, []product.Attribute] {
	grouped := batch.Many(store.AttributesByTypes, func(t postgres.TypeAttribute) string { return t.TypeID })
	return func(ctx context.Context, keys []string) []*dataloader.Result[[]product.Attribute] {
		res := grouped(ctx, keys)
		out := make([]*dataloader.Result[[]product.Attribute], len(res))
		for i, r := range res {
			as := make([]product.Attribute, len(r.Data))
			for j, ta := range r.Data {
				as[j] = ta.Attribute
			}
			out[i] = &dataloader.Result[[]product.Attribute]{Data: as, Error: r.Error}
		}
		return out
	}
}

// ratings gives a product without a rating row an empty rating.
func ratings(store *postgres.Store) dataloader.BatchFunc[string, product.Rating] {
	grouped := batch.Many(store.RatingsByProducts, func(r product.Rating) string { return r.ProductID })
	return func(ctx context.Context, keys []string) []*dataloader.Result[product.Rating] {
		res := grouped(ctx, keys)
		out := make([]*dataloader.Result[product.Rating], len(res))
		for i, r := range res {
			rating := product.Rating{ProductID: keys[i]}
			if len(r.Data) > 0 {
				rating = r.Data[0]
			}
			out[i] = &dataloader.Result[product.Rating]{Data: rating, Error: r.Error}
		}
		return out
	}
}

func pages(load func(context.Context, []product.PageRequest) ([]product.ReviewPage, error)) dataloader.BatchFunc[product.PageRequest, product.ReviewPage] {
	return func(ctx context.Context, reqs []product.PageRequest) []*dataloader.Result[product.ReviewPage] {
		ps, err := load(ctx, reqs)
		out := make([]*dataloader.Result[product.ReviewPage], len(reqs))
		for i := range out {
			if err != nil {
				out[i] = &dataloader.Result[product.ReviewPage]{Error: err}
			} else {
				out[i] = &dataloader.Result[product.ReviewPage]{Data: ps[i]}
			}
		}
		return out
	}
}
