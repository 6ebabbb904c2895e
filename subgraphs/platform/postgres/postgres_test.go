package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// The migration records the limits it ran under.
var migrations = fstest.MapFS{"00001_limits.sql": {Data: []byte(`-- +goose Up
CREATE TABLE migration_limits AS
SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('lock_timeout') AS lock_timeout;
`)}}

// A statement running past the pool's statement_timeout is cancelled by
// Postgres with query_canceled (57014), whatever the caller's context.
func TestStatementTimeout(t *testing.T) {
	pool := pgtest.NewPool(t, migrations)
	ctx := context.Background()
	var st, lt string
	if err := pool.QueryRow(ctx, `SELECT current_setting('statement_timeout'), current_setting('lock_timeout')`).Scan(&st, &lt); err != nil {
		t.Fatal(err)
	}
	if st != postgres.StatementTimeout || lt != postgres.LockTimeout {
		t.Errorf("pool connection: statement_timeout %s, lock_timeout %s; want %s, %s", st, lt, postgres.StatementTimeout, postgres.LockTimeout)
	}

	_, err := pool.Exec(ctx, `SELECT pg_sleep(3)`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" || !strings.Contains(pgErr.Message, "statement timeout") {
		t.Fatalf("pg_sleep(3) under a %s statement_timeout: got %v, want 57014 canceling statement due to statement timeout", postgres.StatementTimeout, err)
	}

	// A long job lifts it for its own transaction only.
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT current_setting('statement_timeout')`).Scan(&st)
	})
	if err != nil || st != "0" {
		t.Fatalf("SET LOCAL: %v, statement_timeout %q", err, st)
	}
	if err := pool.QueryRow(ctx, `SELECT current_setting('statement_timeout')`).Scan(&st); err != nil || st != postgres.StatementTimeout {
		t.Fatalf("after the transaction: %v, statement_timeout %q, want %s back", err, st, postgres.StatementTimeout)
	}
}

// Migrations run without the request limits: an index build on a grown
// table may take minutes.
func TestMigrationsRunWithoutTimeouts(t *testing.T) {
	pool := pgtest.NewPool(t, migrations)
	var st, lt string
	if err := pool.QueryRow(context.Background(), `SELECT statement_timeout, lock_timeout FROM migration_limits`).Scan(&st, &lt); err != nil {
		t.Fatal(err)
	}
	if st != "0" || lt != "0" {
		t.Errorf("migration ran with statement_timeout %s, lock_timeout %s; want 0, 0", st, lt)
	}
}
