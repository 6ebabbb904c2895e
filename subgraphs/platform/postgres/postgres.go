// Package postgres is the plumbing every subgraph's store shares: a pgx pool,
// its database created on first start, and embedded migrations run by goose.
package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
)

// Limits every pooled connection starts with. A request's statements must
// end well inside the router's subgraph timeout (3s): a runaway query or a
// lock queue is cut off by Postgres itself rather than holding a connection
// and a backend after the client has gone. Jobs that need longer (the
// analytics backfill and export, migrations) say so with SET LOCAL in
// their own transaction.
const (
	StatementTimeout = "2s"
	LockTimeout      = "1s"
)

// Open connects a pool to databaseURL and checks that it answers. Its
// statements are traced (PgxTracer), counted per request
// (CountStatements) and limited by
// StatementTimeout and LockTimeout. tracer may be nil; tests pass a
// StatementCounter.
func Open(ctx context.Context, databaseURL string, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	tracers := []pgx.QueryTracer{PgxTracer{Database: cfg.ConnConfig.Database}, requestStatements{}}
	if tracer != nil {
		tracers = append(tracers, tracer)
	}
	cfg.ConnConfig.Tracer = multitracer.New(tracers...)
	// Startup parameters: set by the server before the first statement, on
	// every connection the pool makes, at no extra round trip. A URL that
	// sets its own (?statement_timeout=5s) keeps it.
	for k, v := range map[string]string{"statement_timeout": StatementTimeout, "lock_timeout": LockTimeout} {
		if _, ok := cfg.ConnConfig.RuntimeParams[k]; !ok {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping %s: %w", Redact(databaseURL), err)
	}
	return pool, nil
}

// Migrate applies every migration in migrations (goose SQL files at its root)
// that the database has not seen yet. It runs on connections of its own
// without the pool's statement and lock timeouts: an index build on a
// grown table may take minutes, and it runs before the subgraph serves.
func Migrate(ctx context.Context, pool *pgxpool.Pool, migrations fs.FS) error {
	mpool, err := Unlimited(ctx, pool)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer mpool.Close()
	db := stdlib.OpenDBFromPool(mpool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Unlimited is a one-connection pool on pool's database without the
// statement and lock timeouts, for the jobs a process runs before it
// serves (migrations, the demo seed). The caller closes it.
func Unlimited(ctx context.Context, pool *pgxpool.Pool) (*pgxpool.Pool, error) {
	cfg := pool.Config()
	cfg.MaxConns = 1
	cfg.MinConns = 0
	cfg.MinIdleConns = 0
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = "0"
	cfg.ConnConfig.RuntimeParams["lock_timeout"] = "0"
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pool without timeouts: %w", err)
	}
	return p, nil
}

// CreateDatabase creates the database that databaseURL names if it does not
// exist yet, connecting to the server's "postgres" database to do it.
func CreateDatabase(ctx context.Context, databaseURL string) error {
	name, err := DatabaseName(databaseURL)
	if err != nil {
		return err
	}
	admin, err := WithDatabase(databaseURL, "postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", Redact(admin), err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	// Two processes starting at once may both try; the loser's duplicate is fine.
	if err != nil && !strings.Contains(err.Error(), "42P04") {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// WithDatabase returns databaseURL with its database name replaced by name.
func WithDatabase(databaseURL, name string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// DatabaseName is the database that databaseURL names.
func DatabaseName(databaseURL string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", fmt.Errorf("database url %s names no database", Redact(databaseURL))
	}
	return name, nil
}

// Redact hides the password in a database URL, for logs.
func Redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}
