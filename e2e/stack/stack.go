// Package stack runs the whole supergraph inside a test process: every
// subgraph on its own fresh, seeded database behind an httptest server, and
// the router in front of them, composed from the checked-in supergraph.
package stack

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/myshop/supergraph/router"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/subgraphs/all"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/users"
)

// Stack is a running supergraph.
type Stack struct {
	Router    *httptest.Server
	Subgraphs map[string]*Subgraph
}

// Subgraph is one running subgraph and what it has been asked.
type Subgraph struct {
	Server     *httptest.Server
	Pool       *pgxpool.Pool
	Statements *postgres.StatementCounter // SQL statements its pool ran
	requests   atomic.Int64
	handler    http.Handler
}

// Requests is how many GraphQL requests the subgraph has received.
func (s *Subgraph) Requests() int64 { return s.requests.Load() }

// ResetCounts zeroes the request and statement counters.
func (s *Subgraph) ResetCounts() { s.requests.Store(0); s.Statements.Reset() }

func (s *Subgraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/graphql" {
		s.requests.Add(1)
	}
	s.handler.ServeHTTP(w, r)
}

// Options tune a stack.
type Options struct {
	// LoaderWait is the subgraphs' dataloader window; tests that count
	// statements widen it so a loaded machine cannot split a batch.
	LoaderWait time.Duration
	// Log receives every component's logs; nil discards them.
	Log *slog.Logger
	// Env is the subgraphs' own settings (e.g. NOTIFICATIONS_SMTP_ADDR).
	Env map[string]string
	// Background runs what subgraphs do beside serving: the outbox relays,
	// the notifications consumer, sweepers. Off by default: most tests
	// want no traffic they did not cause.
	Background bool
	// Router adjusts the router's configuration (protections, rate
	// limits) before it starts. It starts as `make run`'s: dev on, the
	// stack's subgraphs, users' key set and the stack's Redis.
	Router func(*config.Config)
	// World is the demo world every subgraph seeds; nil is demo.Default().
	World *demo.World
}

// Start runs a stack until the test ends.
func Start(t testing.TB, opts Options) *Stack {
	t.Helper()
	if opts.LoaderWait == 0 {
		opts.LoaderWait = subgraph.DefaultLoaderWait
	}
	if opts.World == nil {
		opts.World = demo.Default()
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	st := &Stack{Subgraphs: map[string]*Subgraph{}}
	// Settings the test gave win; then where the subgraphs started so far
	// can be reached (orders calls products, inventory, payments and users'
	// token endpoint), and the orders service secret both sides share.
	started := map[string]string{
		"ORDERS_CLIENT_SECRET":  "e2e-orders-secret",
		"USERS_SERVICE_CLIENTS": "orders=e2e-orders-secret",
	}
	// Each subgraph reads a copy made when it starts: its background jobs
	// read settings while later subgraphs are still being added.
	getenvNow := func() func(string) string {
		snapshot := maps.Clone(started)
		return func(k string) string {
			if v, ok := opts.Env[k]; ok {
				return v
			}
			return snapshot[k]
		}
	}
	// One Redis namespace for the whole stack: the event stream is shared.
	_, prefix := redistest.New(t)
	urls := map[string]string{}
	for _, d := range all.Defs {
		sg := &Subgraph{Statements: &postgres.StatementCounter{}}
		pool, err := postgres.Open(ctx, pgtest.NewDatabase(t, d.Migrations), sg.Statements)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		sg.Pool = pool
		if err := d.Seed(ctx, pool, opts.World); err != nil {
			t.Fatalf("%s: seed: %v", d.Name, err)
		}
		rdb, _ := redistest.New(t)
		var verifier *auth.Verifier
		if u := st.Subgraphs[users.Def.Name]; u != nil { // users comes first: the others use its keys
			verifier = auth.NewVerifier(auth.NewJWKS(u.Server.URL+users.JWKSPath, nil))
		}
		deps := subgraph.Deps{Pool: pool, Log: log, LoaderWait: opts.LoaderWait,
			Redis: rdb, RedisPrefix: prefix, Verifier: verifier, Getenv: getenvNow()}
		sg.handler = subgraph.Routes(d.Handler(deps), pool)
		if opts.Background {
			done := make(chan struct{})
			go func() { defer close(done); subgraph.Background(ctx, d, deps) }()
			t.Cleanup(func() { cancel(); <-done })
		}
		sg.Server = httptest.NewServer(sg)
		t.Cleanup(sg.Server.Close)
		sg.ResetCounts()
		st.Subgraphs[d.Name] = sg
		urls[d.Name] = sg.Server.URL + "/graphql"
		started["ORDERS_"+strings.ToUpper(d.Name)+"_URL"] = urls[d.Name]
		if d.Name == users.Def.Name {
			started["ORDERS_TOKEN_URL"] = sg.Server.URL + users.TokenPath
		}
	}

	// The router is built as `make run` builds it (router.New); it refuses
	// a bad token itself, before any subgraph call, with keys from the
	// users subgraph's JWKS, and listens to orders' status channels itself
	// (live order tracking), under the stack's prefix.
	rcfg := config.Defaults()
	rcfg.Introspection, rcfg.Playground = ptr(true), ptr(true)
	rcfg.Supergraph.Path = filepath.Join(RepoRoot(t), "schema", "supergraph.graphql")
	rcfg.Supergraph.PollInterval = -1
	rcfg.JWKSURL = st.Subgraphs[users.Def.Name].Server.URL + users.JWKSPath
	rcfg.RedisURL, rcfg.RedisPrefix, rcfg.Subscriptions.ChannelPrefix = redistest.URL(), prefix+"router:", prefix
	rcfg.Subgraphs = map[string]config.Subgraph{}
	for name, u := range urls {
		rcfg.Subgraphs[name] = config.Subgraph{URLs: []string{u}}
	}
	if opts.Router != nil {
		opts.Router(&rcfg)
	}
	rt, err := router.New(ctx, rcfg, router.Options{Log: log})
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	st.Router = httptest.NewUnstartedServer(nil)
	st.Router.Config = rt.HTTPServer(rt)
	st.Router.Start()

	t.Cleanup(st.Router.Close)
	return st
}

func ptr[T any](v T) *T { return &v }

// RepoRoot is the directory holding go.work, found from the working
// directory up.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the working directory")
		}
		dir = parent
	}
}
