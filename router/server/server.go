// Package server is the router's HTTP API: GraphQL over HTTP on /graphql,
// the GraphiQL playground on / and a health check on /health, for one
// supergraph that can be swapped at run time.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/gateway"
	"github.com/myshop/supergraph/router/metrics"
	"github.com/myshop/supergraph/router/ratelimit"
	"github.com/myshop/supergraph/router/supergraph"
)

// Config is what a Server serves: a supergraph, the settings (router.yaml,
// the one configuration type: its defaults are written once, in package
// config) and the clients the settings call for. Package router builds it
// from the settings alone; tests fill it directly.
type Config struct {
	Supergraph string // supergraph SDL text
	// Settings are router.yaml with its defaults filled; nil means
	// config.Defaults(). Settings.Subgraphs[name].URLs override the
	// supergraph's URLs.
	Settings *config.Config
	// HTTPClient is optional; for subgraph calls.
	HTTPClient *http.Client
	// Verifier checks the bearer token of /graphql requests before anything
	// else happens: a request with an Authorization header that is not a
	// valid token is answered 401 UNAUTHENTICATED, without parsing,
	// planning or any subgraph call; one without the header is anonymous.
	// Verified claims decide @authenticated and @requiresScopes, and the
	// header is forwarded to subgraphs. nil accepts no token: every
	// request with an Authorization header gets 401.
	Verifier *auth.Verifier
	// Redis shares rate limits and APQ documents between router replicas
	// (under Settings.RedisPrefix) and carries the events the router serves
	// subscriptions from (Settings.Subscriptions.ChannelPrefix); nil keeps
	// them per process.
	Redis redis.UniversalClient
	// Metrics records requests and subgraph fetches and is served at
	// Settings.Telemetry.MetricsPath; nil records nothing.
	Metrics *metrics.Metrics
}

// Server serves GraphQL for one supergraph at a time. It is an http.Handler.
type Server struct {
	ctx       context.Context // lifetime of every generation
	cfg       Config
	set       config.Config
	limiter   *ratelimit.Limiter // nil when rate limiting is off
	persisted *persisted
	inFlight  chan struct{} // a slot per request being served; nil for no cap
	quota     *quota        // running subscriptions per user and in total
	streams   sseStreams    // single-connection SSE reservations
	gen       atomic.Pointer[generation]
	log       *slog.Logger
	mux       *http.ServeMux
	// live are the open WebSockets and SSE streams, for Drain.
	live liveSet
}

// New loads the supergraph and builds the engine. ctx is the lifetime of the
// engine: cancelling it stops subgraph connections and the resolver.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{ctx: ctx, cfg: cfg, log: log, mux: http.NewServeMux()}
	if err := s.protections(); err != nil {
		return nil, err
	}
	sg, err := supergraph.Parse(cfg.Supergraph)
	if err != nil {
		return nil, fmt.Errorf("load supergraph: %w", err)
	}
	for name, sub := range s.set.Subgraphs {
		if len(sub.URLs) > 0 && !hasSubgraph(sg, name) {
			return nil, fmt.Errorf("subgraphs.%s.urls: no such subgraph in the supergraph", name)
		}
	}
	g, err := s.newGeneration(sg)
	if err != nil {
		return nil, err
	}
	s.gen.Store(g)
	s.mux.HandleFunc("/graphql", s.graphql)
	s.mux.HandleFunc("/graphql/stream", s.sseSingle)
	if u := s.set.MediaURL; u != "" {
		target, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("media_url: %w", err)
		}
		// Images and presigned uploads are the products subgraph's; only
		// the router is published, so it passes them through untouched.
		s.mux.Handle("/media/", httputil.NewSingleHostReverseProxy(target))
	}
	s.mux.HandleFunc("/health", health)
	if p := s.set.Telemetry.MetricsPath; cfg.Metrics != nil && p != "" && p != "-" {
		s.mux.Handle("GET "+p, cfg.Metrics.Handler())
		cfg.Metrics.GaugeFunc("router_streams_open", "Open WebSockets and SSE streams.", func() float64 { return float64(s.OpenStreams()) })
	}
	if *s.set.Playground {
		s.mux.HandleFunc("GET /{$}", s.playground)
		s.mux.Handle("GET /playground/", playgroundAssets())
	}
	return s, nil
}

// newGeneration builds an engine for sg with its own lifetime, a child of
// the server's.
func (s *Server) newGeneration(sg *supergraph.Supergraph) (*generation, error) {
	urls := map[string]string{}
	for _, sub := range sg.Subgraphs {
		if u := s.set.Subgraphs[sub.Name].URLs; len(u) > 0 {
			urls[sub.Name] = u[0]
		}
	}
	ctx, cancel := context.WithCancel(s.ctx)
	opts := s.engineOptions()
	opts.SubgraphURLs = urls
	engine, err := gateway.New(ctx, sg, opts, s.log)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("build engine: %w", err)
	}
	g := newGeneration(engine, cancel)
	g.ctx = ctx
	return g, nil
}

func hasSubgraph(sg *supergraph.Supergraph, name string) bool {
	for _, s := range sg.Subgraphs {
		if s.Name == name {
			return true
		}
	}
	return false
}

// ServeHTTP serves /graphql, /health and the playground.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Drain ends every open subscription stream: WebSockets are closed with
// 1001 (going away) and SSE streams end, so clients reconnect to another
// instance; new ones are refused. http.Server.Shutdown does not touch
// hijacked connections or wait for streams to end: register Drain with
// RegisterOnShutdown.
func (s *Server) Drain() { s.live.drain() }

// OpenStreams is how many WebSockets and SSE streams are open.
func (s *Server) OpenStreams() int { return s.live.len() }

// health answers 200: a Server exists only once its supergraph is loaded.
func health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}
