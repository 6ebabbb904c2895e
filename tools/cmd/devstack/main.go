// Command devstack runs the whole supergraph in one process for `make run`:
// every subgraph (databases created, migrated and seeded) and the router in
// front of them. Postgres and Redis must already answer; tools/run.sh finds
// or starts them first.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/myshop/supergraph/subgraphs/all"

	"golang.org/x/sync/errgroup"

	"github.com/myshop/supergraph/router"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/subgraphs/inventory"
	"github.com/myshop/supergraph/subgraphs/notifications"
	"github.com/myshop/supergraph/subgraphs/payments"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/products"
	"github.com/myshop/supergraph/subgraphs/users"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
	shop "github.com/myshop/supergraph/web"
)

// subgraphs are every subgraph the stack runs, in start order.
var subgraphs = all.Defs

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, env func(string) string, stdout io.Writer) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	getenv := withServiceSecret(env)

	g, ctx := errgroup.WithContext(ctx)
	urls := map[string]string{}
	// Orders calls products, inventory, payments and users' token endpoint;
	// point it at where they really listen (started before it), so moving a
	// subgraph's port with <NAME>_LISTEN_ADDR needs no second variable.
	var urlsMu sync.Mutex // subgraphs started earlier read urls from their goroutines
	urlOf := func(name string) string { urlsMu.Lock(); defer urlsMu.Unlock(); return urls[name] }
	getenv = withUpstreams(getenv, urlOf)
	var adminPassword, redisURL string
	for _, d := range subgraphs {
		cfg, err := subgraph.ConfigFromEnv(d, getenv)
		if err != nil {
			return err
		}
		cfg.SeedDemo = true
		log.Info("preparing subgraph", "subgraph", d.Name, "config", cfg)
		// Users comes first: the others verify tokens with its keys (users
		// itself uses its own key ring).
		jwks := ""
		if u := urls[users.Def.Name]; u != "" {
			jwks = strings.TrimSuffix(u, "/graphql") + users.JWKSPath
		}
		sg, err := subgraph.Start(ctx, d, cfg, getenv, log.With("subgraph", d.Name), jwks)
		if err != nil {
			return err
		}
		defer sg.Close()
		if d.Name == users.Def.Name {
			if adminPassword, err = userstore.EnsureAdmin(ctx, sg.Deps.Pool); err != nil {
				return err
			}
		}
		redisURL = cfg.RedisURL // the router shares the subgraphs' Redis
		urlsMu.Lock()
		urls[d.Name] = sg.URL
		urlsMu.Unlock()
		g.Go(func() error { subgraph.Background(ctx, d, sg.Deps); return nil })
		g.Go(func() error { return subgraph.Serve(ctx, sg.Listener, sg.Handler) })
	}

	rcfg, err := routerConfig(getenv, urls, redisURL)
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	// The same assembly as the router binary: /metrics, /health, limits,
	// traces and the playground, from the same configuration type.
	rt, err := router.New(ctx, rcfg, router.Options{Log: log.With("component", "router")})
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	defer rt.Close()
	ln, err := net.Listen("tcp", rcfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("router: listen: %w", err)
	}
	g.Go(func() error { return rt.Serve(ctx, ln, withDevOutbox(withShop(rt), urls[notifications.Def.Name])) })

	fmt.Fprintf(stdout, "\nMyShop Supergraph is up: http://%s/graphql  (Ctrl-C stops it)\n", ln.Addr())
	fmt.Fprintf(stdout, "  storefront demo:        http://%s%s\n", ln.Addr(), shop.Prefix)
	fmt.Fprintf(stdout, "  development outbox:     http://%s%s  (messages of channels with no provider)\n", ln.Addr(), notifications.DevOutboxPath)
	for _, d := range subgraphs {
		fmt.Fprintf(stdout, "  subgraph %-14s %s\n", d.Name, urls[d.Name])
	}
	fmt.Fprintf(stdout, "  demo shoppers: ada.allen.1@example.com (and usr_0002…) with password %s\n", userstore.DemoPassword)
	fmt.Fprintf(stdout, "  demo staff: <role>@myshop.local for %s, with password %s\n",
		strings.Join(demo.StaffRoles, ", "), userstore.DemoStaffPassword)
	if adminPassword != "" {
		// Printed this once only: just its hash is stored.
		fmt.Fprintf(stdout, "  first admin created: %s / %s  (write it down: it is not shown again)\n", userstore.AdminEmail, adminPassword)
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	log.Info("stopped")
	return err
}

// routerConfig is router.yaml's configuration (ROUTER_CONFIG, then the
// router's environment variables) with what `make run` knows better: the
// subgraphs where they really listen, users' key set, the subgraphs' Redis,
// and dev on (introspection and the playground) unless the environment
// says otherwise.
func routerConfig(getenv func(string) string, urls map[string]string, redisURL string) (config.Config, error) {
	env := func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		switch k {
		case "INTROSPECTION_DISABLED", "ROUTER_PLAYGROUND_DISABLED":
			return "false"
		case "ROUTER_JWKS_URL":
			return strings.TrimSuffix(urls[users.Def.Name], "/graphql") + users.JWKSPath
		case "ROUTER_REDIS_URL":
			return redisURL
		}
		if name, ok := strings.CutPrefix(k, "ROUTER_SUBGRAPH_"); ok {
			for sub, u := range urls {
				if name == config.EnvName(sub)+"_URL" {
					return u
				}
			}
		}
		return ""
	}
	cfg, err := config.Load(getenv("ROUTER_CONFIG"), env)
	if err != nil {
		return cfg, err
	}
	cfg.SubgraphURLsFromEnv(slices.Collect(maps.Keys(urls)), env)
	return cfg, cfg.Validate()
}

// withShop serves the storefront demo SPA at /shop/ next to the router, on
// the same origin, so the SPA talks to /graphql with no CORS and its
// subscriptions reach the router's WebSocket directly.
func withShop(router http.Handler) http.Handler {
	mux := http.NewServeMux()
	spa := shop.Handler()
	mux.Handle(shop.Prefix, spa)
	mux.Handle(strings.TrimSuffix(shop.Prefix, "/"), spa)
	mux.Handle("/", router)
	return mux
}

// withDevOutbox serves the notifications subgraph's development outbox
// (its mail catcher) at the same path beside the router, so `make run`
// shows captured messages on the one origin it prints. Only devstack does
// this: the page holds one-time codes, and a deployed router never routes
// to it.
func withDevOutbox(next http.Handler, notificationsURL string) http.Handler {
	target, err := url.Parse(strings.TrimSuffix(notificationsURL, "/graphql"))
	if notificationsURL == "" || err != nil {
		return next
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+notifications.DevOutboxPath, httputil.NewSingleHostReverseProxy(target))
	mux.Handle("/", next)
	return mux
}

// withUpstreams fills orders' upstream URLs from the subgraphs already
// started (urlOf gives a subgraph's URL by name, "" before it starts)
// unless the environment sets them.
func withUpstreams(getenv func(string) string, urlOf func(name string) string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		switch k {
		case "ORDERS_PRODUCTS_URL":
			return urlOf(products.Def.Name)
		case "ORDERS_INVENTORY_URL":
			return urlOf(inventory.Def.Name)
		case "ORDERS_PAYMENTS_URL":
			return urlOf(payments.Def.Name)
		case "ORDERS_TOKEN_URL":
			if u := urlOf(users.Def.Name); u != "" {
				return strings.TrimSuffix(u, "/graphql") + users.TokenPath
			}
		}
		return ""
	}
}

// withServiceSecret gives the orders subgraph and the users subgraph a
// shared client secret for orders' service token, made up for this run
// unless the environment sets one, and turns Web Push on for make run.
func withServiceSecret(getenv func(string) string) func(string) string {
	secret := getenv("ORDERS_CLIENT_SECRET")
	if secret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		secret = hex.EncodeToString(b)
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		switch k {
		case "NOTIFICATIONS_VAPID_SUBJECT":
			// Web Push on, so the storefront can subscribe this browser;
			// the key pair is made once in the database.
			return "mailto:dev@myshop.local"
		case "ORDERS_CLIENT_SECRET":
			return secret
		case "USERS_SERVICE_CLIENTS":
			return "orders=" + secret
		}
		return ""
	}
}
