package upstream

import (
	"context"
	"fmt"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Products is order.Catalog over the products subgraph. It asks
// anonymously: what a shopper may buy is what anyone may see.
type Products struct{ c *Client }

// NewProducts returns the products client.
func NewProducts(c *Client) *Products { return &Products{c: c} }

var _ order.Catalog = (*Products)(nil)

// Variants prices the variants in channel, with their weight, product, its
// category and product type, in one request.
func (p *Products) Variants(ctx context.Context, channel string, ids []string) (map[string]order.Variant, error) {
	var out struct {
		Entities []*struct {
			ID   string `json:"id"`
			SKU  string `json:"sku"`
			Name string `json:"name"`
			// WeightGrams prices weight-banded shipping.
			WeightGrams int `json:"weightGrams"`
			Price       *struct {
				Amount       string `json:"amount"`
				CurrencyCode string `json:"currencyCode"`
			} `json:"price"`
			Product *struct {
				ID       string `json:"id"`
				Category *struct {
					ID string `json:"id"`
				} `json:"category"`
				ProductType *struct {
					ID string `json:"id"`
				} `json:"productType"`
			} `json:"product"`
		} `json:"_entities"`
	}
	err := p.c.Do(ctx, "", `query($r: [_Any!]!, $c: String) { _entities(representations: $r) { ... on ProductVariant { id sku name weightGrams price(channel: $c) { amount currencyCode } product { id category { id } productType { id } } } } }`,
		map[string]any{"r": representations("ProductVariant", ids), "c": channel}, &out)
	if err != nil {
		return nil, err
	}
	m := make(map[string]order.Variant, len(ids))
	for _, e := range out.Entities {
		if e == nil {
			continue
		}
		v := order.Variant{ID: e.ID, SKU: e.SKU, Name: e.Name, WeightGrams: e.WeightGrams}
		if e.Product != nil {
			v.ProductID = e.Product.ID
			if e.Product.Category != nil {
				v.CategoryID = e.Product.Category.ID
			}
			if e.Product.ProductType != nil {
				v.ProductTypeID = e.Product.ProductType.ID
			}
		}
		if e.Price != nil {
			price, err := money.Parse(e.Price.Amount, money.Currency(e.Price.CurrencyCode))
			if err != nil {
				return nil, fmt.Errorf("%w: price of %s: %v", order.ErrUnavailable, e.ID, err)
			}
			v.Price = &price
		}
		m[e.ID] = v
	}
	return m, nil
}
