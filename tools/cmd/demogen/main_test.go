package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/all"
	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// demogen writes a whole world into seven fresh databases, and a second
// run without -reset leaves them as they are.
func TestWritesAWorldIntoEveryDatabase(t *testing.T) {
	ctx := context.Background()
	getenv, urls := freshDatabases(t)
	count := func(name, query string) int {
		t.Helper()
		conn, err := pgx.Connect(ctx, urls[name])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, query).Scan(&n); err != nil {
			t.Fatalf("%s: %s: %v", name, query, err)
		}
		return n
	}
	counts := func() []int {
		return []int{
			count("users", `SELECT count(*) FROM users`),
			count("products", `SELECT count(*) FROM products`),
			count("orders", `SELECT count(*) FROM orders`),
			count("payments", `SELECT count(*) FROM payments`),
			count("inventory", `SELECT count(*) FROM reservations`),
			count("notifications", `SELECT count(*) FROM messages`),
			count("analytics", `SELECT count(*) FROM events`),
		}
	}

	var out bytes.Buffer
	if err := run(ctx, []string{"-scale", "1", "-until", "2026-11-30", "-reset"}, getenv, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	first := counts()
	want := []int{demo.CustomersPerScale + len(demo.StaffRoles), demo.ProductsPerScale, demo.OrdersPerScale, demo.OrdersPerScale, demo.OrdersPerScale}
	for i, n := range want {
		if first[i] != n {
			t.Errorf("counts %v, want %v first", first, want)
		}
	}
	if first[5] == 0 || first[6] == 0 {
		t.Errorf("no notification history or analytics events: %v", first)
	}
	// Another day's world would reuse the same ids for other orders: the
	// databases keep the one they have.
	out.Reset()
	if err := run(ctx, []string{"-scale", "1", "-until", "2026-12-01"}, getenv, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if again := counts(); !slices.Equal(again, first) {
		t.Errorf("second run changed the counts: %v, then %v", first, again)
	}
}

// freshDatabases names a new database per subgraph, dropped when the test
// ends, and the environment that points demogen at them.
func freshDatabases(t testing.TB) (func(string) string, map[string]string) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	env := map[string]string{}
	urls := map[string]string{}
	for _, d := range all.Defs {
		u, err := postgres.WithDatabase(pgtest.AdminURL(), "demogen_"+hex.EncodeToString(b)+"_"+d.Name)
		if err != nil {
			t.Fatal(err)
		}
		env[strings.ToUpper(d.Name)+"_DATABASE_URL"], urls[d.Name] = u, u
		t.Cleanup(func() {
			if err := drop(context.Background(), u); err != nil {
				t.Error(err)
			}
		})
	}
	return func(k string) string { return env[k] }, urls
}

// BenchmarkDemogen writes a world of BENCH_DEMO_SCALE (default 10; the
// load-test world is 50) into fresh databases and reports the seconds per
// unit of scale; its output lists each subgraph's time (-v).
func BenchmarkDemogen(b *testing.B) {
	scale := 10
	if v, err := strconv.Atoi(os.Getenv("BENCH_DEMO_SCALE")); err == nil && v > 0 {
		scale = v
	}
	for b.Loop() {
		getenv, _ := freshDatabases(b)
		var out bytes.Buffer
		start := time.Now()
		if err := run(context.Background(), []string{"-scale", strconv.Itoa(scale), "-reset"}, getenv, &out); err != nil {
			b.Fatalf("%v\n%s", err, out.String())
		}
		b.ReportMetric(time.Since(start).Seconds()/float64(scale), "s/scale")
		b.Log("\n" + out.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-scale", "0"},
		{"-scale", "100000"},
		{"-until", "yesterday"},
		{"-only", "users,nosuch"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &out); err == nil {
			t.Errorf("demogen %v: no error", args)
		}
	}
}
