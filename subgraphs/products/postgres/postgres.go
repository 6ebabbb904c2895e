// Package postgres is the products store: the only package that knows its SQL.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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

// Products returns the page of products after the id after, in id order.
func (s *Store) Products(ctx context.Context, after string, first int) (product.ProductPage, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, name, price_minor, currency FROM products WHERE id > $1 ORDER BY id LIMIT $2`, after, first+1)
	if err != nil {
		return product.ProductPage{}, fmt.Errorf("products: %w", err)
	}
	ps, err := pgx.CollectRows(rows, scanProduct)
	if err != nil {
		return product.ProductPage{}, fmt.Errorf("products: %w", err)
	}
	page := product.ProductPage{Products: ps}
	if len(ps) > first {
		page.Products, page.HasNext = ps[:first], true
	}
	return page, nil
}

// ProductsByIDs returns the products with these ids, in no particular
// order; unknown ids are left out.
func (s *Store) ProductsByIDs(ctx context.Context, ids []string) ([]product.Product, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, price_minor, currency FROM products WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("products by ids: %w", err)
	}
	ps, err := pgx.CollectRows(rows, scanProduct)
	if err != nil {
		return nil, fmt.Errorf("products by ids: %w", err)
	}
	return ps, nil
}

// ReviewsByIDs returns the reviews with these ids, in no particular order.
func (s *Store) ReviewsByIDs(ctx context.Context, ids []string) ([]product.Review, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, product_id, author_id, rating, body FROM reviews WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("reviews by ids: %w", err)
	}
	rs, err := pgx.CollectRows(rows, scanReview)
	if err != nil {
		return nil, fmt.Errorf("reviews by ids: %w", err)
	}
	return rs, nil
}

// The page queries take every request of a batch at once: each parent gets
// its own LIMIT through a lateral join, so N parents cost one statement.
const (
	reviewPagesByProduct = `
SELECT k.ord, r.id, r.product_id, r.author_id, r.rating, r.body
FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS k(parent_id, after_id, lim, ord)
CROSS JOIN LATERAL (
    SELECT * FROM reviews r
    WHERE r.product_id = k.parent_id AND r.id > k.after_id
    ORDER BY r.id LIMIT k.lim + 1
) r
ORDER BY k.ord, r.id`
	reviewPagesByAuthor = `
SELECT k.ord, r.id, r.product_id, r.author_id, r.rating, r.body
FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS k(parent_id, after_id, lim, ord)
CROSS JOIN LATERAL (
    SELECT * FROM reviews r
    WHERE r.author_id = k.parent_id AND r.id > k.after_id
    ORDER BY r.id LIMIT k.lim + 1
) r
ORDER BY k.ord, r.id`
)

// ReviewPagesByProduct returns one page per request, in request order,
// where ParentID is a product id.
func (s *Store) ReviewPagesByProduct(ctx context.Context, reqs []product.PageRequest) ([]product.ReviewPage, error) {
	return s.reviewPages(ctx, reviewPagesByProduct, reqs)
}

// ReviewPagesByAuthor is ReviewPagesByProduct for pages of one author's reviews.
func (s *Store) ReviewPagesByAuthor(ctx context.Context, reqs []product.PageRequest) ([]product.ReviewPage, error) {
	return s.reviewPages(ctx, reviewPagesByAuthor, reqs)
}

func (s *Store) reviewPages(ctx context.Context, query string, reqs []product.PageRequest) ([]product.ReviewPage, error) {
	parents := make([]string, len(reqs))
	afters := make([]string, len(reqs))
	limits := make([]int32, len(reqs))
	for i, r := range reqs {
		parents[i], afters[i], limits[i] = r.ParentID, r.After, int32(r.First)
	}
	rows, err := s.pool.Query(ctx, query, parents, afters, limits)
	if err != nil {
		return nil, fmt.Errorf("review pages: %w", err)
	}
	defer rows.Close()
	pages := make([]product.ReviewPage, len(reqs))
	for rows.Next() {
		var ord int
		var r product.Review
		if err := rows.Scan(&ord, &r.ID, &r.ProductID, &r.AuthorID, &r.Rating, &r.Body); err != nil {
			return nil, fmt.Errorf("review pages: %w", err)
		}
		p := &pages[ord-1]
		if len(p.Reviews) == reqs[ord-1].First {
			p.HasNext = true // the one extra row only says there is more
			continue
		}
		p.Reviews = append(p.Reviews, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("review pages: %w", err)
	}
	return pages, nil
}

func scanProduct(row pgx.CollectableRow) (product.Product, error) {
	var p product.Product
	var currency string
	err := row.Scan(&p.ID, &p.Name, &p.Price.Minor, &currency)
	p.Price.Currency = money.Currency(currency)
	return p, err
}

func scanReview(row pgx.CollectableRow) (product.Review, error) {
	var r product.Review
	err := row.Scan(&r.ID, &r.ProductID, &r.AuthorID, &r.Rating, &r.Body)
	return r, err
}
