package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOperationName: operationName picks one operation of a document.
func TestOperationName(t *testing.T) {
	users := newFakeSubgraph(t, usersResponse)
	h := newRouter(t, map[string]string{"users": users.URL})
	const doc = `query A { user(id: "u1") { name } } query B { user(id: "u1") { email } }`
	for _, tt := range []struct{ name, want string }{
		{"A", `{"data":{"user":{"name":"Ada"}}}`},
		{"B", `{"data":{"user":{"email":"ada@example.com"}}}`},
		{"A", `{"data":{"user":{"name":"Ada"}}}`}, // again, from the prepared-operation cache
	} {
		b, _ := json.Marshal(map[string]any{"query": doc, "operationName": tt.name})
		if res := post(t, h, "", string(b)); compact(t, res.body) != tt.want {
			t.Errorf("operationName %s: %s, want %s", tt.name, res.body, tt.want)
		}
	}
	b, _ := json.Marshal(map[string]any{"query": doc})
	if res := post(t, h, "", string(b)); !strings.Contains(res.body, "operationName is required") {
		t.Errorf("no operationName: %s", res.body)
	}
}

func TestBatchingRefused(t *testing.T) {
	h := newRouter(t, nil)
	for _, accept := range []string{"", "application/graphql-response+json"} {
		res := post(t, h, accept, ` [{"query":"{ __typename }"},{"query":"{ __typename }"}]`)
		if res.status != 400 || !strings.Contains(res.body, `"code":"BATCHING_NOT_ENABLED"`) || !strings.Contains(res.body, "batched requests") {
			t.Errorf("accept %q: %d %s", accept, res.status, res.body)
		}
	}
}

func TestContentTypes(t *testing.T) {
	h := newRouter(t, nil)
	send := func(contentType, accept string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tt := range []struct {
		contentType, accept string
		status              int
		responseType        string
	}{
		{"application/json", "", 200, "application/json"},
		{"application/json; charset=utf-8", "application/graphql-response+json", 200, "application/graphql-response+json"},
		{"application/json", "application/graphql-response+json, application/json;q=0.9", 200, "application/graphql-response+json"},
		{"application/json", "application/json", 200, "application/json"},
		{"application/json", "*/*", 200, "application/json"},
		{"application/json", "application/graphql-response+json;q=0, application/json", 200, "application/json"},
		// Lenient: an Accept we cannot satisfy gets the default type, not a 406.
		{"application/json", "text/csv", 200, "application/json"},
		{"application/graphql+json", "", 200, "application/json"},
		// CSRF: what a plain HTML form or fetch without preflight can send
		// is refused as Apollo Router does (400 CSRF_ERROR, P11).
		{"text/plain", "", 400, "application/json"},
		{"application/x-www-form-urlencoded", "", 400, "application/json"},
		{"multipart/form-data; boundary=x", "", 400, "application/json"},
		{"", "", 400, "application/json"},
	} {
		w := send(tt.contentType, tt.accept)
		if w.Code != tt.status || w.Header().Get("Content-Type") != tt.responseType {
			t.Errorf("Content-Type %q Accept %q: %d %q, want %d %q: %s", tt.contentType, tt.accept, w.Code, w.Header().Get("Content-Type"), tt.status, tt.responseType, w.Body)
		}
	}
}
