package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/platform/demo"
)

var firstNames = []string{"Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Ken", "Radia", "Dennis", "Margaret", "Linus", "Hedy"}
var lastNames = []string{"Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Thompson", "Perlman", "Ritchie", "Hamilton", "Torvalds", "Lamarr"}

// Seed writes the demo users. It is deterministic and idempotent: running it
// twice leaves the same rows.
func Seed(ctx context.Context, pool *pgxpool.Pool) error {
	batch := &pgx.Batch{}
	for i := 1; i <= demo.Users; i++ {
		first := firstNames[(i-1)%len(firstNames)]
		last := lastNames[(i*5)%len(lastNames)]
		email := fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), i)
		batch.Queue(`INSERT INTO users (id, name, email) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			demo.UserID(i), first+" "+last, email)
	}
	if err := pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	return nil
}
