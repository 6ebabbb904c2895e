package server_test

// The request protections of research/reliability.md (P1–P13, P18) and
// the traffic rules (P19–P23, F1, F3): each case has its input, the exact
// outcome (status, extensions.code) and the number of subgraph calls,
// which for every rejection is 0.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/metrics"
	"github.com/myshop/supergraph/router/server"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
)

const fedLink = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
`

// treeSupergraph has a recursive type (for depth and cost), mutations
// with rate limits of their own, and a second subgraph for partial data.
func treeSupergraph(t testing.TB) string {
	t.Helper()
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "tree", URL: "http://tree.invalid", SDL: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@listSize"])
type Query { hello: String node(id: ID): Node nodes(first: Int): [Node!]! @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false) }
type Mutation { login(email: String!): String placeOrder: String }
type Node @key(fields: "id") { id: ID! name: String child: Node
  children(first: Int): [Node!]! @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false) }`},
		{Name: "extra", URL: "http://extra.invalid", SDL: fedLink + `
type Query { slow: String }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sdl
}

// countingSubgraph counts the requests it got and answers with respond,
// or with the handler a test swapped in.
type countingSubgraph struct {
	*httptest.Server
	calls   atomic.Int64
	handler atomic.Pointer[http.HandlerFunc]
}

func newCounting(t testing.TB, respond func(w http.ResponseWriter, r *http.Request, body string)) *countingSubgraph {
	c := &countingSubgraph{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.calls.Add(1)
		if h := c.handler.Load(); h != nil {
			(*h)(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		respond(w, r, string(b))
	}))
	t.Cleanup(c.Close)
	return c
}

// set swaps the answer; calls are still counted.
func (c *countingSubgraph) set(h http.HandlerFunc) { c.handler.Store(&h) }

// treeAnswer answers any tree query with a plausible body.
func treeAnswer(w http.ResponseWriter, _ *http.Request, body string) {
	switch {
	case strings.Contains(body, "login"):
		_, _ = io.WriteString(w, `{"data":{"login":"ok"}}`)
	case strings.Contains(body, "hello"):
		_, _ = io.WriteString(w, `{"data":{"hello":"hi"}}`)
	case strings.Contains(body, "nodes"):
		_, _ = io.WriteString(w, `{"data":{"nodes":[]}}`)
	default:
		_, _ = io.WriteString(w, `{"data":{"node":null}}`)
	}
}

type protHarness struct {
	h     *server.Server
	tree  *countingSubgraph
	extra *countingSubgraph
}

func newProt(t *testing.T, set func(*config.Config), opts ...func(*server.Config)) *protHarness {
	t.Helper()
	p := &protHarness{
		tree: newCounting(t, treeAnswer),
		extra: newCounting(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
			_, _ = io.WriteString(w, `{"data":{"slow":"zzz"}}`)
		}),
	}
	c := config.Defaults()
	if set != nil {
		set(&c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	opts = append([]func(*server.Config){func(cfg *server.Config) { cfg.Settings = &c }}, opts...)
	p.h = newRouterFor(t, treeSupergraph(t), map[string]string{"tree": p.tree.URL, "extra": p.extra.URL}, opts...)
	return p
}

func (p *protHarness) calls() int64 { return p.tree.calls.Load() + p.extra.calls.Load() }

type result struct {
	status int
	header http.Header
	body   string
}

func (r result) code() string {
	var b struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.Unmarshal([]byte(r.body), &b)
	if len(b.Errors) == 0 {
		return ""
	}
	return b.Errors[0].Extensions.Code
}

// do sends a request; modern Accept makes request errors 400s.
func do(h http.Handler, method, body string, header map[string]string) result {
	r := httptest.NewRequest(method, "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/graphql-response+json")
	for k, v := range header {
		if v == "" {
			r.Header.Del(k)
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return result{w.Code, w.Header(), w.Body.String()}
}

func gql(h http.Handler, query string, vars map[string]any) result {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return do(h, http.MethodPost, string(b), nil)
}

func nested(field string, depth int, leaf string) string {
	return strings.Repeat(field+"{", depth) + leaf + strings.Repeat("}", depth)
}

// P1: body and header limits, also after decompression.
func TestBodyAndHeaderLimits(t *testing.T) {
	p := newProt(t, nil)
	big := `{"query":"{hello}","variables":{"x":"` + strings.Repeat("a", 2_000_001) + `"}}`
	if r := do(p.h, http.MethodPost, big, nil); r.status != 413 || r.code() != server.CodeBodyTooLarge {
		t.Errorf("2 MB body: %d %s", r.status, r.code())
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	_, _ = zw.Write([]byte(`{"query":"{hello}","extensions":{"pad":"`))
	_, _ = zw.Write(bytes.Repeat([]byte("0"), 20<<20))
	_ = zw.Close()
	if r := do(p.h, http.MethodPost, gz.String(), map[string]string{"Content-Encoding": "gzip"}); r.status != 413 {
		t.Errorf("gzip bomb (%d bytes inflating to 20 MB): %d %s", gz.Len(), r.status, r.body)
	}
	var small bytes.Buffer
	zw = gzip.NewWriter(&small)
	_, _ = zw.Write([]byte(`{"query":"{hello}"}`))
	_ = zw.Close()
	if r := do(p.h, http.MethodPost, small.String(), map[string]string{"Content-Encoding": "gzip"}); r.status != 200 || !strings.Contains(r.body, `"hi"`) {
		t.Errorf("gzip body: %d %s", r.status, r.body)
	}
	headers := map[string]string{}
	for i := range 101 {
		headers[fmt.Sprintf("X-H%d", i)] = "v"
	}
	if r := do(p.h, http.MethodPost, `{"query":"{hello}"}`, headers); r.status != 431 || r.code() != server.CodeHeadersTooLarge {
		t.Errorf("101 headers: %d %s", r.status, r.body)
	}
	if n := p.calls(); n != 1 {
		t.Errorf("subgraph calls = %d, want 1 (the small gzip body only)", n)
	}
}

// P2–P9: parser and operation limits, each before any subgraph call.
func TestOperationLimits(t *testing.T) {
	p := newProt(t, nil)
	aliases := func(n int, field string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " a%d: %s", i, field)
		}
		return b.String() + "}"
	}
	for _, tt := range []struct {
		name, query string
		vars        map[string]any
		code        string
	}{
		{"15,001 tokens", "{" + strings.Repeat(" hello", 15000) + "}", nil, "GRAPHQL_PARSE_FAILED"},
		{"100,000 levels of braces", nested("a", 100_000, "b"), nil, "GRAPHQL_PARSE_FAILED"},
		{"depth 16 (leaves count)", "{" + nested("node", 1, nested("child", 14, "id")) + "}", nil, "MAX_DEPTH_LIMIT"},
		{"depth 16 through fragments", `{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...C } }
			fragment C on Node { child { ...D } } fragment D on Node { ` + nested("child", 11, "id") + ` }`, nil, "MAX_DEPTH_LIMIT"},
		{"31 aliases", aliases(31, "hello"), nil, "MAX_ALIASES_LIMIT"},
		{"21 root fields", aliases(21, "hello"), nil, "MAX_ROOT_FIELDS_LIMIT"},
		{"1,000 directives", "{" + strings.Repeat(" __typename @aa", 1000) + "}", nil, "MAX_DIRECTIVES_LIMIT"},
		{"circular fragments", `{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"cost 10^6", `{ nodes(first: 100) { children(first: 100) { children(first: 100) { id } } } }`, nil, "COST_ESTIMATED_TOO_EXPENSIVE"},
		{"cost from a variable", `query($n: Int) { nodes(first: $n) { children { children { id } } } }`, map[string]any{"n": 20000}, "COST_ESTIMATED_TOO_EXPENSIVE"},
		{"cost with default list sizes", `{ nodes { children { children { children { children { children { children { id } } } } } } } }`, nil, "COST_ESTIMATED_TOO_EXPENSIVE"},
		{"cost overflowing 64 bits", `query($n: Int) { nodes(first: $n) { children(first: $n) { children(first: $n) { id } } } }`, map[string]any{"n": 2147483647}, "COST_ESTIMATED_TOO_EXPENSIVE"},
		{"introspection off", `{ __schema { types { name } } }`, nil, "INTROSPECTION_DISABLED"},
		{"_entities is not public", `{ _entities(representations: []) { __typename } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
	} {
		r := gql(p.h, tt.query, tt.vars)
		if r.status != 400 || r.code() != tt.code {
			t.Errorf("%s: %d %.300s, want 400 %s", tt.name, r.status, r.body, tt.code)
		}
		if tt.code == "MAX_DIRECTIVES_LIMIT" && (strings.Count(r.body, `"message"`) != 1 || len(r.body) > 1024) {
			t.Errorf("%s: want exactly one short error, got %d bytes", tt.name, len(r.body))
		}
	}
	if n := p.calls(); n != 0 {
		t.Fatalf("rejected operations made %d subgraph calls", n)
	}
	// At the limits, and what merges below them, runs.
	for _, tt := range []struct{ name, query string }{
		{"depth 15", "{" + nested("node", 1, nested("child", 13, "id")) + "}"},
		{"20 root fields", aliases(20, "hello")},
		{"500 identical fields merge into one", "{" + strings.Repeat(" hello", 500) + "}"},
		{"cost 100 x 10", `{ nodes(first: 100) { children { id } } }`},
		{"cost 100 x 100 x 10", `{ nodes(first: 100) { children(first: 100) { children { id } } } }`},
	} {
		if r := gql(p.h, tt.query, nil); r.status != 200 || strings.Contains(r.body, `"errors"`) {
			t.Errorf("%s: %d %.300s", tt.name, r.status, r.body)
		}
	}
	// The cost of a cached operation follows each request's variables.
	q := `query($n: Int) { nodes(first: $n) { children { children { id } } } }`
	if r := gql(p.h, q, map[string]any{"n": 5}); r.status != 200 {
		t.Errorf("cheap variables: %d %s", r.status, r.body)
	}
	if r := gql(p.h, q, map[string]any{"n": 10000}); r.code() != "COST_ESTIMATED_TOO_EXPENSIVE" ||
		!strings.Contains(r.body, "at most 1000000") || !strings.Contains(r.body, "most of it comes from Node.children at Query.nodes.children.children, estimated to be fetched 1000000 times") {
		t.Errorf("expensive variables on a cached operation: %d %s", r.status, r.body)
	}
}

func TestMeasureModeOnlyCounts(t *testing.T) {
	m := metrics.New()
	p := newProt(t, func(c *config.Config) { c.Limits.Mode = "measure" }, func(c *server.Config) { c.Metrics = m })
	if r := gql(p.h, "{"+nested("node", 1, nested("child", 14, "id"))+"}", nil); r.status != 200 {
		t.Errorf("measure mode rejected: %d %s", r.status, r.body)
	}
	costly := `{ nodes(first: 100) { children(first: 100) { children(first: 100) { id } } } }`
	if r := gql(p.h, costly, nil); r.status != 200 || strings.Contains(r.body, "COST_ESTIMATED_TOO_EXPENSIVE") {
		t.Errorf("measure mode rejected a costly query: %d %s", r.status, r.body)
	}
	body := scrape(t, p.h)
	for _, want := range []string{`router_rejected_total{reason="measured_MAX_DEPTH_LIMIT"} 1`, `router_rejected_total{reason="measured_COST_ESTIMATED_TOO_EXPENSIVE"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("not counted: %s\n%s", want, grepLines(body, "router_rejected"))
		}
	}
	if !strings.Contains(body, "router_operation_cost_estimated_count 2") {
		t.Errorf("estimates not recorded:\n%s", grepLines(body, "router_operation_cost"))
	}
}

// P10: batching off by default; on, bounded and rate limited per entry.
func TestBatching(t *testing.T) {
	p := newProt(t, nil)
	two := `[{"query":"{hello}"},{"query":"{hello}"}]`
	if r := do(p.h, http.MethodPost, two, nil); r.status != 400 || r.code() != server.CodeBatchingDisabled {
		t.Errorf("batch with batching off: %d %s", r.status, r.body)
	}
	p = newProt(t, func(c *config.Config) { c.Limits.Batching = true })
	eleven := "[" + strings.TrimSuffix(strings.Repeat(`{"query":"{hello}"},`, 11), ",") + "]"
	if r := do(p.h, http.MethodPost, eleven, nil); r.status != 400 || r.code() != server.CodeBatchTooLarge || p.calls() != 0 {
		t.Errorf("11 operations: %d %s, %d calls", r.status, r.body, p.calls())
	}
	r := do(p.h, http.MethodPost, `[{"query":"{hello}"},{"query":"{ nope }"}]`, nil)
	var out []json.RawMessage
	if err := json.Unmarshal([]byte(r.body), &out); err != nil || len(out) != 2 || !strings.Contains(string(out[0]), `"hi"`) || !strings.Contains(string(out[1]), "GRAPHQL_VALIDATION_FAILED") {
		t.Errorf("batch of 2: %d %s", r.status, r.body)
	}
}

// P11: CSRF as Apollo Router, CORS allow-list.
func TestCSRFAndCORS(t *testing.T) {
	p := newProt(t, func(c *config.Config) { c.CORS.AllowOrigins = []string{"https://shop.example"} })
	const body = `{"query":"{hello}"}`
	for _, tt := range []struct {
		name   string
		method string
		header map[string]string
		status int
		code   string
	}{
		{"text/plain POST", "POST", map[string]string{"Content-Type": "text/plain"}, 400, server.CodeCSRF},
		{"form POST", "POST", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 400, server.CodeCSRF},
		{"multipart POST", "POST", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, 400, server.CodeCSRF},
		{"POST without Content-Type", "POST", map[string]string{"Content-Type": ""}, 400, server.CodeCSRF},
		{"text/plain with the preflight header passes CSRF, then is not JSON", "POST", map[string]string{"Content-Type": "text/plain", "Apollo-Require-Preflight": "1"}, 415, "BAD_REQUEST"},
	} {
		r := do(p.h, tt.method, body, tt.header)
		if r.status != tt.status || r.code() != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
	}
	get := func(q string, header map[string]string) result {
		r := httptest.NewRequest(http.MethodGet, "/graphql?query="+q, nil)
		r.Header.Set("Accept", "application/json")
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		p.h.ServeHTTP(w, r)
		return result{w.Code, w.Header(), w.Body.String()}
	}
	if r := get("mutation%7Blogin(email:%22a%22)%7D", nil); r.status != 405 {
		t.Errorf("GET mutation: %d %s", r.status, r.body)
	}
	if r := get("%7Bhello%7D", map[string]string{"Content-Type": "text/plain"}); r.status != 415 {
		t.Errorf("GET with text/plain: %d %s", r.status, r.body)
	}
	if n := p.calls(); n != 0 {
		t.Errorf("refused requests made %d subgraph calls", n)
	}
	if r := get("%7Bhello%7D", map[string]string{"Apollo-Require-Preflight": "1"}); r.status != 200 {
		t.Errorf("GET query: %d %s", r.status, r.body)
	}
	if r := do(p.h, "POST", body, map[string]string{"Origin": "https://shop.example"}); r.header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Errorf("listed origin: %v", r.header)
	}
	if r := do(p.h, "POST", body, map[string]string{"Origin": "https://evil.example"}); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin got %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	r := do(p.h, http.MethodOptions, "", map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
	if r.status != 204 || !strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// P13: a safelist in enforce mode, and APQ.
func TestPersistedOperations(t *testing.T) {
	const listed = `{ hello }`
	manifest := filepath.Join(t.TempDir(), "manifest.json")
	m, _ := json.Marshal(map[string]any{"operations": map[string]string{sha(listed): listed}})
	if err := os.WriteFile(manifest, m, 0o644); err != nil {
		t.Fatal(err)
	}
	p := newProt(t, func(c *config.Config) { c.Persisted.Mode, c.Persisted.Manifest = "enforce", manifest })
	hashOnly := func(h string) string {
		return `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + h + `"}}}`
	}
	for _, tt := range []struct{ name, body, code string }{
		{"unknown document", `{"query":"{ node { id } }"}`, server.CodePersistedNotInList},
		{"unknown hash", hashOnly(strings.Repeat("de", 32)), server.CodePersistedNotFound},
		{"hash not matching the query", `{"query":"{ hello }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("ab", 32) + `"}}}`, server.CodePersistedHashMismatch},
	} {
		if r := do(p.h, "POST", tt.body, nil); r.code() != tt.code {
			t.Errorf("%s: %d %s, want %s", tt.name, r.status, r.body, tt.code)
		}
	}
	if n := p.calls(); n != 0 {
		t.Errorf("refused operations made %d calls", n)
	}
	for _, body := range []string{hashOnly(sha(listed)), `{"query":"{ hello }"}`} {
		if r := do(p.h, "POST", body, nil); r.status != 200 || !strings.Contains(r.body, `"hi"`) {
			t.Errorf("listed %s: %d %s", body, r.status, r.body)
		}
	}

	// APQ: register by sending the document once, then the hash suffices.
	rdb, prefix := redistest.New(t)
	p = newProt(t, func(c *config.Config) { c.Persisted.APQ, c.RedisPrefix = true, prefix }, func(c *server.Config) { c.Redis = rdb })
	const doc = `{ node(id: "1") { id } }`
	if r := do(p.h, "POST", hashOnly(sha(doc)), nil); r.code() != server.CodePersistedNotFound {
		t.Errorf("unregistered: %s", r.body)
	}
	b, _ := json.Marshal(map[string]any{"query": doc, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha(doc)}}})
	if r := do(p.h, "POST", string(b), nil); r.status != 200 {
		t.Errorf("register: %d %s", r.status, r.body)
	}
	// Another replica sharing Redis knows it too.
	other := newProt(t, func(c *config.Config) { c.Persisted.APQ, c.RedisPrefix = true, prefix }, func(c *server.Config) { c.Redis = rdb })
	if r := do(other.h, "POST", hashOnly(sha(doc)), nil); r.status != 200 || strings.Contains(r.body, "errors") {
		t.Errorf("hash only on another replica: %d %s", r.status, r.body)
	}
}

// P18 and P5: GCRA in Redis, shared by replicas, weighted by root fields,
// stricter per field; a local limiter when Redis is down.
func TestRateLimits(t *testing.T) {
	rdb, prefix := redistest.New(t)
	set := func(c *config.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.Rate, c.RateLimit.Burst, c.RateLimit.Period = 10, 10, config.Duration(time.Minute)
	}
	shared := func(c *server.Config) { c.Redis = rdb; c.Settings.RedisPrefix = prefix }
	a, b := newProt(t, set, shared), newProt(t, set, shared)
	var ok, limited int
	for i := range 12 {
		h := a.h
		if i%2 == 1 {
			h = b.h // two replicas, one budget
		}
		switch r := gql(h, `{hello}`, nil); {
		case r.status == 200:
			ok++
		case r.status == 429 && r.code() == server.CodeRateLimited && r.header.Get("Retry-After") != "":
			limited++
		default:
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	if ok != 10 || limited != 2 {
		t.Errorf("12 requests over two replicas at 10/min: %d ok, %d limited", ok, limited)
	}

	// 20 aliased logins against a login limit of 5: refused whole, no call.
	p := newProt(t, func(c *config.Config) { c.RateLimit.Enabled, c.RedisPrefix = true, prefix+"logins:" }, func(c *server.Config) { c.Redis = rdb })
	var q strings.Builder
	q.WriteString("mutation {")
	for i := range 20 {
		fmt.Fprintf(&q, ` l%d: login(email: "a@x")`, i)
	}
	q.WriteString("}")
	if r := gql(p.h, q.String(), nil); r.status != 429 || p.calls() != 0 {
		t.Errorf("20 aliased logins: %d %s, %d calls", r.status, r.body, p.calls())
	}
	for i := range 6 {
		r := gql(p.h, `mutation { login(email: "a@x") }`, nil)
		if want := 200; i == 5 {
			want = 429
			if r.status != want {
				t.Errorf("6th login: %d %s", r.status, r.body)
			}
		} else if r.status != want {
			t.Errorf("login %d: %d %s", i+1, r.status, r.body)
		}
	}
	if n := p.tree.calls.Load(); n != 5 {
		t.Errorf("users saw %d logins, want 5", n)
	}

	// Redis down: limits still hold, per replica, and the metric says so.
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = dead.Close() })
	m := metrics.New()
	p = newProt(t, set, func(c *server.Config) { c.Redis, c.Metrics = dead, m })
	ok = 0
	for range 11 {
		if gql(p.h, `{hello}`, nil).status == 200 {
			ok++
		}
	}
	if ok != 10 {
		t.Errorf("Redis down: %d of 11 allowed, want 10", ok)
	}
	if body := scrape(t, p.h); !strings.Contains(body, "router_ratelimit_fallback 1") {
		t.Errorf("fallback metric:\n%s", grepLines(body, "ratelimit"))
	}
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("/metrics: %d", w.Code)
	}
	return w.Body.String()
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// P19: the subgraph timeout gives partial data; the request timeout 504.
func TestTimeouts(t *testing.T) {
	p := newProt(t, func(c *config.Config) { c.Traffic.SubgraphTimeout = config.Duration(100 * time.Millisecond) })
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
	p.extra.set(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	r := gql(p.h, `{ hello slow }`, nil)
	if r.status != 200 || !strings.Contains(r.body, `"hello":"hi"`) || !strings.Contains(r.body, `"slow":null`) || r.code() != "GATEWAY_TIMEOUT" || !strings.Contains(r.body, `"serviceName":"extra"`) {
		t.Errorf("slow subgraph: %d %s", r.status, r.body)
	}
	q := newProt(t, func(c *config.Config) {
		c.Traffic.RequestTimeout, c.Traffic.SubgraphTimeout = config.Duration(time.Nanosecond), -1
	})
	if r := gql(q.h, `{ hello }`, nil); r.status != 504 || r.code() != server.CodeGatewayTimeout {
		t.Errorf("1ns request timeout: %d %s", r.status, r.body)
	}
}

// scripted answers its n-th call with statuses[n] (200 after the list).
func scripted(t *testing.T, p *protHarness, statuses ...int) {
	var n atomic.Int64
	p.tree.set(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) && statuses[i] != 200 {
			w.WriteHeader(statuses[i])
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
			return
		}
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		treeAnswer(w, r, string(b))
	})
}

// P20: queries are retried, mutations never.
func TestRetries(t *testing.T) {
	p := newProt(t, nil)
	scripted(t, p, 503, 503, 200)
	if r := gql(p.h, `{ hello }`, nil); r.status != 200 || !strings.Contains(r.body, `"hi"`) || p.tree.calls.Load() != 3 {
		t.Errorf("503, 503, 200: %d %s after %d calls", r.status, r.body, p.tree.calls.Load())
	}
	p = newProt(t, nil)
	scripted(t, p, 502, 502, 502)
	r := gql(p.h, `mutation { login(email: "a@x") }`, nil)
	if p.tree.calls.Load() != 1 || r.code() != "SUBREQUEST_HTTP_ERROR" {
		t.Errorf("mutation answered 502: %d calls, %s", p.tree.calls.Load(), r.body)
	}
}

// P21: the breaker opens after the threshold, answers without calls,
// then lets one probe through after the sleep window.
func TestCircuitBreaker(t *testing.T) {
	p := newProt(t, func(c *config.Config) {
		c.Traffic.Retry.MaxAttempts = -1
		c.Traffic.Breaker.RequestThreshold = 5
		c.Traffic.Breaker.SleepWindow = config.Duration(50 * time.Millisecond)
	})
	scripted(t, p, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)
	for range 5 {
		gql(p.h, `{ hello }`, nil)
	}
	before := p.tree.calls.Load()
	r := gql(p.h, `{ hello }`, nil)
	if r.code() != "SUBGRAPH_CIRCUIT_OPEN" || p.tree.calls.Load() != before {
		t.Fatalf("open breaker: %s, calls %d -> %d", r.body, before, p.tree.calls.Load())
	}
	// After the sleep window a probe reaches the subgraph: it fails (the
	// script still answers 500), so the circuit opens again.
	deadline := time.Now().Add(10 * time.Second)
	for p.tree.calls.Load() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		gql(p.h, `{ hello }`, nil)
	}
	if got := p.tree.calls.Load(); got != before+1 {
		t.Fatalf("probe: calls %d -> %d, want one probe", before, got)
	}
	// Once the subgraph is healthy, the next probe closes it.
	scripted(t, p)
	for time.Now().Before(deadline) {
		if r := gql(p.h, `{ hello }`, nil); strings.Contains(r.body, `"hi"`) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("the breaker never closed")
}

// P23: beyond max_in_flight, 503 with Retry-After, at once.
func TestLoadShedding(t *testing.T) {
	p := newProt(t, func(c *config.Config) { c.Traffic.MaxInFlight = 2 })
	arrived := make(chan struct{}, 2)
	release := make(chan struct{})
	p.tree.set(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"hello":"hi"}}`)
	})
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Different queries: identical ones would be deduplicated.
			gql(p.h, fmt.Sprintf(`{ hello a%d: hello }`, i), nil)
		}()
	}
	<-arrived
	<-arrived
	r := gql(p.h, `{ hello }`, nil)
	close(release)
	wg.Wait()
	if r.status != 503 || r.header.Get("Retry-After") == "" || r.code() != server.CodeOverloaded || p.tree.calls.Load() != 2 {
		t.Errorf("third request: %d %s, Retry-After %q, %d calls", r.status, r.body, r.header.Get("Retry-After"), p.tree.calls.Load())
	}
}

// P22: identical in-flight queries of one caller share one fetch; with
// traffic.deduplicate off each makes its own.
func TestInflightDeduplication(t *testing.T) {
	t.Run("on", func(t *testing.T) { testInflightDeduplication(t, true, 1) })
	t.Run("off", func(t *testing.T) { testInflightDeduplication(t, false, 20) })
}

func testInflightDeduplication(t *testing.T, dedup bool, wantCalls int64) {
	m := metrics.New()
	p := newProt(t, func(c *config.Config) { c.Traffic.Deduplicate = &dedup }, func(c *server.Config) { c.Metrics = m })
	release := make(chan struct{})
	p.tree.set(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"hello":"hi"}}`)
	})
	const n = 20
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = gql(p.h, `{ hello }`, nil).body
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(scrape(t, p.h), fmt.Sprintf("router_requests_in_flight %d", n)) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if dedup {
		// In flight at the router is not yet at the engine's deduplication:
		// a request still being parsed when the leader's answer came would
		// lead a fetch of its own (1 in 6 loaded runs made 2 calls). Release
		// only when every follower waits for the leader.
		waitFollowers(t, n-1)
	}
	close(release)
	wg.Wait()
	for _, b := range bodies {
		if !strings.Contains(b, `"hi"`) {
			t.Fatalf("a follower got %s", b)
		}
	}
	if got := p.tree.calls.Load(); got != wantCalls {
		t.Errorf("%d identical in-flight queries made %d subgraph calls, want %d", n, got, wantCalls)
	}
}

// waitFollowers waits until n goroutines wait in the engine's inbound
// deduplication for a leader's answer. The engine has no count of them, so
// they are counted in the goroutine dump, by the frame they wait in.
func waitFollowers(t *testing.T, n int) {
	t.Helper()
	buf := make([]byte, 8<<20)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		k := runtime.Stack(buf, true)
		if bytes.Count(buf[:k], []byte("(*InboundRequestSingleFlight).GetOrCreate")) >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%d followers never all waited for the leader", n)
}

// Several instances: round robin; a dead one costs no failed query.
func TestLoadBalancing(t *testing.T) {
	one, two := newCounting(t, treeAnswer), newCounting(t, treeAnswer)
	p := newProt(t, func(c *config.Config) {
		c.Subgraphs = map[string]config.Subgraph{"tree": {URLs: []string{one.URL, two.URL}}}
	})
	for range 10 {
		if r := gql(p.h, `{ hello }`, nil); !strings.Contains(r.body, `"hi"`) {
			t.Fatalf("balanced query: %s", r.body)
		}
	}
	if one.calls.Load() != 5 || two.calls.Load() != 5 || p.tree.calls.Load() != 0 {
		t.Errorf("round robin: %d and %d (configured URL %d)", one.calls.Load(), two.calls.Load(), p.tree.calls.Load())
	}
	two.Close() // killed
	for i := range 20 {
		if r := gql(p.h, `{ hello }`, nil); !strings.Contains(r.body, `"hi"`) {
			t.Fatalf("query %d with one instance dead: %s", i, r.body)
		}
	}
}

// Header rules, request ids, and redaction of subgraph internals.
func TestHeadersAndRedaction(t *testing.T) {
	var got http.Header
	var mu sync.Mutex
	p := newProt(t, func(c *config.Config) {
		c.Headers.Propagate = append(c.Headers.Propagate, config.HeaderRule{Named: "X-Tenant", Rename: "X-Shop-Tenant"})
		c.Headers.Response = map[string]string{"X-Content-Type-Options": "nosniff"}
		c.Subgraphs = map[string]config.Subgraph{"tree": {Headers: []config.HeaderRule{{Set: "X-Secret", Value: "s3"}}}}
	})
	p.tree.set(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"hello":null},"errors":[{"message":"pq: duplicate key value violates unique constraint \"users_email_key\" at store.go:12","path":["hello"]},{"message":"email taken","path":["hello"],"extensions":{"code":"BAD_USER_INPUT"}}]}`)
	})
	r := do(p.h, "POST", `{"query":"{ hello }"}`, map[string]string{"X-Tenant": "t1", "X-Request-Id": "req-42", "Cookie": "session=x"})
	mu.Lock()
	defer mu.Unlock()
	if got.Get("X-Shop-Tenant") != "t1" || got.Get("X-Secret") != "s3" || got.Get("X-Request-Id") != "req-42" || got.Get("Cookie") != "" {
		t.Errorf("subgraph headers: %v", got)
	}
	if r.header.Get("X-Request-Id") != "req-42" || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("response headers: %v", r.header)
	}
	for _, leak := range []string{"pq:", "unique constraint", ".go:"} {
		if strings.Contains(r.body, leak) {
			t.Errorf("response leaks %q: %s", leak, r.body)
		}
	}
	if !strings.Contains(r.body, "INTERNAL_SERVER_ERROR") || !strings.Contains(r.body, "email taken") {
		t.Errorf("redaction: %s", r.body)
	}
	if r := do(p.h, "POST", `{"query":"{ hello }"}`, nil); len(r.header.Get("X-Request-Id")) < 16 {
		t.Errorf("no request id made: %v", r.header)
	}
}

// F3: garbage from a subgraph is an error for its fields, never a 500.
func TestSubgraphGarbage(t *testing.T) {
	for _, tt := range []struct {
		name string
		send func(w http.ResponseWriter)
		code string
	}{
		{"HTML 502", func(w http.ResponseWriter) { w.WriteHeader(502); _, _ = io.WriteString(w, "<html>oops</html>") }, "SUBREQUEST_HTTP_ERROR"},
		{"11 MB body", func(w http.ResponseWriter) {
			_, _ = w.Write([]byte(`{"data":{"slow":"`))
			_, _ = w.Write(bytes.Repeat([]byte("x"), 11<<20))
			_, _ = w.Write([]byte(`"}}`))
		}, "SUBREQUEST_RESPONSE_TOO_LARGE"},
		{"invalid JSON", func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"data":`) }, ""},
		{"no data, no errors", func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{}`) }, ""},
	} {
		p := newProt(t, func(c *config.Config) {
			c.Traffic.Retry.MaxAttempts = -1
			// Reading 11 MB under -race on a loaded machine can take longer
			// than the default 3 s: the size cap, not the clock, must end it.
			c.Traffic.SubgraphTimeout, c.Traffic.RequestTimeout = config.Duration(time.Minute), config.Duration(2*time.Minute)
		})
		p.extra.set(func(w http.ResponseWriter, _ *http.Request) { tt.send(w) })
		r := gql(p.h, `{ hello slow }`, nil)
		if r.status != 200 || !strings.Contains(r.body, `"hello":"hi"`) || !strings.Contains(r.body, `"errors"`) || (tt.code != "" && !strings.Contains(r.body, tt.code)) {
			t.Errorf("%s: %d %.400s", tt.name, r.status, r.body)
		}
	}
}

func TestMetricsEndpoint(t *testing.T) {
	m := metrics.New()
	p := newProt(t, nil, func(c *server.Config) { c.Metrics = m })
	gql(p.h, `query Hello { hello }`, nil)
	gql(p.h, `query Hello { hello }`, nil)
	gql(p.h, `{ nope }`, nil)
	body := scrape(t, p.h)
	for _, want := range []string{
		`router_requests_total{operation="Hello",outcome="ok"} 2`,
		`router_subgraph_fetches_total{outcome="ok",subgraph="tree"} 2`,
		`router_operation_cache_total{result="hit"} 1`,
		`router_rejected_total{reason="GRAPHQL_VALIDATION_FAILED"} 1`,
		`router_request_duration_seconds_bucket{operation="Hello"`,
		`router_streams_open 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// The router passes /media/ through to the products subgraph when set:
// images and presigned uploads work where only the router is published.
func TestMediaProxy(t *testing.T) {
	var got string
	var mu sync.Mutex
	products := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = r.Method + " " + r.URL.RequestURI() + " " + string(b)
		mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		_, _ = io.WriteString(w, "png-bytes")
	}))
	t.Cleanup(products.Close)
	p := newProt(t, func(c *config.Config) { c.MediaURL = products.URL })
	r := httptest.NewRequest(http.MethodPut, "/media/upload/k1?sig=abc", strings.NewReader("image"))
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	mu.Lock()
	defer mu.Unlock()
	if w.Code != 200 || w.Body.String() != "png-bytes" || w.Header().Get("Content-Type") != "image/png" || got != "PUT /media/upload/k1?sig=abc image" {
		t.Errorf("proxied: %d %q %q; products saw %q", w.Code, w.Body.String(), w.Header().Get("Content-Type"), got)
	}
}
