// Package subgraph starts a subgraph the same way for all seven: config from
// the environment, its database created and migrated, GraphQL plus health
// and readiness on one HTTP server, and a graceful stop.
package subgraph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/telemetry"
	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/outbox"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// Def is what a subgraph is to the code that starts it. Each subgraph
// package exports one.
type Def struct {
	Name       string // "users"; also the env prefix USERS_ and the database myshop_users
	Port       int    // default listen port
	Migrations fs.FS  // goose SQL files at the root
	// Seed writes the subgraph's share of a demo world (see package
	// demo): deterministic, in bulk, and idempotent.
	Seed func(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error
	// Outbox says the subgraph records events in an outbox table, which a
	// relay publishes to Redis while the subgraph runs.
	Outbox bool
	// Background, when set, runs beside the server until it stops
	// (schedulers such as payouts).
	Background func(ctx context.Context, d Deps)
	// Handler serves the subgraph's own endpoints: /graphql and any others
	// (the users subgraph's JWKS). Routes adds /health and /ready.
	Handler func(Deps) http.Handler
	// Bootstrap, when set, runs once after start in a subgraph's own
	// process (Run), not in stacks that set up their own state (make run,
	// tests): the users subgraph makes the first admin there.
	Bootstrap func(ctx context.Context, d Deps) error
}

// Deps is what a subgraph's handler is built from.
type Deps struct {
	Pool *pgxpool.Pool
	Log  *slog.Logger
	// LoaderWait is how long a dataloader gathers keys before it queries:
	// longer batches more reliably under load, shorter answers sooner.
	LoaderWait time.Duration
	// Redis holds state shared by replicas (rate-limit counters, later
	// events); RedisPrefix namespaces this deployment's keys in it.
	Redis       *redis.Client
	RedisPrefix string
	// Verifier checks the access tokens the users subgraph issues, with
	// keys from its JWKS.
	Verifier *auth.Verifier
	// Getenv reads the subgraph's own settings (a provider's URL, a
	// webhook secret): the environment in a process, a map in tests.
	Getenv func(string) string
}

// Setting is the subgraph's own setting key, or def when it is unset.
func (d Deps) Setting(key, def string) string {
	if d.Getenv != nil {
		if v := d.Getenv(key); v != "" {
			return v
		}
	}
	return def
}

// Authenticated puts the verified claims of a request's bearer token in
// its context; a bad token is answered 401 before h runs.
func Authenticated(d Deps, h http.Handler) http.Handler {
	return auth.Middleware(d.Verifier, h)
}

// DefaultLoaderWait is LoaderWait unless LOADER_WAIT says otherwise. Every
// batched level of a request waits it out once, so it adds up along a page
// (a product page has three levels); a busy machine may start a level's
// resolvers over a window apart and split its batch, which costs one more
// statement, never one per item; where a parent knows a level's keys it
// fills the loader itself (batch.Loader.Fill), and the wait does not count.
// 1ms keeps the product page within its 15ms p99
// (bench/product_page_test.go). Tests that count statements use it too.
const DefaultLoaderWait = time.Millisecond

// Config is where a subgraph listens and which database it owns.
type Config struct {
	ListenAddr  string
	DatabaseURL string
	SeedDemo    bool
	LoaderWait  time.Duration
	RedisURL    string
	JWKSURL     string
	// Tracing is where spans go (telemetry.Setup; exporter "none" unless
	// OTEL_TRACES_EXPORTER says otherwise). Its ServiceName is the
	// subgraph's name.
	Tracing telemetry.Config
}

// DefaultDatabaseURL is the server used when DATABASE_URL is not set.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// DefaultJWKSURL is where the users subgraph publishes its token keys
// when USERS_JWKS_URL does not say otherwise.
const DefaultJWKSURL = "http://127.0.0.1:4001/.well-known/jwks.json"

// DefaultRedisURL is the Redis used when REDIS_URL is not set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// ConfigFromEnv reads <NAME>_LISTEN_ADDR, <NAME>_DATABASE_URL (else the
// server of DATABASE_URL with database myshop_<name>), REDIS_URL,
// USERS_JWKS_URL, SEED_DEMO_DATA, LOADER_WAIT and the tracing settings
// OTEL_TRACES_EXPORTER (none, stdout, otlp), OTEL_EXPORTER_OTLP_ENDPOINT
// and OTEL_TRACES_SAMPLER_ARG (the share of new traces kept, default 1),
// named as OpenTelemetry's SDKs name them.
func ConfigFromEnv(d Def, getenv func(string) string) (Config, error) {
	prefix := strings.ToUpper(d.Name) + "_"
	cfg := Config{
		ListenAddr:  getenv(prefix + "LISTEN_ADDR"),
		DatabaseURL: getenv(prefix + "DATABASE_URL"),
		SeedDemo:    getenv("SEED_DEMO_DATA") == "1" || getenv("SEED_DEMO_DATA") == "true",
	}
	cfg.RedisURL = getenv("REDIS_URL")
	if cfg.RedisURL == "" {
		cfg.RedisURL = DefaultRedisURL
	}
	cfg.JWKSURL = getenv("USERS_JWKS_URL")
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = DefaultJWKSURL
	}
	cfg.LoaderWait = DefaultLoaderWait
	if v := getenv("LOADER_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return Config{}, fmt.Errorf("LOADER_WAIT %q is not a duration like 1ms", v)
		}
		cfg.LoaderWait = d
	}
	cfg.Tracing = telemetry.Config{ServiceName: d.Name, Exporter: getenv("OTEL_TRACES_EXPORTER"),
		Endpoint: getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), SampleRatio: 1, Stdout: os.Stderr}
	switch cfg.Tracing.Exporter {
	case "":
		cfg.Tracing.Exporter = telemetry.ExporterNone
	case telemetry.ExporterNone, telemetry.ExporterStdout:
	case telemetry.ExporterOTLP:
		if cfg.Tracing.Endpoint == "" {
			return Config{}, errors.New("OTEL_TRACES_EXPORTER=otlp needs OTEL_EXPORTER_OTLP_ENDPOINT (http://collector:4318)")
		}
	default:
		return Config{}, fmt.Errorf("OTEL_TRACES_EXPORTER %q: want none, stdout or otlp", cfg.Tracing.Exporter)
	}
	if v := getenv("OTEL_TRACES_SAMPLER_ARG"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return Config{}, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG %q: want a ratio from 0 to 1", v)
		}
		cfg.Tracing.SampleRatio = r
	}
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = fmt.Sprintf("127.0.0.1:%d", d.Port)
	}
	if cfg.DatabaseURL == "" {
		base := getenv("DATABASE_URL")
		if base == "" {
			base = DefaultDatabaseURL
		}
		u, err := postgres.WithDatabase(base, "myshop_"+d.Name)
		if err != nil {
			return Config{}, fmt.Errorf("DATABASE_URL: %w", err)
		}
		cfg.DatabaseURL = u
	}
	return cfg, nil
}

// LogValue prints the config with the database password masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("listen_addr", c.ListenAddr),
		slog.String("database_url", postgres.Redact(c.DatabaseURL)),
		slog.Bool("seed_demo", c.SeedDemo),
		slog.Duration("loader_wait", c.LoaderWait),
		slog.String("redis_url", redactRedis(c.RedisURL)),
		slog.String("users_jwks_url", c.JWKSURL),
		slog.String("tracing", c.Tracing.Exporter),
	)
}

// Open creates the subgraph's database if needed, connects, migrates and,
// when asked, seeds it. The caller closes the pool.
func Open(ctx context.Context, d Def, cfg Config) (*pgxpool.Pool, error) {
	if err := postgres.CreateDatabase(ctx, cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	pool, err := postgres.Open(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	if err := postgres.Migrate(ctx, pool, d.Migrations); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	if cfg.SeedDemo {
		if err := seed(ctx, d, pool); err != nil {
			pool.Close()
			return nil, fmt.Errorf("%s: seed: %w", d.Name, err)
		}
	}
	return pool, nil
}

// seed runs d.Seed without the request timeouts: the demo catalogue's bulk
// inserts run once, before the subgraph serves, on a machine that may be
// busy starting six others.
func seed(ctx context.Context, d Def, pool *pgxpool.Pool) error {
	p, err := postgres.Unlimited(ctx, pool)
	if err != nil {
		return err
	}
	defer p.Close()
	return d.Seed(ctx, p, demo.Default())
}

// Routes is RoutesFor a subgraph whose metrics carry no subgraph label.
func Routes(h http.Handler, pool *pgxpool.Pool) http.Handler { return RoutesFor("", h, pool) }

// RoutesFor serves the subgraph's handler, liveness at /health, readiness
// (the database answers) at /ready and Prometheus metrics at /metrics
// (requests by operation and outcome, latency, the database pool, the Go
// runtime), each labelled subgraph=name. Requests continue the caller's
// trace (traceparent) in a server span; the probes and /metrics do not.
func RoutesFor(name string, h http.Handler, pool *pgxpool.Pool) http.Handler {
	// A registry per subgraph, not the global one: make run serves seven
	// subgraphs from one process, each with its own /metrics.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		postgres.PoolCollector(pool, prometheus.Labels{"subgraph": name}))
	m := gqlserver.NewMetrics(reg, name)
	mux := http.NewServeMux()
	mux.Handle("/", gqlserver.WithMetrics(m, h))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n")) //nolint:errcheck // nothing to do for a gone client
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := pool.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n")) //nolint:errcheck // nothing to do for a gone client
	})
	return telemetry.Middleware(mux, "/health", "/ready", "/metrics")
}

// Serve answers on ln until ctx is done, then lets in-flight requests
// finish for up to 10 seconds.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Started is a subgraph whose database, Redis connection and listener are
// ready; Serve it and run its Background.
type Started struct {
	Deps     Deps
	Listener net.Listener
	Handler  http.Handler // the subgraph's endpoints plus /health and /ready
	URL      string       // of its /graphql
}

// Close releases the database pool and the Redis connection.
func (s *Started) Close() {
	s.Deps.Pool.Close()
	s.Deps.Redis.Close()
}

// Start prepares d as cfg says: database created, migrated (and seeded if
// asked), Redis connected, listener open. Tokens are verified with the key
// set at jwksURL ("" for cfg.JWKSURL).
func Start(ctx context.Context, d Def, cfg Config, getenv func(string) string, log *slog.Logger, jwksURL string) (*Started, error) {
	pool, err := Open(ctx, d, cfg)
	if err != nil {
		return nil, err
	}
	rdb, err := OpenRedis(ctx, cfg.RedisURL)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("%s: %w", d.Name, err)
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		pool.Close()
		rdb.Close()
		return nil, fmt.Errorf("%s: listen: %w", d.Name, err)
	}
	if jwksURL == "" {
		jwksURL = cfg.JWKSURL
	}
	deps := Deps{Pool: pool, Log: log, LoaderWait: cfg.LoaderWait, Redis: rdb, RedisPrefix: RedisPrefix,
		Verifier: auth.NewVerifier(auth.NewJWKS(jwksURL, nil)), Getenv: getenv}
	return &Started{Deps: deps, Listener: ln, Handler: RoutesFor(d.Name, d.Handler(deps), pool), URL: "http://" + ln.Addr().String() + "/graphql"}, nil
}

// Run is a whole subgraph process: config, database, serve until ctx ends.
func Run(ctx context.Context, d Def, getenv func(string) string, log *slog.Logger) error {
	cfg, err := ConfigFromEnv(d, getenv)
	if err != nil {
		return err
	}
	log.Info("starting subgraph", "subgraph", d.Name, "config", cfg)
	shutdown, err := telemetry.Setup(ctx, cfg.Tracing)
	if err != nil {
		return err
	}
	defer func() {
		// Spans still buffered go out before the process ends.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(sctx); err != nil {
			log.Warn("flush traces", "subgraph", d.Name, "err", err)
		}
	}()
	s, err := Start(ctx, d, cfg, getenv, log, "")
	if err != nil {
		return err
	}
	defer s.Close()
	log.Info("subgraph ready", "subgraph", d.Name, "url", s.URL)
	if d.Bootstrap != nil {
		if err := d.Bootstrap(ctx, s.Deps); err != nil {
			return fmt.Errorf("bootstrap: %w", err)
		}
	}
	go Background(ctx, d, s.Deps)
	return Serve(ctx, s.Listener, s.Handler)
}

// Main runs d as a process until SIGINT or SIGTERM and returns the exit
// code. Every cmd/<subgraph>/main.go is this one call.
func Main(d Def) int {
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, d, os.Getenv, log); err != nil {
		log.Error("subgraph stopped", "subgraph", d.Name, "err", err)
		return 1
	}
	return 0
}

// OpenRedis connects to redisURL and checks that it answers.
func OpenRedis(ctx context.Context, redisURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", redactRedis(redisURL), err)
	}
	return rdb, nil
}

func redactRedis(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "(unparsable url)"
	}
	return parsed.Redacted()
}

// RedisPrefix namespaces every key a running stack puts in Redis.
const RedisPrefix = "myshop:"

// Background runs what a subgraph does besides answering requests (the
// outbox relay, its own schedulers) until ctx ends.
func Background(ctx context.Context, d Def, deps Deps) {
	var wg sync.WaitGroup
	if d.Outbox {
		wg.Go(func() {
			outbox.NewRelay(deps.Pool, deps.Redis, deps.RedisPrefix, d.Name, deps.Log).Run(ctx, 250*time.Millisecond)
		})
	}
	if d.Background != nil {
		wg.Go(func() { d.Background(ctx, deps) })
	}
	wg.Wait()
}
