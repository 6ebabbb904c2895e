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
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/myshop/supergraph/router"
	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/supergraph"
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
	// The subgraph names the environment may give URLs for.
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
	r, err := router.New(ctx, set, router.Options{Stdout: stdout})
	if err != nil {
		return err
	}
	defer r.Close()
	ln, err := net.Listen("tcp", set.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return r.Serve(ctx, ln, r)
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
