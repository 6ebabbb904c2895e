package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/telemetry"
)

// subgraphClient returns the client for one subgraph's fetches: timeout,
// circuit breaker, retries and load balancing (traffic.go, balance.go)
// under an outer layer that turns every failure into a GraphQL error
// naming the subgraph, so the client sees which subgraph failed next to the
// partial data instead of the engine's bare "Failed to fetch". It also
// returns the balancer, which the subgraph's subscription client shares.
func subgraphClient(ctx context.Context, base *http.Client, name, url, sdl string, t Traffic, log *slog.Logger) (*http.Client, *balancer, error) {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		c = http.Client{Transport: defaultTransport}
	}
	// The fetch deadline is the timeout layer's; a client-wide timeout
	// would cut retries and streams short.
	c.Timeout = 0
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	urls := t.Instances[name]
	if len(urls) == 0 {
		urls = []string{url}
	}
	// Each attempt on an instance is a client span that sends the
	// request's traceparent, so the subgraph (and its SQL) joins the
	// router's trace; retries show as sibling spans. Health checks below
	// keep the bare transport: they belong to no request.
	bal, err := newBalancer(name, urls, t.Balance, telemetry.Transport(rt), log)
	if err != nil {
		return nil, nil, fmt.Errorf("instances: %w", err)
	}
	if hp := t.DNS[name]; hp != "" {
		host, port, err := splitHostPort(hp)
		if err != nil {
			return nil, nil, fmt.Errorf("dns: %w", err)
		}
		go bal.resolveLoop(ctx, host, port, bal.list[0].url)
	}
	if t.Balance.HealthInterval > 0 {
		go bal.healthLoop(ctx, &http.Client{Transport: rt})
	}
	var chain http.RoundTripper = &retrier{name: name, policy: t.Retry, obs: t.Observer, next: bal}
	if !t.Breaker.Disabled {
		chain = (&breaker{name: name, policy: t.Breaker, obs: t.Observer, now: time.Now}).RoundTripper(chain)
	}
	timeout := t.SubgraphTimeout
	if d, ok := t.Timeouts[name]; ok && d != 0 {
		timeout = d
	}
	chain = &timeoutTransport{next: chain, timeout: timeout}
	c.Transport = &answer{next: chain, entities: newEntityCheck(name, sdl), roots: newRootCheck(name, sdl), name: name, log: log, maxBytes: t.MaxResponseBytes, obs: t.Observer, expose: t.ExposeErrors}
	return &c, bal, nil
}

func splitHostPort(hp string) (string, int, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", port, err)
	}
	return host, p, nil
}

// defaultTransport is shared by the subgraph clients made without a base.
var defaultTransport = &http.Transport{
	DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConns:          256,
	MaxIdleConnsPerHost:   64,
	IdleConnTimeout:       90 * time.Second,
	ResponseHeaderTimeout: 30 * time.Second,
}

// answer is the outermost layer of a subgraph client: failures become
// GraphQL errors with a code, bodies are size-capped, and errors that carry
// no code of their own (or INTERNAL_SERVER_ERROR) lose their message, which
// may hold SQL, paths or stack traces the client must not see.
type answer struct {
	next     http.RoundTripper
	entities *entityCheck
	roots    *rootCheck
	name     string
	log      *slog.Logger
	maxBytes int64
	obs      Observer
	expose   bool
}

func (a *answer) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	// Plain bodies: this layer reads and may rewrite them.
	r = r.Clone(r.Context())
	r.Header.Del("Accept-Encoding")
	var sent []byte
	if (a.entities != nil || a.roots != nil) && r.Body != nil {
		// Kept to check the answer against (entitycheck.go, rootcheck.go);
		// the engine's bodies are in memory already.
		var err error
		if sent, err = io.ReadAll(r.Body); err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(sent))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(sent)), nil }
	}
	res, err := a.next.RoundTrip(r)
	var body []byte
	if err == nil {
		body, err = drain(res, a.maxBytes)
	}
	if err != nil {
		// The client went away: nothing to report to it.
		if errors.Is(r.Context().Err(), context.Canceled) {
			return nil, err
		}
		code, msg := CodeDownstream, fmt.Sprintf("Subgraph '%s' could not be reached.", a.name)
		switch {
		case errors.Is(err, errFetchTimeout):
			code, msg = CodeGatewayTimeout, fmt.Sprintf("Subgraph '%s' did not answer in time.", a.name)
		case errors.Is(err, errCircuitOpen):
			code, msg = CodeCircuitOpen, fmt.Sprintf("Subgraph '%s' is unavailable: its circuit breaker is open.", a.name)
		case errors.Is(err, errResponseLarge):
			code, msg = CodeResponseTooLarge, fmt.Sprintf("Subgraph '%s' sent a response larger than %d bytes.", a.name, a.maxBytes)
		}
		a.observe(start, code)
		if code != CodeCircuitOpen {
			a.log.Warn("subgraph request failed", "subgraph", a.name, "url", r.URL.String(), "code", code, "err", err)
		}
		return synthetic(r, a.failed(sent, msg, code)), nil
	}
	if res.StatusCode >= 300 && !json.Valid(body) {
		// An HTML error page from a proxy, say: say what happened instead
		// of the engine's "invalid JSON".
		a.observe(start, "HTTP_"+strconv.Itoa(res.StatusCode))
		return synthetic(r, a.failed(sent, fmt.Sprintf("Subgraph '%s' answered HTTP %d.", a.name, res.StatusCode), "SUBREQUEST_HTTP_ERROR")), nil
	}
	switch {
	case isEntitiesFetch(sent):
		if a.entities != nil {
			body = a.entities.check(sent, body)
		}
	case a.roots != nil:
		body = a.roots.check(sent, body)
	}
	outcome := "ok"
	if bytes.Contains(body, []byte(`"errors"`)) {
		outcome = "error"
		if !a.expose {
			body = redactErrors(body)
		}
	}
	a.observe(start, outcome)
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Del("Content-Length")
	res.Header.Del("Content-Encoding")
	return res, nil
}

func (a *answer) observe(start time.Time, outcome string) {
	if a.obs != nil {
		a.obs.SubgraphFetch(a.name, time.Since(start), outcome)
	}
}

// failed is the answer to the engine for a fetch that failed as a whole:
// an error at each field the fetch was to answer, so the client learns
// which are missing. An entity fetch's error has the path "_entities",
// which the engine rewrites to the fetch's place in the response
// (["products"]); a root fetch has an error per root field it selected.
func (a *answer) failed(sent []byte, msg, code string) string {
	switch {
	case isEntitiesFetch(sent):
		return errorBody(msg, code, [][]string{{"_entities"}})
	case a.roots != nil:
		var paths [][]string
		for _, f := range a.roots.selected(sent) {
			paths = append(paths, []string{f.key})
		}
		return errorBody(msg, code, paths)
	}
	return errorBody(msg, code, nil)
}

// errorBody is a GraphQL answer of no data and the error msg, once at each
// of paths (once without a path when there are none).
func errorBody(msg, code string, paths [][]string) string {
	type gqlError struct {
		Message    string            `json:"message"`
		Path       []string          `json:"path,omitempty"`
		Extensions map[string]string `json:"extensions"`
	}
	ext := map[string]string{"code": code}
	errs := []gqlError{{Message: msg, Extensions: ext}}
	if len(paths) > 0 {
		errs = errs[:0]
		for _, p := range paths {
			errs = append(errs, gqlError{Message: msg, Path: p, Extensions: ext})
		}
	}
	b, _ := json.Marshal(struct {
		Data   any        `json:"data"`
		Errors []gqlError `json:"errors"`
	}{nil, errs})
	return string(b)
}

func synthetic(r *http.Request, body string) *http.Response {
	return &http.Response{
		StatusCode:    http.StatusOK,
		Status:        "200 OK",
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}
}

// redactErrors replaces the message of every error without a client-facing
// code. Bodies it cannot parse are left to the engine, which reports them.
func redactErrors(body []byte) []byte {
	var resp map[string]json.RawMessage
	if json.Unmarshal(body, &resp) != nil {
		return body
	}
	var errs []map[string]json.RawMessage
	if json.Unmarshal(resp["errors"], &errs) != nil {
		return body
	}
	changed := false
	for _, e := range errs {
		var ext struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(e["extensions"], &ext)
		if ext.Code != "" && ext.Code != CodeInternal {
			continue
		}
		e["message"] = json.RawMessage(`"internal error"`)
		e["extensions"] = json.RawMessage(`{"code":"` + CodeInternal + `"}`)
		changed = true
	}
	if !changed {
		return body
	}
	resp["errors"], _ = json.Marshal(errs)
	out, err := json.Marshal(resp)
	if err != nil {
		return body
	}
	return out
}
