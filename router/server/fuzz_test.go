package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzGraphQLHandler: any body with any Content-Type gets an answer the
// client can read: a known status and a JSON body, never a panic.
func FuzzGraphQLHandler(f *testing.F) {
	tree := newCounting(f, treeAnswer)
	extra := newCounting(f, treeAnswer)
	h := newRouterFor(f, treeSupergraph(f), map[string]string{"tree": tree.URL, "extra": extra.URL})
	for _, seed := range []struct{ body, contentType string }{
		{`{"query":"{ hello }"}`, "application/json"},
		{`{"query":"query($n: Int) { nodes(first: $n) { id } }","variables":{"n":"x"}}`, "application/json"},
		{`[{"query":"{ hello }"}]`, "application/json"},
		{`{"query":"{ node { ...A } } fragment A on Node { child { ...A } }"}`, "application/json"},
		{`{"query":"mutation { login(email: 1) }"}`, "application/json"},
		{`{"query":"{ hello }"}`, "text/plain"},
		{`{"query":"{` + strings.Repeat("{", 200) + `"}`, "application/json"},
		{`{"query":"{ hello }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"x"}}}`, "application/json"},
		{`{"query":"\u0000\ud800"}`, "application/json; charset=utf-8"},
		{``, ""},
	} {
		f.Add(seed.body, seed.contentType)
	}
	allowed := map[int]bool{200: true, 400: true, 401: true, 405: true, 413: true, 415: true, 429: true, 431: true, 503: true}
	f.Fuzz(func(t *testing.T, body, contentType string) {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if !allowed[w.Code] {
			t.Fatalf("status %d for %q (%s): %s", w.Code, body, contentType, w.Body)
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("body is not JSON for %q: %q", body, w.Body)
		}
	})
}
