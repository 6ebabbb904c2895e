// Command router serves the MyShop supergraph over HTTP, or composes it:
//
//	router [--supergraph PATH]                      serve
//	router compose [-config schema/subgraphs.json] [-out schema/supergraph.graphql] [-check]
//
// Serving reads the environment: ROUTER_LISTEN_ADDR, ROUTER_SUPERGRAPH,
// ROUTER_SUBGRAPH_<NAME>_URL, INTROSPECTION_DISABLED=true,
// ROUTER_PLAYGROUND_DISABLED=true, ROUTER_SUPERGRAPH_POLL (how often the
// supergraph file is checked for changes, default 1s, 0 disables reloading)
// and ROUTER_JWKS_URL (the key set access tokens are verified with, default
// the users subgraph's http://127.0.0.1:4001/.well-known/jwks.json).
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

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/server"
	"github.com/myshop/supergraph/router/supergraph"
	"github.com/myshop/supergraph/subgraphs/platform/auth"
)

// DefaultJWKSURL is where the users subgraph publishes its signing keys.
const DefaultJWKSURL = "http://127.0.0.1:4001/.well-known/jwks.json"

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
	path := fs.String("supergraph", envOr(getenv, "ROUTER_SUPERGRAPH", "schema/supergraph.graphql"), "supergraph SDL file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	addr := envOr(getenv, "ROUTER_LISTEN_ADDR", "127.0.0.1:4000")
	log := slog.New(slog.NewJSONHandler(stdout, nil))

	sdl, err := os.ReadFile(*path)
	if err != nil {
		return fmt.Errorf("read supergraph: %w", err)
	}
	sg, err := supergraph.Parse(string(sdl))
	if err != nil {
		return err
	}
	poll, err := time.ParseDuration(envOr(getenv, "ROUTER_SUPERGRAPH_POLL", "1s"))
	if err != nil {
		return fmt.Errorf("ROUTER_SUPERGRAPH_POLL: %w", err)
	}
	jwksURL := envOr(getenv, "ROUTER_JWKS_URL", DefaultJWKSURL)
	subgraphURL := func(name string) string { return getenv("ROUTER_SUBGRAPH_" + envName(name) + "_URL") }
	cfg := server.Config{
		Supergraph:           string(sdl),
		SubgraphURL:          subgraphURL,
		DisableIntrospection: getenv("INTROSPECTION_DISABLED") == "true",
		DisablePlayground:    getenv("ROUTER_PLAYGROUND_DISABLED") == "true",
		// Keys are fetched on first use, so the router starts before the
		// users subgraph; tokens fail verification until it answers.
		Verifier: auth.NewVerifier(auth.NewJWKS(jwksURL, nil)),
	}
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	subgraphs := map[string]string{}
	for _, sub := range sg.Subgraphs {
		subgraphs[sub.Name] = sub.URL
		if u := subgraphURL(sub.Name); u != "" {
			subgraphs[sub.Name] = u
		}
	}
	log.Info("config", "listen_addr", addr, "supergraph", *path, "subgraphs", subgraphs,
		"introspection", !cfg.DisableIntrospection, "playground", !cfg.DisablePlayground, "supergraph_poll", poll.String(), "jwks_url", jwksURL)
	if poll > 0 {
		go watchFile(ctx, *path, poll, sdl, func(b []byte) error { return srv.Reload(string(b)) }, log)
	}

	httpServer := &http.Server{Addr: addr, Handler: srv, ReadHeaderTimeout: 10 * time.Second}
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

// envName turns a subgraph name into its env var part: "users" → "USERS".
func envName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, name)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
