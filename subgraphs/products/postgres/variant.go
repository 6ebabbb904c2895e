package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// A variant comes with all its channel prices as parallel arrays, so a page
// of variants and their prices is one statement. $1 says whether the caller
// is staff: others get no prices for an archived product's variants.
const variantSelect = `SELECT v.id, v.product_id, v.sku, v.name, v.options, v.weight_grams,
	coalesce(array_agg(vp.channel ORDER BY vp.channel) FILTER (WHERE vp.channel IS NOT NULL), '{}'),
	coalesce(array_agg(vp.amount_minor ORDER BY vp.channel) FILTER (WHERE vp.channel IS NOT NULL), '{}'),
	coalesce(array_agg(vp.currency ORDER BY vp.channel) FILTER (WHERE vp.channel IS NOT NULL), '{}')
FROM product_variants v JOIN products p ON p.id = v.product_id
LEFT JOIN variant_prices vp ON vp.variant_id = v.id AND ($1::bool OR p.status <> 'ARCHIVED')`

// VariantsByIDs returns the variants with these ids whose product the
// caller may look up by id (referable), in no particular order.
func (s *Store) VariantsByIDs(ctx context.Context, staff bool, ids []string) ([]product.Variant, error) {
	rows, err := s.pool.Query(ctx, variantSelect+` WHERE `+referable+` AND v.id = ANY($2) GROUP BY v.id`, staff, ids)
	if err != nil {
		return nil, fmt.Errorf("variants by ids: %w", err)
	}
	vs, err := pgx.CollectRows(rows, scanVariant)
	if err != nil {
		return nil, fmt.Errorf("variants by ids: %w", err)
	}
	return vs, nil
}

// VariantsByProducts returns the variants of these products, each
// product's in position order. The caller has seen the products already.
func (s *Store) VariantsByProducts(ctx context.Context, staff bool, productIDs []string) ([]product.Variant, error) {
	rows, err := s.pool.Query(ctx, variantSelect+` WHERE v.product_id = ANY($2) GROUP BY v.id
		ORDER BY v.product_id, v.position, v.id`, staff, productIDs)
	if err != nil {
		return nil, fmt.Errorf("variants by products: %w", err)
	}
	vs, err := pgx.CollectRows(rows, scanVariant)
	if err != nil {
		return nil, fmt.Errorf("variants by products: %w", err)
	}
	return vs, nil
}

// PricingsByProducts returns the price range rows of these products.
func (s *Store) PricingsByProducts(ctx context.Context, productIDs []string) ([]product.Pricing, error) {
	rows, err := s.pool.Query(ctx, `SELECT product_id, channel, min_minor, max_minor, currency
		FROM product_channel_prices WHERE product_id = ANY($1)`, productIDs)
	if err != nil {
		return nil, fmt.Errorf("pricings: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (product.Pricing, error) {
		var p product.Pricing
		var currency string
		err := row.Scan(&p.ProductID, &p.Channel, &p.From.Minor, &p.To.Minor, &currency)
		p.From.Currency, p.To.Currency = money.Currency(currency), money.Currency(currency)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("pricings: %w", err)
	}
	return ps, nil
}

func scanVariant(row pgx.CollectableRow) (product.Variant, error) {
	var v product.Variant
	var options []byte
	var channels, currencies []string
	var amounts []int64
	if err := row.Scan(&v.ID, &v.ProductID, &v.SKU, &v.Name, &options, &v.WeightGrams, &channels, &amounts, &currencies); err != nil {
		return v, err
	}
	if err := json.Unmarshal(options, &v.Options); err != nil {
		return v, fmt.Errorf("variant %s options: %w", v.ID, err)
	}
	for i, ch := range channels {
		v.Prices = append(v.Prices, product.ChannelPrice{Channel: ch, Price: money.Money{Minor: amounts[i], Currency: money.Currency(currencies[i])}})
	}
	return v, nil
}
