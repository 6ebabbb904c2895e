// Package pgtest gives each test its own real Postgres database, cloned from
// a template migrated once per set of migrations, so tests run in parallel
// without seeing each other's rows.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// AdminURL is the server tests use: TEST_DATABASE_URL, else DATABASE_URL,
// else the local default. Its database part is ignored.
func AdminURL() string {
	for _, k := range []string{"TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates a fresh database with migrations applied and returns
// its URL. It is dropped when the test ends.
func NewDatabase(t testing.TB, migrations fs.FS) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	admin, err := postgres.WithDatabase(AdminURL(), "postgres")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to Postgres (is it running? see README): %v", err)
	}
	defer conn.Close(ctx)

	tpl, err := template(ctx, conn, admin, migrations)
	if err != nil {
		t.Fatalf("pgtest: template: %v", err)
	}
	name := "test_" + randomHex(8)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tpl)); err != nil {
		t.Fatalf("pgtest: clone %s: %v", tpl, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	url, err := postgres.WithDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// NewPool is NewDatabase plus a pool on it, closed when the test ends.
func NewPool(t testing.TB, migrations fs.FS) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), NewDatabase(t, migrations), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// template returns the name of a database migrated with migrations, making
// it on first use. Its name is a hash of the migrations, so a changed
// migration gets a new template; an advisory lock keeps parallel test
// binaries from building the same one twice.
func template(ctx context.Context, conn *pgx.Conn, admin string, migrations fs.FS) (string, error) {
	sum, err := hashFS(migrations)
	if err != nil {
		return "", err
	}
	name := "tpl_" + sum[:16]
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", name); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(hashtext($1))", name) //nolint:errcheck // released with the connection anyway

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up: %w", err)
	}
	if exists {
		return name, nil
	}
	// Build under a temporary name and rename when done, so a crash halfway
	// never leaves a half-migrated template behind a valid name.
	building := name + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	url, err := postgres.WithDatabase(admin, building)
	if err != nil {
		return "", err
	}
	pool, err := postgres.Open(ctx, url, nil)
	if err != nil {
		return "", err
	}
	err = postgres.Migrate(ctx, pool, migrations)
	pool.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", fmt.Errorf("rename: %w", err)
	}
	return name, nil
}

func hashFS(fsys fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
