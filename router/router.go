// Package router assembles the MyShop router from its configuration. New is
// the one constructor: the router binary (router/cmd/router), `make run`
// (tools/cmd/devstack), the end-to-end stack (e2e/stack) and the benchmarks
// all build the router with it, so what they test is what users run: the
// same middleware in the same order, /metrics, /health, traces, limits and
// the playground, all decided by config.Config alone.
package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/telemetry"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/metrics"
	"github.com/myshop/supergraph/router/server"
)

// Options are what a process gives the router besides its configuration.
type Options struct {
	// Log receives the router's records; nil logs JSON to Stdout.
	Log *slog.Logger
	// Stdout is where the JSON log and the stdout trace exporter write;
	// nil means os.Stdout.
	Stdout io.Writer
	// Supergraph is the SDL; empty reads cfg.Supergraph.Path (and then
	// watches it when cfg.Supergraph.PollInterval is positive).
	Supergraph string
}

// Router is the assembled router: an http.Handler, and the resources it
// owns until Close.
type Router struct {
	cfg     config.Config
	srv     *server.Server
	handler http.Handler
	closers []func() error
}

// New builds the router cfg describes; cfg comes from config.Load (or
// config.Defaults), so every default is the one package config writes. ctx
// bounds the engine and the supergraph watcher.
func New(ctx context.Context, cfg config.Config, opts Options) (r *Router, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	log := opts.Log
	if log == nil {
		// Records logged with a request's context carry its trace_id and span_id.
		log = slog.New(telemetry.LogHandler(slog.NewJSONHandler(opts.Stdout, nil)))
	}
	r = &Router{cfg: cfg}
	defer func() {
		if err != nil {
			_ = r.Close()
		}
	}()
	sdl, path := opts.Supergraph, ""
	if sdl == "" {
		path = cfg.Supergraph.Path
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read supergraph: %w", err)
		}
		sdl = string(b)
	}
	if tr := cfg.Telemetry.Tracing; tr.Exporter != "none" {
		// "none" leaves the process's tracer provider alone: in `make run`
		// the subgraphs share this process.
		shutdown, err := telemetry.Setup(ctx, telemetry.Config{ServiceName: "router", Exporter: tr.Exporter,
			Endpoint: tr.Endpoint, SampleRatio: tr.SampleRatio, Stdout: opts.Stdout})
		if err != nil {
			return nil, err
		}
		r.closers = append(r.closers, func() error {
			// Spans still buffered go out before the process ends.
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return shutdown(sctx)
		})
	}
	var rdb redis.UniversalClient
	if cfg.RedisURL != "" {
		ro, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("redis_url: %w", err)
		}
		// Short timeouts: a slow Redis must cost a request milliseconds, not
		// seconds; the rate limiter then decides locally. Subscriptions
		// (PubSub) are not bound by the read timeout.
		ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = time.Second, 100*time.Millisecond, 100*time.Millisecond
		c := redis.NewClient(ro)
		rdb = c
		r.closers = append(r.closers, c.Close)
	}
	m := metrics.New()
	srv, err := server.New(ctx, server.Config{
		Supergraph: sdl,
		Settings:   &cfg,
		// Keys are fetched on first use, so the router starts before the
		// users subgraph; tokens fail verification until it answers.
		Verifier: auth.NewVerifier(auth.NewJWKS(cfg.JWKSURL, nil)),
		Redis:    rdb,
		Metrics:  m,
	}, log)
	if err != nil {
		return nil, err
	}
	r.srv = srv
	// Each request continues the client's trace (traceparent) in a server
	// span, which the subgraph fetches carry on; probes and scrapes are not
	// traced.
	r.handler = telemetry.Middleware(srv, "/health", cfg.Telemetry.MetricsPath)
	if poll := cfg.Supergraph.PollInterval.D(); path != "" && poll > 0 {
		go watchFile(ctx, path, poll, []byte(sdl), func(b []byte) error { return srv.Reload(string(b)) }, log)
	}
	log.Info("router", "listen_addr", cfg.ListenAddr, "supergraph", cfg.Supergraph.Path, "introspection", *cfg.Introspection,
		"playground", *cfg.Playground, "redis", rdb != nil, "rate_limit", cfg.RateLimit.Enabled, "max_cost", cfg.Limits.MaxCost,
		"persisted_operations", cfg.Persisted.Mode, "metrics", cfg.Telemetry.MetricsPath, "tracing", cfg.Telemetry.Tracing.Exporter)
	return r, nil
}

// ServeHTTP serves /graphql, /health, /metrics and the playground.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.handler.ServeHTTP(w, req) }

// Reload swaps the supergraph; in-flight requests finish on the old one.
func (r *Router) Reload(sdl string) error { return r.srv.Reload(sdl) }

// HTTPServer is the http.Server the router is served with, around handler
// (the router itself, or a mux that mounts it): header limits, timeouts,
// and open subscription streams drained on Shutdown.
func (r *Router) HTTPServer(handler http.Handler) *http.Server {
	hs := &http.Server{
		Addr:    r.cfg.ListenAddr,
		Handler: handler,
		// Slowloris: a client dripping its headers is cut off.
		ReadHeaderTimeout: 5 * time.Second,
		MaxHeaderBytes:    r.cfg.Limits.MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
	}
	// Shutdown neither closes WebSockets nor waits for SSE streams: Drain
	// closes them (1001), so clients reconnect to another instance.
	hs.RegisterOnShutdown(r.srv.Drain)
	return hs
}

// Serve serves handler on ln until ctx ends, then shuts down gracefully.
func (r *Router) Serve(ctx context.Context, ln net.Listener, handler http.Handler) error {
	hs := r.HTTPServer(handler)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close releases what the router holds (Redis, the trace exporter).
func (r *Router) Close() error {
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		errs = append(errs, r.closers[i]())
	}
	r.closers = nil
	return errors.Join(errs...)
}
