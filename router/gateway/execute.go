package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/wundergraph/astjson"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"

	"github.com/myshop/supergraph/platform/auth"
)

// ErrSubscriptionsUnsupported is returned by Execute for subscription operations.
var ErrSubscriptionsUnsupported = errors.New("subscriptions are not supported over this transport yet")

// Execute runs a prepared query or mutation and writes the complete GraphQL
// response ({"data":…,"errors":…}) to w in one Write. header is the client
// request's header, used to pick the headers forwarded to subgraphs. When
// Execute returns an error nothing has been written.
func (e *Engine) Execute(ctx context.Context, op *Operation, header http.Header, w io.Writer) error {
	p, ok := op.plan.plan.(*plan.SynchronousResponsePlan)
	if !ok {
		return ErrSubscriptionsUnsupported
	}
	vars, err := astjson.ParseBytes(op.variables)
	if err != nil {
		return fmt.Errorf("parse normalized variables: %w", err)
	}
	rc := resolve.NewContext(withOperationType(ctx, op.Type))
	rc.Variables = vars
	rc.RemapVariables = op.remap
	// Request ID, variables hash and header hash together key the engine's
	// request deduplication; all three must be set or users could share data.
	// The header hash always covers the Authorization header, whose claims
	// decide which protected fields the response holds.
	rc.VariablesHash = xxhash.Sum64(op.variables)
	rc.Request = resolve.Request{ID: op.hash, Header: header}
	rc.SubgraphHeadersBuilder = newForwardedHeaders(header, &e.headers)
	if e.noDedup {
		rc.ExecutionOptions.DisableInboundRequestDeduplication = true
		rc.ExecutionOptions.DisableSubgraphRequestDeduplication = true
	}
	w = nullErrorWriter{w}
	out := w
	var buf *bytes.Buffer
	if len(op.plan.renamed) > 0 {
		buf = &bytes.Buffer{}
		out = buf
	}
	if len(e.rules) > 0 {
		// Per request, from the request's verified claims: never part of
		// the cached plan, which lists the protected fields it selects.
		authz := newAuthorizer(e.rules, auth.FromContext(ctx))
		rc.SetPreFetchFieldAuthorizer(authz)
		rc.SetAuthorizer(authz)
		if p.Response.Info == nil || len(p.Response.Info.AuthorizationCoordinates) > 0 {
			buf = &bytes.Buffer{}
			out = buf
		}
	}
	if op.ExposeCost {
		buf = &bytes.Buffer{}
		out = buf
	}
	if err := e.resolve(rc, p.Response, out); err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
	op.Cost.Actual = actual(op.plan, rc)
	if buf == nil {
		return nil
	}
	// Not only when this request's authorizer denied: a deduplicated
	// request gets the response of an identical one (same token).
	body := buf.Bytes()
	if len(op.plan.renamed) > 0 && bytes.Contains(body, []byte(aliasPrefix)) {
		if body, err = restoreErrorAliases(body, op.plan.renamed); err != nil {
			return fmt.Errorf("restore aliases in errors: %w", err)
		}
	}
	if bytes.Contains(body, []byte(codeUnauthorized)) {
		if body, err = dropErrorsUnderDenied(body); err != nil {
			return fmt.Errorf("filter errors under denied fields: %w", err)
		}
	}
	if op.ExposeCost {
		if body, err = withCost(body, op.Cost); err != nil {
			return fmt.Errorf("add cost to extensions: %w", err)
		}
	}
	_, err = w.Write(body)
	return err
}

// resolve runs the engine, surviving one race of its inbound request
// deduplication (graphql-go-tools v2.18.0, router/docs/engine-behaviour.md
// entry 8): a follower that joins as the leader finishes can find the
// leader's answer missing, resolve the operation itself and then close the
// leader's channel a second time, which panics after the follower's own
// answer was written. That answer is whole, so the panic is dropped; a
// panic before anything was written, or any other, is not ours to hide.
func (e *Engine) resolve(rc *resolve.Context, resp *resolve.GraphQLResponse, out io.Writer) (err error) {
	w := &writeCounter{w: out}
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if re, ok := r.(runtime.Error); ok && strings.Contains(re.Error(), "close of closed channel") {
			e.log.Warn("engine deduplication closed a finished request twice", "answered", w.n > 0)
			if w.n > 0 {
				err = nil
				return
			}
			err = fmt.Errorf("engine deduplication failed: %v", r)
			return
		}
		panic(r)
	}()
	_, err = e.resolver.ArenaResolveGraphQLResponse(rc, resp, w)
	return err
}

// writeCounter counts what passes through to w.
type writeCounter struct {
	w io.Writer
	n int
}

func (c *writeCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// HeaderRule shapes the headers of subgraph requests: Named propagates a
// client header (sent as Rename when set); Set sends a fixed Value.
type HeaderRule struct {
	Named, Rename string
	Set, Value    string
}

// headerRules are the engine's rules: for every subgraph, then extra per
// subgraph.
type headerRules struct {
	all         []HeaderRule
	perSubgraph map[string][]HeaderRule
}

// forwards reports whether the client header name reaches some subgraph.
func (h *headerRules) forwards(name string) bool {
	for _, r := range h.all {
		if strings.EqualFold(r.Named, name) {
			return true
		}
	}
	return false
}

// forwardedHeaders are the headers of one request's subgraph calls.
type forwardedHeaders struct {
	base        http.Header
	perSubgraph map[string]http.Header // only subgraphs with rules of their own
	hash        uint64
}

func apply(h http.Header, client http.Header, rules []HeaderRule) {
	for _, r := range rules {
		if r.Set != "" {
			h.Set(r.Set, r.Value)
			continue
		}
		to := r.Named
		if r.Rename != "" {
			to = r.Rename
		}
		for _, v := range client.Values(r.Named) {
			h.Add(to, v)
		}
	}
}

func newForwardedHeaders(client http.Header, rules *headerRules) *forwardedHeaders {
	f := &forwardedHeaders{base: http.Header{}}
	apply(f.base, client, rules.all)
	d := xxhash.New()
	// Seeded so the hash is never zero: zero means "no headers" to the engine.
	_, _ = d.WriteString("myshop-router")
	hashHeader(d, "", f.base)
	for name, extra := range rules.perSubgraph {
		h := f.base.Clone()
		apply(h, client, extra)
		if f.perSubgraph == nil {
			f.perSubgraph = map[string]http.Header{}
		}
		f.perSubgraph[name] = h
	}
	for _, name := range slices.Sorted(maps.Keys(f.perSubgraph)) {
		hashHeader(d, name, f.perSubgraph[name])
	}
	// Even when Authorization is not forwarded, the caller's identity decides
	// what the response may hold: requests of different callers must never
	// be deduplicated into one.
	_, _ = d.WriteString("\x00identity:")
	for _, v := range client.Values("Authorization") {
		_, _ = d.WriteString(v + "\n")
	}
	f.hash = d.Sum64()
	return f
}

// unhashed headers differ per request but cannot change a response:
// hashing them would stop identical requests from sharing a fetch.
var unhashed = map[string]bool{"X-Request-Id": true, "Traceparent": true, "Tracestate": true}

func hashHeader(d *xxhash.Digest, scope string, h http.Header) {
	_, _ = d.WriteString("\x00" + scope + "\x00")
	for _, name := range slices.Sorted(maps.Keys(h)) {
		if unhashed[http.CanonicalHeaderKey(name)] {
			continue
		}
		for _, v := range h[name] {
			_, _ = d.WriteString(name + ":" + v + "\n")
		}
	}
}

// HeadersForSubgraph returns a fresh copy: the HTTP client adds to it.
func (f *forwardedHeaders) HeadersForSubgraph(name string) (http.Header, uint64) {
	if h, ok := f.perSubgraph[name]; ok {
		return h.Clone(), f.hash
	}
	return f.base.Clone(), f.hash
}

// HashAll is the hash of all headers sent to any subgraph.
func (f *forwardedHeaders) HashAll() uint64 { return f.hash }

// asyncErrorWriter receives errors the resolver hits while streaming
// subscription updates; the engine calls it without a nil check.
type asyncErrorWriter struct{ log *slog.Logger }

// It is called with the subscription's writer and nothing flushes after it,
// so it replaces whatever a failed resolve wrote with the error and flushes
// it to the client itself. The engine serializes calls per subscription.
func (a asyncErrorWriter) WriteError(_ *resolve.Context, err error, _ *resolve.GraphQLResponse, w io.Writer) {
	a.log.Error("subscription update failed", "err", err)
	if sw, ok := w.(*subscriptionWriter); ok {
		sw.discard()
	}
	_, _ = io.WriteString(w, `{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	if f, ok := w.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
}
