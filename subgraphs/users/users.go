// Package users is the users subgraph: accounts, authentication and roles,
// and later profiles and addresses. Def is all a starter needs to run it.
package users

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/ratelimit"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/users/graph"
	"github.com/myshop/supergraph/subgraphs/users/graph/generated"
	"github.com/myshop/supergraph/subgraphs/users/loader"
	"github.com/myshop/supergraph/subgraphs/users/postgres"
	"github.com/myshop/supergraph/subgraphs/users/token"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// Def describes the users subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "users",
	Port:       4001,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Outbox:     true,
	Handler:    Handler,
	Background: Background,
	Bootstrap:  bootstrapAdmin,
}

// Background reads the events users follows: a marketing consent changed
// in notifications (an unsubscribe link) sets the profile's
// marketingEmails or marketingSms, so the profile tells the truth.
func Background(ctx context.Context, d subgraph.Deps) {
	if d.Redis == nil {
		return
	}
	store := postgres.New(d.Pool)
	accounts := user.NewService(store, token.NewRing(store), failureWindow(d))
	// One member name per host (a pod): what a member leaves pending, it
	// or another member picks up again.
	host, _ := os.Hostname()
	consumer := events.NewConsumer(d.Redis, d.RedisPrefix, "users", host, d.Log)
	if err := consumer.Run(ctx, Events(accounts)); err != nil {
		d.Log.Error("users: events", "err", err)
	}
}

// Events handles the events users reads; others are skipped.
func Events(accounts *user.Service) func(context.Context, events.Event) error {
	return func(ctx context.Context, e events.Event) error {
		if e.Type != user.EventMarketingConsentChanged {
			return nil
		}
		userID, _ := e.Payload["userId"].(string)
		channel, _ := e.Payload["channel"].(string)
		enabled, ok := e.Payload["enabled"].(bool)
		if !ok {
			return nil
		}
		at := e.OccurredAt
		if at.IsZero() {
			at = time.Now()
		}
		return accounts.MarketingConsentChanged(ctx, userID, channel, enabled, at)
	}
}

// bootstrapAdmin gives a new deployment its first staff account: with no
// admin in the database it makes one and logs the password once (change
// it at once; make run does the same and prints it). Replicas starting
// together race on the unique email: the loser's error is harmless.
func bootstrapAdmin(ctx context.Context, d subgraph.Deps) error {
	password, err := postgres.EnsureAdmin(ctx, d.Pool)
	if err != nil {
		if errors.Is(err, user.ErrEmailTaken) {
			return nil
		}
		return err
	}
	if password != "" {
		d.Log.Warn("created the first admin: sign in and change the password", "email", postgres.AdminEmail, "password", password)
	}
	return nil
}

// failureWindow counts failed logins per account, shared by replicas.
func failureWindow(d subgraph.Deps) *ratelimit.FailureWindow {
	return ratelimit.NewFailureWindow(d.Redis, d.RedisPrefix+"users:", user.MaxFailedLogins, time.Minute)
}

// JWKSPath is where the users subgraph publishes its token keys.
const JWKSPath = "/.well-known/jwks.json"

// Handler serves /graphql, the JWKS and the service token endpoint.
func Handler(d subgraph.Deps) http.Handler {
	store := postgres.New(d.Pool)
	ring := token.NewRing(store)
	resolvers := &graph.Resolver{Accounts: user.NewService(store, ring, failureWindow(d))}
	es := generated.NewExecutableSchema(generated.Config{Resolvers: resolvers})

	mux := http.NewServeMux()
	mux.Handle("/graphql", auth.Middleware(auth.NewVerifier(ring), loader.Middleware(store, d.LoaderWait, gqlserver.New(es, d.Log))))
	mux.Handle("POST "+TokenPath, tokenHandler(ring, ParseServiceClients(d.Setting("USERS_SERVICE_CLIENTS", "")), d.Log))
	mux.HandleFunc("GET "+JWKSPath, func(w http.ResponseWriter, r *http.Request) {
		set, err := ring.JWKS(r.Context())
		if err != nil {
			d.Log.ErrorContext(r.Context(), "jwks", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		// Verifiers refresh every minute; let caches in between do the same.
		w.Header().Set("Cache-Control", "public, max-age=60")
		_ = json.NewEncoder(w).Encode(set)
	})
	return mux
}
