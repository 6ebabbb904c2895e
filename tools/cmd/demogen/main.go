// Command demogen writes a demo world (package demo) into every
// subgraph's database: `make demo SCALE=50` for load tests. Each subgraph
// writes its own share by COPY, all seven at once; nothing goes through
// the API. The databases are the ones the subgraphs use
// (<NAME>_DATABASE_URL, else DATABASE_URL's server with myshop_<name>).
//
//	demogen -scale 50 -reset
//
// A database holds one world: without -reset, a subgraph whose database
// already has one keeps it. -reset drops and recreates the databases
// first.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/myshop/supergraph/subgraphs/all"
	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demogen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	fs := flag.NewFlagSet("demogen", flag.ContinueOnError)
	fs.SetOutput(out)
	scale := fs.Int("scale", 1, fmt.Sprintf("size of the world: %d products, %d customers and %d orders per unit (1 to %d)",
		demo.ProductsPerScale, demo.CustomersPerScale, demo.OrdersPerScale, demo.MaxScale))
	seed := fs.Uint64("seed", demo.DefaultSeed, "random seed: the same seed, scale and -until give the same world")
	until := fs.String("until", "", "last day of the history, YYYY-MM-DD (default: yesterday, so the history ends today at 00:00 UTC)")
	only := fs.String("only", "", "comma-separated subgraphs to write (default: all)")
	reset := fs.Bool("reset", false, "drop and recreate the databases first (their data is lost)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := demo.Options{Seed: *seed, Scale: *scale}
	if *until != "" {
		day, err := time.Parse(time.DateOnly, *until)
		if err != nil {
			return fmt.Errorf("-until %q: want YYYY-MM-DD", *until)
		}
		opts.Until = day.AddDate(0, 0, 1)
	}
	defs, err := pick(*only)
	if err != nil {
		return err
	}

	start := time.Now()
	w, err := demo.New(opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "world: scale %d, seed %d, history %s to %s: %d products, %d variants, %d customers, %d orders, %d sessions (built in %s)\n",
		w.Scale, w.Seed, w.Until.AddDate(0, 0, -demo.HistoryDays).Format(time.DateOnly), w.Until.Format(time.DateOnly),
		len(w.Catalog.Products), w.Variants(), len(w.Customers), len(w.Orders), len(w.Sessions), time.Since(start).Round(time.Millisecond))

	g, ctx := errgroup.WithContext(ctx)
	var outMu sync.Mutex // the seven report as they finish
	for _, d := range defs {
		cfg, err := subgraph.ConfigFromEnv(d, getenv)
		if err != nil {
			return err
		}
		g.Go(func() error {
			began := time.Now()
			if err := write(ctx, d, cfg.DatabaseURL, w, *reset); err != nil {
				return fmt.Errorf("%s: %w", d.Name, err)
			}
			outMu.Lock()
			defer outMu.Unlock()
			fmt.Fprintf(out, "  %-14s %s  (%s)\n", d.Name, postgres.Redact(cfg.DatabaseURL), time.Since(began).Round(time.Millisecond))
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	fmt.Fprintf(out, "done in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// pick is the subgraphs named in only, or all of them.
func pick(only string) ([]subgraph.Def, error) {
	if only == "" {
		return all.Defs, nil
	}
	var out []subgraph.Def
	for _, name := range strings.Split(only, ",") {
		found := false
		for _, d := range all.Defs {
			if d.Name == strings.TrimSpace(name) {
				out, found = append(out, d), true
			}
		}
		if !found {
			return nil, fmt.Errorf("-only: no subgraph %q", name)
		}
	}
	return out, nil
}

// write migrates d's database (recreated first when reset) and seeds w
// into it.
func write(ctx context.Context, d subgraph.Def, url string, w *demo.World, reset bool) error {
	if reset {
		if err := drop(ctx, url); err != nil {
			return err
		}
	}
	if err := postgres.CreateDatabase(ctx, url); err != nil {
		return err
	}
	pool, err := postgres.Open(ctx, url, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool, d.Migrations); err != nil {
		return err
	}
	// Seeds run long statements (bulk copies, rollups): no request limits.
	p, err := postgres.Unlimited(ctx, pool)
	if err != nil {
		return err
	}
	defer p.Close()
	return d.Seed(ctx, p, w)
}

// drop removes url's database, disconnecting whoever is on it.
func drop(ctx context.Context, url string) error {
	name, err := postgres.DatabaseName(url)
	if err != nil {
		return err
	}
	if name == "postgres" {
		return errors.New("refusing to drop the postgres database: set <NAME>_DATABASE_URL or DATABASE_URL to a server, not a database")
	}
	admin, err := postgres.WithDatabase(url, "postgres")
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", postgres.Redact(admin), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}
