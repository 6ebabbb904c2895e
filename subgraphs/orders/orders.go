// Package orders is the orders subgraph: carts priced live from the
// catalog, the checkout saga (reserve stock, authorize payment, confirm)
// that never oversells or charges twice, and the order state machine.
// Def is all a starter needs to run it.
package orders

import (
	"context"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/orders/graph"
	"github.com/myshop/supergraph/subgraphs/orders/graph/generated"
	"github.com/myshop/supergraph/subgraphs/orders/live"
	"github.com/myshop/supergraph/subgraphs/orders/loader"
	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/orders/postgres"
	"github.com/myshop/supergraph/subgraphs/orders/upstream"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/ratelimit"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// Def describes the orders subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "orders",
	Port:       4003,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Outbox:     true,
	Handler:    Handler,
	Background: Background,
}

// Background finishes or compensates checkouts nobody has touched for a
// minute (a crash, a customer who went away), and expires orders whose
// payment was not completed within the stock hold, every 15 seconds.
//
// With Redis it also reads payments' events: an order waiting for the
// customer's bank confirms (or is canceled) as soon as the bank answers,
// without anyone polling.
func Background(ctx context.Context, d subgraph.Deps) {
	s := Wire(d, UpstreamsFromEnv(d.Getenv))
	if d.Redis != nil {
		// One member name per host (a pod): what a member leaves pending,
		// it or another member picks up again.
		host, _ := os.Hostname()
		consumer := events.NewConsumer(d.Redis, d.RedisPrefix, "orders", host, d.Log)
		go func() {
			if err := consumer.Run(ctx, Events(s.Lifecycle)); err != nil {
				d.Log.Error("orders: payment events", "err", err)
			}
		}()
	}
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		if _, err := s.Checkout.Resume(ctx, time.Minute); err != nil && ctx.Err() == nil {
			d.Log.Error("checkout resumer", "err", err)
		}
		if _, err := s.Lifecycle.ExpireUnpaid(ctx, s.Checkout.ReservationTTL); err != nil && ctx.Err() == nil {
			d.Log.Error("expire unpaid orders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Events handles the events orders reads: payments' settled
// authorizations and voids bring their order in line with the payment
// (order.Orders.PaymentSettled, which reads the payment's status itself,
// so redelivered and reordered events do no harm); a user's verified email
// brings the guest orders placed with it into their account; others are
// skipped.
func Events(l *order.Orders) func(context.Context, events.Event) error {
	return func(ctx context.Context, e events.Event) error {
		if e.Type == "user.email_verified" {
			userID, _ := e.Payload["userId"].(string)
			email, _ := e.Payload["email"].(string)
			if userID == "" || email == "" {
				return nil
			}
			return l.ClaimGuestOrders(ctx, userID, email)
		}
		if e.Type != "payment.transaction_settled" {
			return nil
		}
		kind, _ := e.Payload["kind"].(string)
		orderID, _ := e.Payload["orderId"].(string)
		if (kind != "AUTHORIZE" && kind != "VOID") || orderID == "" {
			return nil
		}
		return l.PaymentSettled(ctx, orderID)
	}
}

// Upstreams are the other subgraphs orders drives.
type Upstreams struct {
	Catalog   order.Catalog
	Inventory order.Inventory
	Payments  order.Payments
}

// UpstreamsFromEnv reads ORDERS_PRODUCTS_URL, ORDERS_INVENTORY_URL,
// ORDERS_PAYMENTS_URL, and the service's credentials for ORDERS_TOKEN_URL:
// client id "orders" (ORDERS_CLIENT_ID) and ORDERS_CLIENT_SECRET.
func UpstreamsFromEnv(getenv func(string) string) Upstreams {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	tokens := &upstream.ClientCredentials{URL: env("ORDERS_TOKEN_URL", "http://127.0.0.1:4001/oauth/token"),
		ClientID: env("ORDERS_CLIENT_ID", "orders"), ClientSecret: getenv("ORDERS_CLIENT_SECRET")}
	return NewUpstreams(env("ORDERS_PRODUCTS_URL", "http://127.0.0.1:4002/graphql"), env("ORDERS_INVENTORY_URL", "http://127.0.0.1:4005/graphql"),
		env("ORDERS_PAYMENTS_URL", "http://127.0.0.1:4004/graphql"), tokens)
}

// NewUpstreams returns clients for the subgraphs at these URLs, acting as
// the orders service with tokens from tokens.
func NewUpstreams(productsURL, inventoryURL, paymentsURL string, tokens upstream.TokenSource) Upstreams {
	return Upstreams{
		Catalog:   upstream.NewProducts(upstream.NewClient(productsURL, nil)),
		Inventory: upstream.NewInventory(upstream.NewClient(inventoryURL, nil), tokens),
		Payments:  upstream.NewPayments(upstream.NewClient(paymentsURL, nil), tokens),
	}
}

// GuestTokenFailures is how many wrong guest order tokens one client may
// send per minute before guestOrder refuses it for the rest of the minute.
const GuestTokenFailures = 20

// Services are the orders use cases, wired.
type Services struct {
	Store     *postgres.Store
	Carts     *order.Carts
	Checkout  *order.Checkout
	Lifecycle *order.Orders
	Guests    *order.GuestOrders
	Taxes     *order.Taxes
	Shipping  *order.Shipping
}

// Wire builds the use cases over d's database and u. Every committed status
// change is published to Redis (d.Redis) for the router's event source.
func Wire(d subgraph.Deps, u Upstreams) Services {
	store := postgres.New(d.Pool)
	pub := live.Publisher{Redis: d.Redis, Prefix: d.RedisPrefix, Log: d.Log}
	store.OnStatusChange(func(ctx context.Context, c order.StatusChange) {
		pub.Publish(ctx, live.Change{OrderID: c.OrderID, UserID: c.UserID, From: string(c.From), To: string(c.To),
			Version: c.Version, At: c.At})
	})
	taxes := order.NewTaxes(store, ids.New)
	shipping := order.NewShipping(store, ids.New)
	s := Services{
		Store:     store,
		Carts:     order.NewCarts(store, u.Catalog, u.Inventory, taxes, shipping, ids.New),
		Checkout:  order.NewCheckout(store, u.Catalog, u.Inventory, u.Payments, taxes, shipping, ids.New, d.Log),
		Lifecycle: order.NewOrders(store, u.Inventory, u.Payments, ids.New),
		Taxes:     taxes,
		Shipping:  shipping,
	}
	var limit order.Limiter
	if d.Redis != nil {
		limit = ratelimit.NewFailureWindow(d.Redis, d.RedisPrefix+"orders:guest-token:", GuestTokenFailures, time.Minute)
	}
	s.Guests = order.NewGuestOrders(store, limit)
	return s
}

// Handler serves /graphql with upstreams from the environment.
func Handler(d subgraph.Deps) http.Handler { return NewHandler(d, Wire(d, UpstreamsFromEnv(d.Getenv))) }

// NewHandler serves /graphql over s (tests wire their own).
func NewHandler(d subgraph.Deps, s Services) http.Handler {
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{
		Carts: s.Carts, Checkout: s.Checkout, Lifecycle: s.Lifecycle, Guests: s.Guests, Taxes: s.Taxes, Shipping: s.Shipping}})
	srv := gqlserver.New(es, d.Log)
	gql := loader.Middleware(s.Store, d.LoaderWait, srv)
	// The customer's own token goes on to payments (an authorization is
	// theirs), X-Channel chooses a cart's channel, X-Cart-Token names a
	// guest cart and X-Order-Token opens a guest's order.
	withCaller := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := upstream.WithCaller(r.Context(), r.Header.Get("Authorization"))
		ctx = graph.WithChannel(ctx, r.Header.Get("X-Channel"))
		ctx = graph.WithCartTokenHeader(ctx, r.Header.Get("X-Cart-Token"))
		ctx = graph.WithClient(ctx, clientAddress(r))
		ctx = graph.WithOrderTokenHeader(ctx, r.Header.Get("X-Order-Token"), s.Guests)
		gql.ServeHTTP(w, r.WithContext(ctx))
	})
	mux := http.NewServeMux()
	mux.Handle("/graphql", subgraph.Authenticated(d, withCaller))
	return mux
}

// clientAddress is who sent r as far as this subgraph can tell: the first
// X-Forwarded-For address, else the peer (behind the router, the router).
func clientAddress(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		return strings.TrimSpace(first)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
