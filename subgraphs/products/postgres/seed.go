package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// Seed writes the demo world's catalog: the taxonomy (30 categories, 15
// brands, 11 attributes, 6 product types), the products with their
// variants, prices in three channels, attribute values, reviews and
// images, and four collections. Rows go in by COPY (see
// postgres.CopyTables), fast at any scale. A database that holds a
// world already keeps it (postgres.Seeded).
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	if seeded, err := postgres.Seeded(ctx, pool, "products", w.Catalog.Products[0].ID); err != nil || seeded {
		return err
	}
	d := rows(w)
	t := d.tables()
	err := postgres.CopyTables(ctx, pool, t[:], func(tx pgx.Tx) error {
		// Derived rows, computed once here as a write would: never per request.
		_, err := tx.Exec(ctx, `SELECT refresh_product_prices($1), refresh_product_ratings($1)`, d.productIDs)
		return err
	})
	if err != nil {
		return fmt.Errorf("seed catalog: %w", err)
	}
	if err := postgres.Analyze(ctx, pool, "products", "product_search", "product_channel_prices", "product_attribute_values",
		"product_variants", "variant_prices", "reviews", "product_ratings", "categories", "brands", "attributes"); err != nil {
		return fmt.Errorf("seed catalog: analyze: %w", err)
	}
	return nil
}
