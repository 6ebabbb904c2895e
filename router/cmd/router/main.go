// Command router serves the MyShop supergraph over HTTP, or composes it:
//
//	router [--config router.yaml] [--supergraph PATH] [--print-config]   serve
//	router compose [-config schema/subgraphs.json] [-out schema/supergraph.graphql] [-check]
//
// Settings come from router.yaml (--config, or ROUTER_CONFIG; every field
// has a default, see router/router.example.yaml), then these environment
// variables: ROUTER_LISTEN_ADDR, ROUTER_SUPERGRAPH, ROUTER_SUBGRAPH_<NAME>_URL
// (comma-separated instances), INTROSPECTION_DISABLED,
// ROUTER_PLAYGROUND_DISABLED, ROUTER_SUPERGRAPH_POLL (0 disables
// reloading), ROUTER_JWKS_URL and ROUTER_REDIS_URL (shared rate limits and
// persisted queries). --print-config shows the result, secrets masked.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/metrics"
	"github.com/myshop/supergraph/router/server"
	"github.com/myshop/supergraph/router/supergraph"
	"github.com/myshop/supergraph/subgraphs/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "router:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "compose" {
		return runCompose(args[1:], stdout)
	}
	fs := flag.NewFlagSet("router", flag.ContinueOnError)
	configPath := fs.String("config", getenv("ROUTER_CONFIG"), "router.yaml (all fields optional)")
	path := fs.String("supergraph", "", "supergraph SDL file (overrides supergraph.path)")
	printConfig := fs.Bool("print-config", false, "print the effective configuration, secrets masked, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set, err := config.Load(*configPath, getenv)
	if err != nil {
		return err
	}
	if *path != "" {
		set.Supergraph.Path = *path
	}
	sdl, err := os.ReadFile(set.Supergraph.Path)
	if err != nil {
		return fmt.Errorf("read supergraph: %w", err)
	}
	sg, err := supergraph.Parse(string(sdl))
	if err != nil {
		return err
	}
	var names []string
	for _, sub := range sg.Subgraphs {
		names = append(names, sub.Name)
	}
	set.SubgraphURLsFromEnv(names, getenv)
	if err := set.Validate(); err != nil {
		return err
	}
	if *printConfig {
		return set.Print(stdout)
	}
	// Records logged with a request's context carry its trace_id and span_id.
	log := slog.New(telemetry.LogHandler(slog.NewJSONHandler(stdout, nil)))
	tr := set.Telemetry.Tracing
	shutdownTracing, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: "router", Exporter: tr.Exporter,
		Endpoint: tr.Endpoint, SampleRatio: tr.SampleRatio, Stdout: stdout})
	if err != nil {
		return err
	}
	defer func() {
		// Spans still buffered go out before the process ends.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTracing(sctx); err != nil {
			log.Warn("flush traces", "err", err)
		}
	}()

	var rdb redis.UniversalClient
	if set.RedisURL != "" {
		opts, err := redis.ParseURL(set.RedisURL)
		if err != nil {
			return fmt.Errorf("redis_url: %w", err)
		}
		// Short timeouts: a slow Redis must cost a request milliseconds, not
		// seconds; the rate limiter then decides locally.
		opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 100*time.Millisecond, 100*time.Millisecond
		rdb = redis.NewClient(opts)
		defer rdb.Close()
	}
	cfg := server.Config{
		Supergraph: string(sdl),
		SubgraphURL: func(name string) string {
			if s := set.Subgraphs[name]; len(s.URLs) > 0 {
				return s.URLs[0]
			}
			return ""
		},
		DisableIntrospection:          !*set.Introspection,
		DisablePlayground:             !*set.Playground,
		SubscriptionInitTimeout:       set.Subscriptions.InitTimeout.D(),
		SubscriptionWriteTimeout:      set.Subscriptions.WriteTimeout.D(),
		MaxSubscriptionsPerConnection: set.Subscriptions.MaxPerConnection,
		WebSocketPingInterval:         set.Subscriptions.PingInterval.D(),
		// Keys are fetched on first use, so the router starts before the
		// users subgraph; tokens fail verification until it answers.
		Verifier: auth.NewVerifier(auth.NewJWKS(set.JWKSURL, nil)),
		Settings: &set,
		Redis:    rdb,
		Metrics:  metrics.New(),
	}
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	subgraphs := map[string]string{}
	for _, sub := range sg.Subgraphs {
		subgraphs[sub.Name] = sub.URL
		if u := cfg.SubgraphURL(sub.Name); u != "" {
			subgraphs[sub.Name] = strings.Join(set.Subgraphs[sub.Name].URLs, ",")
		}
	}
	log.Info("config", "listen_addr", set.ListenAddr, "config", *configPath, "supergraph", set.Supergraph.Path, "subgraphs", subgraphs,
		"introspection", *set.Introspection, "playground", *set.Playground, "supergraph_poll", set.Supergraph.PollInterval.String(),
		"jwks_url", set.JWKSURL, "redis", rdb != nil, "rate_limit", set.RateLimit.Enabled, "persisted_operations", set.Persisted.Mode,
		"tracing", tr.Exporter)
	if poll := set.Supergraph.PollInterval.D(); poll > 0 {
		go watchFile(ctx, set.Supergraph.Path, poll, sdl, func(b []byte) error { return srv.Reload(string(b)) }, log)
	}

	httpServer := &http.Server{
		Addr: set.ListenAddr,
		// Each request continues the client's trace (traceparent) in a
		// server span, which the subgraph fetches carry on; probes and
		// scrapes are not traced.
		Handler: telemetry.Middleware(srv, "/health", set.Telemetry.MetricsPath),
		// Slowloris: a client dripping its headers is cut off.
		ReadHeaderTimeout: 5 * time.Second,
		MaxHeaderBytes:    set.Limits.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
	}
	// Shutdown neither closes WebSockets nor waits for SSE streams: Drain
	// closes them (1001), so clients reconnect to another instance.
	httpServer.RegisterOnShutdown(srv.Drain)
	errc := make(chan error, 1)
	go func() { errc <- httpServer.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// runCompose writes (or with -check, verifies) the supergraph.
func runCompose(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compose", flag.ContinueOnError)
	config := fs.String("config", "schema/subgraphs.json", "subgraph list; schema paths resolve against the config directory's parent")
	out := fs.String("out", "schema/supergraph.graphql", "where to write the supergraph")
	check := fs.Bool("check", false, "fail if -out differs from a fresh composition instead of writing it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	subgraphs, err := compose.LoadConfig(*config)
	if err != nil {
		return err
	}
	sdl, err := compose.Compose(subgraphs)
	if err != nil {
		return fmt.Errorf("compose: %w", err)
	}
	if _, err := supergraph.Parse(sdl); err != nil {
		return fmt.Errorf("composed supergraph does not load: %w", err)
	}
	if *check {
		current, err := os.ReadFile(*out)
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		if string(current) != sdl {
			return fmt.Errorf("check: %s is stale; run `router compose`", *out)
		}
		fmt.Fprintf(stdout, "%s is up to date\n", *out)
		return nil
	}
	if err := os.WriteFile(*out, []byte(sdl), 0o644); err != nil {
		return fmt.Errorf("write supergraph: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d subgraphs)\n", *out, len(subgraphs))
	return nil
}
