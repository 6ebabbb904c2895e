package users_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"testing"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/users"
	pgstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// subgraphUnderTest is the users handler over a fresh seeded database.
type subgraphUnderTest struct {
	h          http.Handler
	pool       *pgxpool.Pool
	statements *postgres.StatementCounter
}

func newSubgraph(t *testing.T) (http.Handler, *postgres.StatementCounter) {
	s := newSubgraphUnderTest(t)
	return s.h, s.statements
}

func newSubgraphUnderTest(t *testing.T) *subgraphUnderTest { return newBenchSubgraph(t) }

func newBenchSubgraph(t testing.TB) *subgraphUnderTest {
	t.Helper()
	ctx := context.Background()
	counter := &postgres.StatementCounter{}
	pool, err := postgres.Open(ctx, pgtest.NewDatabase(t, pgstore.Migrations), counter)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pgstore.Seed(ctx, pool, demo.Default()); err != nil {
		t.Fatal(err)
	}
	counter.Reset()
	rdb, prefix := redistest.New(t)
	h := users.Handler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoaderWait: subgraph.DefaultLoaderWait, Redis: rdb, RedisPrefix: prefix})
	return &subgraphUnderTest{h: h, pool: pool, statements: counter}
}

func TestUser(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	resp := gqltest.Do(t, h, `{ a: user(id: "usr_0001") { id name } b: user(id: "usr_9999") { id } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	gqltest.JSONEq(t, resp.Data, `{"a":{"id":"usr_0001","name":"Ada Allen"},"b":null}`)
}

func TestEntitiesOneStatement(t *testing.T) {
	t.Parallel()
	h, counter := newSubgraph(t)
	reps := []any{}
	for _, id := range []string{"usr_0003", "usr_9999", "usr_0001", "usr_0003"} {
		reps = append(reps, map[string]any{"__typename": "User", "id": id})
	}
	resp := gqltest.Do(t, h, `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }`, map[string]any{"r": reps})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	gqltest.JSONEq(t, resp.Data, `{"_entities":[{"id":"usr_0003","name":"Alan Liskov"},null,{"id":"usr_0001","name":"Ada Allen"},{"id":"usr_0003","name":"Alan Liskov"}]}`)
	if n := counter.Count(); n != 1 {
		t.Fatalf("statements = %d, want 1", n)
	}
}

func TestSeedIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	for range 2 {
		if err := pgstore.Seed(ctx, pool, demo.Default()); err != nil {
			t.Fatal(err)
		}
	}
	w := demo.Default()
	var n, homes, staff int
	err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE default_shipping_address_id IS NOT NULL),
  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role <> 'customer')) FROM users u`).Scan(&n, &homes, &staff)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(w.Customers)+len(w.Staff) || homes != len(w.Customers) || staff != len(demo.StaffRoles) {
		t.Fatalf("%d users, %d with a home, %d staff; want %d customers with a home and %d staff", n, homes, staff, len(w.Customers), len(w.Staff))
	}
	// Each staff member holds their role's permissions, never an admin's.
	for _, s := range w.Staff {
		var perms []string
		if err := pool.QueryRow(ctx, `SELECT r.permissions FROM user_roles ur JOIN roles r ON r.name = ur.role WHERE ur.user_id = $1`, s.ID).Scan(&perms); err != nil {
			t.Fatalf("%s: %v", s.ID, err)
		}
		if len(perms) == 0 || slices.Contains(perms, "MANAGE_STAFF") {
			t.Errorf("%s (%s) has %v", s.ID, s.Role, perms)
		}
	}
}
