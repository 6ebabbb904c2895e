// Package server is the router's HTTP API: GraphQL over HTTP on /graphql
// and a health check on /health, for one supergraph.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/myshop/supergraph/router/gateway"
	"github.com/myshop/supergraph/router/supergraph"
)

// Config is what a Server serves.
type Config struct {
	Supergraph   string            // supergraph SDL text
	SubgraphURLs map[string]string // optional override of join__graph url, keyed by subgraph name ("users")
	HTTPClient   *http.Client      // optional; for subgraph calls
}

// Server serves GraphQL for one supergraph. It is an http.Handler.
type Server struct {
	engine *gateway.Engine
	log    *slog.Logger
	mux    *http.ServeMux
}

// New loads the supergraph and builds the engine. ctx is the lifetime of the
// engine: cancelling it stops subgraph connections and the resolver.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sg, err := supergraph.Parse(cfg.Supergraph)
	if err != nil {
		return nil, fmt.Errorf("load supergraph: %w", err)
	}
	for name := range cfg.SubgraphURLs {
		if !hasSubgraph(sg, name) {
			return nil, fmt.Errorf("subgraph URL override for %q: no such subgraph in the supergraph", name)
		}
	}
	engine, err := gateway.New(ctx, sg, gateway.Options{SubgraphURLs: cfg.SubgraphURLs, HTTPClient: cfg.HTTPClient}, log)
	if err != nil {
		return nil, fmt.Errorf("build engine: %w", err)
	}
	s := &Server{engine: engine, log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("/graphql", s.graphql)
	s.mux.HandleFunc("/health", health)
	return s, nil
}

func hasSubgraph(sg *supergraph.Supergraph, name string) bool {
	for _, s := range sg.Subgraphs {
		if s.Name == name {
			return true
		}
	}
	return false
}

// ServeHTTP serves /graphql and /health.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// health answers 200: a Server exists only once its supergraph is loaded.
func health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}
