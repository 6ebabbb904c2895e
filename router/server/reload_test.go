package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/server"
)

func composeOne(t *testing.T, url, sdl string) string {
	t.Helper()
	out, err := compose.Compose([]compose.Subgraph{{Name: "shop", URL: url, SDL: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
` + sdl}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReload: a new supergraph takes over, a broken one is refused while the
// old keeps serving, and a request running during the swap completes on
// the engine it started on.
func TestReload(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	sub := newFakeSubgraph(t, func(req subgraphRequest) string {
		if strings.Contains(req.Query, "slow") {
			started <- struct{}{}
			<-release
			return `{"data":{"slow":"old engine"}}`
		}
		if strings.Contains(req.Query, "version") && strings.Contains(req.Query, "hello") {
			return `{"data":{"version":2,"hello":"hi"}}`
		}
		if strings.Contains(req.Query, "version") {
			return `{"data":{"version":2}}`
		}
		return `{"data":{"hello":"hi"}}`
	})
	v1 := composeOne(t, sub.URL, `type Query { hello: String slow: String }`)
	v2 := composeOne(t, sub.URL, `type Query { hello: String version: Int }`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := server.New(ctx, server.Config{Supergraph: v1}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}

	// A request in flight on generation 1.
	inflight := make(chan response, 1)
	go func() { inflight <- query(t, s, `{ slow }`, nil) }()
	<-started

	if err := s.Reload(v2); err != nil {
		t.Fatal(err)
	}
	if res := query(t, s, `{ version }`, nil); compact(t, res.body) != `{"data":{"version":2}}` {
		t.Fatalf("after reload: %s", res.body)
	}
	if res := query(t, s, `{ slow }`, nil); !strings.Contains(res.body, "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("old field still served: %s", res.body)
	}
	close(release)
	select {
	case res := <-inflight:
		if compact(t, res.body) != `{"data":{"slow":"old engine"}}` {
			t.Fatalf("in-flight request: %d %s", res.status, res.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("in-flight request did not finish")
	}

	for _, bad := range []string{"not a schema {", `schema { query: Query } type Query { x: Int }`, ""} {
		if err := s.Reload(bad); err == nil {
			t.Fatalf("reload accepted %q", bad)
		}
		if res := query(t, s, `{ version hello }`, nil); compact(t, res.body) != `{"data":{"hello":"hi","version":2}}` {
			t.Fatalf("after refused reload: %s", res.body)
		}
	}
	if w := get(s, "/health"); w != http.StatusOK {
		t.Fatalf("health %d", w)
	}
}

func get(h http.Handler, path string) int {
	r, _ := http.NewRequest(http.MethodGet, path, nil)
	w := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(w, r)
	return w.status
}

type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = 200
	}
	return len(b), nil
}
func (s *statusRecorder) WriteHeader(code int) { s.status = code }
