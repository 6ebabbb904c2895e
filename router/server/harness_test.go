package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/server"
)

// subgraphRequest is what a fake subgraph received.
type subgraphRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// fakeSubgraph answers every request with respond and records the requests.
type fakeSubgraph struct {
	*httptest.Server
	mu       sync.Mutex
	requests []subgraphRequest
}

func newFakeSubgraph(t testing.TB, respond func(req subgraphRequest) string) *fakeSubgraph {
	f := &fakeSubgraph{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req subgraphRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, respond(req))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSubgraph) Requests() []subgraphRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]subgraphRequest(nil), f.requests...)
}

// productsResponse answers the products subgraph: a root products query, or
// an _entities fetch for reviews by product.
func productsResponse(req subgraphRequest) string {
	if strings.Contains(req.Query, "_entities") {
		return `{"data":{"_entities":[]}}`
	}
	return `{"data":{"products":{"edges":[
	  {"node":{"id":"p1","name":"Mug","reviews":{"edges":[
	    {"node":{"body":"great","author":{"__typename":"User","id":"u1"}}},
	    {"node":{"body":"fine","author":{"__typename":"User","id":"u2"}}}]}}},
	  {"node":{"id":"p2","name":"Pen","reviews":{"edges":[
	    {"node":{"body":"ok","author":{"__typename":"User","id":"u1"}}},
	    {"node":{"body":"bad","author":{"__typename":"User","id":"u3"}}}]}}}]}}}`
}

// usersResponse answers _entities with a user per representation and
// user(id:) with one user.
func usersResponse(req subgraphRequest) string {
	if reps, ok := req.Variables["representations"].([]any); ok {
		var out []map[string]any
		for _, r := range reps {
			id := r.(map[string]any)["id"].(string)
			out = append(out, map[string]any{"__typename": "User", "id": id, "name": "Name " + id, "email": id + "@example.com"})
		}
		b, _ := json.Marshal(map[string]any{"data": map[string]any{"_entities": out}})
		return string(b)
	}
	return `{"data":{"user":{"id":"u1","name":"Ada","email":"ada@example.com"}}}`
}

// newRouter serves the checked-in supergraph with its subgraphs pointed at
// the given fakes; opts adjust the config.
func newRouter(t testing.TB, urls map[string]string, opts ...func(*server.Config)) *server.Server {
	sdl, err := os.ReadFile("../../schema/supergraph.graphql")
	if err != nil {
		t.Fatal(err)
	}
	return newRouterFor(t, string(sdl), urls, opts...)
}

// newRouterFor serves supergraph sdl.
func newRouterFor(t testing.TB, sdl string, urls map[string]string, opts ...func(*server.Config)) *server.Server {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := server.Config{Supergraph: sdl}
	for _, o := range opts {
		o(&cfg)
	}
	set := devSettings()
	if cfg.Settings != nil {
		set = *cfg.Settings
	}
	set.Subgraphs = maps.Clone(set.Subgraphs)
	if set.Subgraphs == nil {
		set.Subgraphs = map[string]config.Subgraph{}
	}
	for name, u := range urls {
		if sub := set.Subgraphs[name]; len(sub.URLs) == 0 { // a test's own instances win
			sub.URLs = []string{u}
			set.Subgraphs[name] = sub
		}
	}
	cfg.Settings = &set
	s, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// devSettings are the defaults with introspection and the playground on,
// as a developer runs the router.
func devSettings() config.Config {
	set := config.Defaults()
	on := true
	set.Introspection, set.Playground = &on, &on
	return set
}

// settings adjusts the router's settings (devSettings unless an earlier
// option set others).
func settings(adjust func(*config.Config)) func(*server.Config) {
	return func(c *server.Config) {
		set := devSettings()
		if c.Settings != nil {
			set = *c.Settings
		}
		adjust(&set)
		c.Settings = &set
	}
}

type response struct {
	status      int
	contentType string
	body        string
}

func post(t testing.TB, h http.Handler, accept, body string) response {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return response{w.Code, w.Header().Get("Content-Type"), w.Body.String()}
}

func query(t testing.TB, h http.Handler, q string, vars map[string]any) response {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return post(t, h, "", string(b))
}

// compact normalizes JSON for comparison.
func compact(t testing.TB, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("invalid JSON %q: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
