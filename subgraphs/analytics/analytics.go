// Package analytics is the analytics subgraph: the event log (domain
// events from the stream, behaviour events from the storefront), rollups
// kept current as events arrive, metrics, dashboards and exports. Def is all
// a starter needs to run it.
package analytics

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/analytics/graph"
	"github.com/myshop/supergraph/subgraphs/analytics/graph/generated"
	"github.com/myshop/supergraph/subgraphs/analytics/metrics"
	"github.com/myshop/supergraph/subgraphs/analytics/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/ratelimit"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// Def describes the analytics subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "analytics",
	Port:       4007,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Handler:    Handler,
	Background: Run,
}

// Run logs every domain event from the stream, and generates queued and
// scheduled reports, until ctx ends.
func Run(ctx context.Context, d subgraph.Deps) {
	store := postgres.New(d.Pool)
	go NewReports(store, d.Log).Run(ctx, 2*time.Second)
	host, _ := os.Hostname()
	consumer := events.NewConsumer(d.Redis, d.RedisPrefix, "analytics", host, d.Log)
	err := consumer.Run(ctx, func(ctx context.Context, e events.Event) error {
		userID, _ := e.Payload["userId"].(string)
		sessionID, _ := e.Payload["sessionId"].(string)
		_, err := store.Ingest(ctx, e, sessionID, userID)
		return err
	})
	if err != nil {
		d.Log.Error("analytics consumer", "err", err)
	}
}

// Handler serves /graphql and the signed export links. Settings:
// ANALYTICS_EXPORT_SECRET and ANALYTICS_PUBLIC_URL (where export links
// point; default http://127.0.0.1:4007).
func Handler(d subgraph.Deps) http.Handler {
	or := d.Setting
	store := postgres.New(d.Pool)
	signer := exportSigner{secret: []byte(or("ANALYTICS_EXPORT_SECRET", "dev-only-export-secret")),
		baseURL: or("ANALYTICS_PUBLIC_URL", "http://127.0.0.1:4007"), now: time.Now}
	resolvers := &graph.Resolver{
		Metrics: metrics.NewService(store, ratelimit.NewFailureWindow(d.Redis, d.RedisPrefix+"analytics:", metrics.TrackPerMinute, time.Minute),
			ids.New),
		ExportLink: signer.Link,
		ReportLink: signer.ReportLink,
	}
	es := generated.NewExecutableSchema(generated.Config{Resolvers: resolvers})
	gql := gqlserver.New(es, d.Log)
	mux := http.NewServeMux()
	mux.Handle("/graphql", subgraph.Authenticated(d, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := graph.WithChannel(graph.WithUserAgent(r.Context(), r.UserAgent()), r.Header.Get("X-Channel"))
		gql.ServeHTTP(w, r.WithContext(ctx))
	})))
	mux.Handle("GET "+ExportPath, signer.handler(store, d.Log))
	mux.Handle("GET "+ReportPath, signer.reportHandler(store))
	return mux
}
