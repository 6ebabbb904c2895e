package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/platform/demo"
)

// DemoProducts is how many products Seed writes.
const DemoProducts = 60

var (
	adjectives = []string{"Classic", "Organic", "Rugged", "Compact", "Deluxe", "Vintage", "Smart", "Everyday", "Trail", "Studio"}
	nouns      = []string{"Backpack", "Coffee Grinder", "Desk Lamp", "Water Bottle", "Headphones", "Notebook"}
	opinions   = []string{
		"Does exactly what it says.", "Better than I expected for the price.", "Broke after two weeks.",
		"My second one; I gave the first away.", "Arrived late but works well.", "Solid build, a bit heavy.",
		"Would not buy again.", "The colour is lovely in person.",
	}
)

// Seed writes the demo catalog: DemoProducts products and a few reviews of
// each by the demo users. A fixed random seed makes it the same every time,
// and ON CONFLICT makes a second run change nothing.
func Seed(ctx context.Context, pool *pgxpool.Pool) error {
	rng := rand.New(rand.NewPCG(2026, 11))
	batch := &pgx.Batch{}
	review := 0
	for i := 1; i <= DemoProducts; i++ {
		id := fmt.Sprintf("prd_%05d", i)
		name := adjectives[(i-1)%len(adjectives)] + " " + nouns[(i-1)/len(adjectives)%len(nouns)]
		price := int64(500 + rng.IntN(300)*100 + 99) // 5.99 to 304.99
		batch.Queue(`INSERT INTO products (id, name, price_minor, currency) VALUES ($1, $2, $3, 'USD') ON CONFLICT (id) DO NOTHING`,
			id, name, price)
		for n := 2 + rng.IntN(5); n > 0; n-- {
			review++
			batch.Queue(`INSERT INTO reviews (id, product_id, author_id, rating, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
				fmt.Sprintf("rev_%05d", review), id, demo.UserID(1+rng.IntN(demo.Users)), 1+rng.IntN(5), opinions[rng.IntN(len(opinions))])
		}
	}
	if err := pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("seed catalog: %w", err)
	}
	return nil
}
