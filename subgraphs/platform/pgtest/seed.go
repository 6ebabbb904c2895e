package pgtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Counts are the rows of some tables, in the order they were asked for.
type Counts []int64

// RowCounts counts the rows of each table in one statement.
func RowCounts(t testing.TB, pool *pgxpool.Pool, tables ...string) Counts {
	t.Helper()
	parts := make([]string, len(tables))
	for i, table := range tables {
		parts[i] = "(SELECT count(*) FROM " + pgx.Identifier{table}.Sanitize() + ")"
	}
	out := make(Counts, len(tables))
	dest := make([]any, len(tables))
	for i := range out {
		dest[i] = &out[i]
	}
	if err := pool.QueryRow(context.Background(), "SELECT "+strings.Join(parts, ", ")).Scan(dest...); err != nil {
		t.Fatalf("count rows of %v: %v", tables, err)
	}
	return out
}

// SeedTwice runs seed twice and fails t unless the second run leaves every
// one of tables as the first left it: a demo seed runs at every start, and
// one that is not idempotent doubles the shop with each restart. It returns
// the counts.
func SeedTwice(t testing.TB, pool *pgxpool.Pool, seed func(context.Context, *pgxpool.Pool) error, tables ...string) Counts {
	t.Helper()
	var first Counts
	for i := range 2 {
		if err := seed(context.Background(), pool); err != nil {
			t.Fatalf("seed %d: %v", i+1, err)
		}
		counts := RowCounts(t, pool, tables...)
		if i == 0 {
			first = counts
		} else if fmt.Sprint(counts) != fmt.Sprint(first) {
			t.Fatalf("a second seed changed the counts of %v: %v, then %v", tables, first, counts)
		}
	}
	return first
}
