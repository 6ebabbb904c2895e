package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DemoProducts is how many products Seed writes (SeedScale writes this
// many per unit of scale).
const DemoProducts = 200

// Seed writes the demo catalog at scale 1.
func Seed(ctx context.Context, pool *pgxpool.Pool) error { return SeedScale(ctx, pool, 1) }

// SeedScale writes the demo catalog: 30 categories, 15 brands, 11
// attributes and 6 product types, then DemoProducts×scale products with
// 2–5 variants each, prices in three channels, attribute values and
// J-shaped reviews by the demo users, plus four collections. A fixed
// random seed makes it the same every time. Rows go through COPY into
// temporary tables and then INSERT … ON CONFLICT DO NOTHING: fast at any
// scale, and a second run changes nothing.
func SeedScale(ctx context.Context, pool *pgxpool.Pool, scale int) error {
	if scale < 1 {
		return fmt.Errorf("seed: scale must be at least 1, got %d", scale)
	}
	d := generate(scale)
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// The pool's statement_timeout guards requests; a seed at scale 500
		// copies and derives ~100,000 products in statements that take longer.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return fmt.Errorf("lift statement_timeout: %w", err)
		}
		for _, t := range d.tables() {
			if err := copyIn(ctx, tx, t); err != nil {
				return err
			}
		}
		// Derived rows, computed once here as a write would: never per request.
		if _, err := tx.Exec(ctx, `SELECT refresh_product_prices($1), refresh_product_ratings($1)`, d.productIDs); err != nil {
			return fmt.Errorf("derive prices and ratings: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed catalog: %w", err)
	}
	// Fresh planner statistics: right after a bulk load autovacuum has not
	// analysed yet, and search plans chosen on an empty table's statistics
	// ignore the indexes that make them fast.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `ANALYZE products, product_search, product_channel_prices, product_attribute_values,
			product_variants, variant_prices, reviews, product_ratings, categories, brands, attributes`)
		return err
	})
	if err != nil {
		return fmt.Errorf("seed catalog: analyze: %w", err)
	}
	return nil
}

// table is rows for one table, in its columns' order.
type table struct {
	name string
	cols []string
	rows [][]any
}

func copyIn(ctx context.Context, tx pgx.Tx, t table) error {
	tmp := "seed_" + t.name
	list := strings.Join(t.cols, ", ")
	if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE %s ON COMMIT DROP AS SELECT %s FROM %s WITH NO DATA`, tmp, list, t.name)); err != nil {
		return fmt.Errorf("seed %s: %w", t.name, err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{tmp}, t.cols, pgx.CopyFromRows(t.rows)); err != nil {
		return fmt.Errorf("seed %s: copy: %w", t.name, err)
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT %s FROM %s ON CONFLICT DO NOTHING`, t.name, list, list, tmp)); err != nil {
		return fmt.Errorf("seed %s: insert: %w", t.name, err)
	}
	return nil
}
