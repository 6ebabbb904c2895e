package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// demoReduced is the demo's reduced-rate class; the demo catalog's
// Stationery product type (pty_005: notebooks, planners) belongs to it.
const demoReduced = "txc_reduced"

// demoRates are the demo's tax rates in millionths: US state sales tax
// (state rates only, no county or city add-ons) and Canada's HST in
// Ontario, EU VAT, UK VAT and Japan's consumption tax, with reduced rates
// where the demo's stationery has one.
var demoRates = []struct {
	class, country, region string
	rate                   int64
}{
	{"txc_default", "US", "CA", 72_500}, {"txc_default", "US", "NY", 40_000}, {"txc_default", "US", "TX", 62_500},
	{"txc_default", "US", "WA", 65_000}, {"txc_default", "US", "IL", 62_500}, {"txc_default", "US", "FL", 60_000},
	{"txc_default", "CA", "ON", 130_000},
	{"txc_default", "DE", "", 190_000}, {"txc_default", "FR", "", 200_000}, {"txc_default", "NL", "", 210_000},
	{"txc_default", "AT", "", 200_000}, {"txc_default", "BE", "", 210_000}, {"txc_default", "ES", "", 210_000},
	{"txc_default", "IT", "", 220_000}, {"txc_default", "IE", "", 230_000}, {"txc_default", "GB", "", 200_000},
	{"txc_default", "JP", "", 100_000},
	{demoReduced, "DE", "", 70_000}, {demoReduced, "FR", "", 55_000}, {demoReduced, "NL", "", 90_000}, {demoReduced, "JP", "", 80_000},
}

// seedTaxes writes the demo's tax classes, rates and Stationery's class.
// A row that exists is kept: staff may have changed it.
func seedTaxes(ctx context.Context, pool *pgxpool.Pool) error {
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO tax_classes (id, name) VALUES ($1, 'Reduced') ON CONFLICT DO NOTHING`, demoReduced)
	for _, r := range demoRates {
		b.Queue(`INSERT INTO tax_rates (class_id, country, region, rate_ppm) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			r.class, r.country, r.region, r.rate)
	}
	b.Queue(`INSERT INTO tax_class_product_types (product_type_id, class_id) VALUES ('pty_005', $1) ON CONFLICT DO NOTHING`, demoReduced)
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("seed taxes: %w", err)
	}
	return nil
}
