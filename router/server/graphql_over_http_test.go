package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestGetParameters: GraphQL over HTTP GET carries query, operationName,
// variables and extensions as URL parameters; variables and extensions
// are JSON objects, and anything else is a 400 naming the parameter.
func TestGetParameters(t *testing.T) {
	h := newRouter(t, nil)
	get := func(params url.Values, accept string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/graphql?"+params.Encode(), nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const q = `query Q($skip: Boolean!) { __typename @skip(if: $skip) }`
	for _, tt := range []struct {
		name   string
		params url.Values
		accept string
		status int
		want   string
	}{
		{"variables", url.Values{"query": {q}, "variables": {`{"skip":false}`}}, "", 200, `{"data":{"__typename":"Query"}}`},
		{"variables and operationName", url.Values{"query": {q}, "operationName": {"Q"}, "variables": {`{"skip":true}`}}, "", 200, `{"data":{}}`},
		{"extensions object ignored", url.Values{"query": {"{ __typename }"}, "extensions": {`{"tracing":true}`}}, "", 200, `{"data":{"__typename":"Query"}}`},
		{"extensions null", url.Values{"query": {"{ __typename }"}, "extensions": {`null`}}, "", 200, `{"data":{"__typename":"Query"}}`},
		{"variables not JSON", url.Values{"query": {q}, "variables": {`{skip:false}`}}, "", 400, `variables must be a JSON object`},
		{"variables an array", url.Values{"query": {q}, "variables": {`[1]`}}, "application/graphql-response+json", 400, `variables must be a JSON object`},
		{"extensions not JSON", url.Values{"query": {"{ __typename }"}, "extensions": {`{x}`}}, "", 400, `extensions must be a JSON object`},
		{"extensions a string", url.Values{"query": {"{ __typename }"}, "extensions": {`"x"`}}, "application/graphql-response+json", 400, `extensions must be a JSON object`},
		{"variable missing", url.Values{"query": {q}}, "application/graphql-response+json", 400, `"code":"BAD_USER_INPUT"`},
		{"no query", url.Values{"variables": {`{}`}}, "", 400, "the request has no query"},
		{"mutation refused", url.Values{"query": {"mutation { __typename }"}}, "", 405, "only queries may be sent with GET"},
		// Apollo Client's automatic persisted queries: the hash alone first;
		// the answer makes the client send the full query instead.
		{"persisted query hash only", url.Values{"extensions": {`{"persistedQuery":{"version":1,"sha256Hash":"abc"}}`}}, "", 200, `"code":"PERSISTED_QUERY_NOT_SUPPORTED"`},
		{"persisted query with its text runs", url.Values{"query": {"{ __typename }"}, "extensions": {`{"persistedQuery":{"version":1,"sha256Hash":"abc"}}`}}, "", 200, `{"data":{"__typename":"Query"}}`},
	} {
		w := get(tt.params, tt.accept)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s: %d %s, want %d with %s", tt.name, w.Code, w.Body, tt.status, tt.want)
		}
	}
}

// TestPostExtensions: a POST body's extensions must be an object too.
func TestPostExtensions(t *testing.T) {
	h := newRouter(t, nil)
	for _, tt := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"query":"{ __typename }","extensions":{"a":1}}`, 200, `{"data":{"__typename":"Query"}}`},
		{`{"query":"{ __typename }","extensions":null}`, 200, `{"data":{"__typename":"Query"}}`},
		{`{"query":"{ __typename }","extensions":[1]}`, 400, "extensions must be a JSON object"},
		{`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`, 200, "PersistedQueryNotSupported"},
	} {
		res := post(t, h, "", tt.body)
		if res.status != tt.status || !strings.Contains(res.body, tt.want) {
			t.Errorf("%s: %d %s, want %d with %s", tt.body, res.status, res.body, tt.status, tt.want)
		}
	}
	if res := post(t, h, "application/graphql-response+json", `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`); res.status != 400 {
		t.Errorf("persisted query, modern media type: %d, want 400", res.status)
	}
}

// TestAcceptPreference: the response media type follows the client's
// preference (q values); at equal preference
// application/graphql-response+json wins.
func TestAcceptPreference(t *testing.T) {
	h := newRouter(t, nil)
	for _, tt := range []struct{ accept, want string }{
		{"application/json, application/graphql-response+json;q=0.5", "application/json"},
		{"application/json;q=0.5, application/graphql-response+json", "application/graphql-response+json"},
		{"application/json, application/graphql-response+json", "application/graphql-response+json"},
		{"application/graphql-response+json; charset=utf-8", "application/graphql-response+json"},
		{"application/graphql-response+json;q=0", "application/json"},
		{"*/*", "application/json"},
		{"", "application/json"},
	} {
		if res := post(t, h, tt.accept, `{"query":"{ __typename }"}`); res.contentType != tt.want || res.status != 200 {
			t.Errorf("Accept %q: %d %q, want %q", tt.accept, res.status, res.contentType, tt.want)
		}
	}
}
