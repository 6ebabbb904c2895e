package users_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/users"
	pgstore "github.com/myshop/supergraph/subgraphs/users/postgres"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// A deployment's first start makes one admin and says its password once;
// later starts make none.
func TestBootstrapAdmin(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	var logs bytes.Buffer
	d := subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx := context.Background()
	for range 2 {
		if err := users.Def.Bootstrap(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(logs.String(), "created the first admin"); n != 1 {
		t.Fatalf("admin announced %d times:\n%s", n, logs.String())
	}
	i := strings.Index(logs.String(), "password=")
	password := strings.Fields(logs.String()[i+len("password="):])[0]
	store := pgstore.New(pool)
	c, err := store.CredentialsByEmail(ctx, pgstore.AdminEmail)
	if err != nil {
		t.Fatal(err)
	}
	if !user.PasswordMatches(c.PasswordHash, password) {
		t.Fatalf("the logged password does not match the admin's")
	}
	var role string
	if err := pool.QueryRow(ctx, `SELECT role FROM user_roles WHERE user_id = $1`, c.User.ID).Scan(&role); err != nil || role != "admin" {
		t.Fatalf("role %q, %v", role, err)
	}
}
