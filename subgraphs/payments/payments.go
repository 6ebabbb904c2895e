// Package payments is the payments subgraph: saved payment methods,
// payments as provider ledgers (authorize, capture, void, refund), and
// provider webhooks. Def is all a starter needs to run it.
package payments

import (
	"context"
	"net/http"
	"time"

	"github.com/myshop/supergraph/platform/ids"

	"github.com/myshop/supergraph/subgraphs/payments/graph"
	"github.com/myshop/supergraph/subgraphs/payments/graph/generated"
	"github.com/myshop/supergraph/subgraphs/payments/loader"
	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/payments/postgres"
	"github.com/myshop/supergraph/subgraphs/payments/stripeapi"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// Def describes the payments subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "payments",
	Port:       4004,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Outbox:     true,
	Handler:    Handler,
	Background: func(ctx context.Context, d subgraph.Deps) {
		payment.NewPayouts(postgres.New(d.Pool), ids.New).RunDaily(ctx, func(err error) {
			d.Log.Error("payouts", "err", err)
		})
	},
}

// Handler serves /graphql and /webhooks/<provider>, with the provider
// PAYMENTS_PROVIDER names: "testcard" (the default, in process) or
// "stripe" (Stripe, key PAYMENTS_STRIPE_KEY; PAYMENTS_STRIPE_URL moves the
// API, PAYMENTS_STRIPE_RETURN_URL is where 3-D Secure redirects come back
// to; its webhooks are signed with PAYMENTS_WEBHOOK_SECRET, Stripe's
// whsec_…).
func Handler(d subgraph.Deps) http.Handler {
	var provider payment.Provider = testcard.New()
	if d.Setting("PAYMENTS_PROVIDER", "testcard") == "stripe" {
		provider = stripeapi.New(stripeapi.Config{BaseURL: d.Setting("PAYMENTS_STRIPE_URL", ""), Key: d.Setting("PAYMENTS_STRIPE_KEY", ""),
			Timeout: 10 * time.Second, ReturnURL: d.Setting("PAYMENTS_STRIPE_RETURN_URL", "")})
	}
	return NewHandler(d, provider, webhookSecret(d))
}

// NewHandler is Handler with a chosen provider, for tests and other
// providers.
func NewHandler(d subgraph.Deps, provider payment.Provider, secret string) http.Handler {
	store := postgres.New(d.Pool)
	resolvers := &graph.Resolver{
		Payments:   payment.NewService(store, provider, ids.New),
		Methods:    payment.NewMethods(store, provider, ids.New),
		Settlement: payment.NewPayouts(store, ids.New),
	}
	es := generated.NewExecutableSchema(generated.Config{Resolvers: resolvers})
	mux := http.NewServeMux()
	mux.Handle("/graphql", withPublicURL(d, subgraph.Authenticated(d, loader.Middleware(store, d.LoaderWait, gqlserver.New(es, d.Log)))))
	if _, ok := provider.(*stripeapi.Provider); ok {
		mux.Handle("POST /webhooks/stripe", stripeapi.WebhookHandler(store, secret, d.Log))
	} else {
		mux.Handle("POST /webhooks/"+provider.Name(), webhookHandler(store, provider.Name(), secret, d.Log))
	}
	if tc, ok := provider.(*testcard.Provider); ok {
		apply := func(ctx context.Context, e payment.WebhookEvent) error {
			return store.ApplyWebhook(ctx, tc.Name(), e.Event())
		}
		mux.Handle(testcard.ChallengePath, testcard.ChallengeHandler(tc, apply, d.Log))
	}
	return mux
}

// withPublicURL tells providers that serve their own pages (the test
// provider's 3-D Secure challenge) where the customer's browser reaches
// this service: PAYMENTS_PUBLIC_URL, else the address the request came to
// (in a dev stack, the loopback address orders calls, which the browser
// on the same machine reaches too).
func withPublicURL(d subgraph.Deps, h http.Handler) http.Handler {
	base := d.Setting("PAYMENTS_PUBLIC_URL", "")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := base
		if u == "" {
			u = "http://" + r.Host
		}
		h.ServeHTTP(w, r.WithContext(payment.WithPublicURL(r.Context(), u)))
	})
}
