// Package postgres is the products store: the only package that knows its SQL.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the products database's goose migrations.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store reads and writes the catalog.
type Store struct{ pool *pgxpool.Pool }

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// productCols are a product's columns, with its price in the default
// channel (dp), which every product has: see refresh_product_prices.
const productCols = `p.id, p.name, p.slug, p.description, p.status, p.published_at, p.created_at,
	dp.min_minor, dp.currency, coalesce(p.category_id, ''), coalesce(p.brand_id, ''), coalesce(p.product_type_id, '')`

const productFrom = `products p JOIN product_channel_prices dp ON dp.product_id = p.id AND dp.channel = 'default-usd'`

// visible is the condition for a product a caller may see; $1 says whether
// the caller is staff.
const visible = `($1::bool OR (p.status = 'PUBLISHED' AND p.published_at <= now()))`

// referable is visible plus archived products, for lookups by id: carts,
// past orders and other subgraphs hold those ids, and a null entity under
// a non-null field (CartLine.variant) would blank a shopper's whole cart.
// Archived products are still not listed, searched or found by slug, and
// their variants have no prices for shoppers, so they cannot be bought.
const referable = `($1::bool OR p.status = 'ARCHIVED' OR (p.status = 'PUBLISHED' AND p.published_at <= now()))`

// ProductsByIDs returns the products with these ids that the caller may
// see (staff: all; others: archived ones too), in no particular order;
// unknown ids are left out.
func (s *Store) ProductsByIDs(ctx context.Context, staff bool, ids []string) ([]product.Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+productCols+` FROM `+productFrom+` WHERE `+referable+` AND p.id = ANY($2)`, staff, ids)
	if err != nil {
		return nil, fmt.Errorf("products by ids: %w", err)
	}
	ps, err := pgx.CollectRows(rows, scanProduct)
	if err != nil {
		return nil, fmt.Errorf("products by ids: %w", err)
	}
	return ps, nil
}

// ProductBySlug returns the product with slug, or a NotFound Problem.
func (s *Store) ProductBySlug(ctx context.Context, staff bool, slug string) (product.Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+productCols+` FROM `+productFrom+` WHERE `+visible+` AND p.slug = $2`, staff, slug)
	if err != nil {
		return product.Product{}, fmt.Errorf("product by slug: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanProduct)
	if errors.Is(err, pgx.ErrNoRows) {
		return product.Product{}, errs.Problemf(nil, product.NotFound, "no product has slug %q", slug)
	}
	if err != nil {
		return product.Product{}, fmt.Errorf("product by slug: %w", err)
	}
	return p, nil
}

func scanProduct(row pgx.CollectableRow) (product.Product, error) {
	var p product.Product
	var currency, status string
	err := row.Scan(&p.ID, &p.Name, &p.Slug, &p.Description, &status, &p.PublishedAt, &p.CreatedAt,
		&p.Price.Minor, &currency, &p.CategoryID, &p.BrandID, &p.ProductTypeID)
	p.Price.Currency = money.Currency(currency)
	p.Status = product.Status(status)
	if p.PublishedAt != nil {
		t := p.PublishedAt.UTC()
		p.PublishedAt = &t
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// conflict turns a unique violation into the Problem a client can act on;
// any other error is returned wrapped with what.
func conflict(err error, what string) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		switch pgErr.ConstraintName {
		case "products_slug_key", "categories_slug_key", "brands_slug_key", "collections_slug_key", "attributes_slug_key":
			return errs.Problemf([]string{"input", "slug"}, product.SlugTaken, "the slug is taken")
		case "product_variants_sku_key":
			return errs.Problemf([]string{"input", "sku"}, product.SKUTaken, "the SKU is taken")
		case "reviews_product_author_key":
			return errs.Problemf([]string{"input", "productId"}, product.AlreadyReviewed, "you have reviewed this product already: update that review")
		}
	}
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // a referenced row does not exist
		field := foreignKeyFields[pgErr.ConstraintName]
		return errs.Problemf([]string{"input", field}, product.NotFound, "no such %s", field)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// foreignKeyFields names the input field behind each foreign key.
var foreignKeyFields = map[string]string{
	"products_category_id_fkey":                "categoryId",
	"products_brand_id_fkey":                   "brandId",
	"products_product_type_id_fkey":            "productTypeId",
	"product_variants_product_id_fkey":         "productId",
	"categories_parent_id_fkey":                "parentId",
	"reviews_product_id_fkey":                  "productId",
	"product_attribute_values_product_id_fkey": "productId",
}

// now is the store's clock for rows it stamps itself.
func now() time.Time { return time.Now().UTC() }
