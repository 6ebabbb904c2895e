package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/cespare/xxhash/v2"
	"github.com/wundergraph/astjson"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"

	"github.com/myshop/supergraph/subgraphs/platform/auth"
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
	rc := resolve.NewContext(ctx)
	rc.Variables = vars
	rc.RemapVariables = op.remap
	// Request ID, variables hash and header hash together key the engine's
	// request deduplication; all three must be set or users could share data.
	// The header hash always covers the Authorization header, whose claims
	// decide which protected fields the response holds.
	rc.VariablesHash = xxhash.Sum64(op.variables)
	rc.Request = resolve.Request{ID: op.hash, Header: header}
	rc.SubgraphHeadersBuilder = newForwardedHeaders(header, e.forward)
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
	if _, err := e.resolver.ArenaResolveGraphQLResponse(rc, p.Response, out); err != nil {
		return fmt.Errorf("resolve: %w", err)
	}
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
	_, err = w.Write(body)
	return err
}

// forwardedHeaders gives every subgraph request the same allowed subset of
// the client's headers.
type forwardedHeaders struct {
	header http.Header
	hash   uint64
}

func newForwardedHeaders(client http.Header, names []string) *forwardedHeaders {
	h := http.Header{}
	d := xxhash.New()
	// Seeded so the hash is never zero: zero means "no headers" to the engine.
	_, _ = d.WriteString("myshop-router")
	for _, name := range slices.Sorted(slices.Values(names)) {
		for _, v := range client.Values(name) {
			h.Add(name, v)
			_, _ = d.WriteString(name + ":" + v + "\n")
		}
	}
	// Even when Authorization is not forwarded, the caller's identity decides
	// what the response may hold: requests of different callers must never
	// be deduplicated into one.
	_, _ = d.WriteString("\x00identity:")
	for _, v := range client.Values("Authorization") {
		_, _ = d.WriteString(v + "\n")
	}
	return &forwardedHeaders{header: h, hash: d.Sum64()}
}

// HeadersForSubgraph returns a fresh copy: the HTTP client adds to it.
func (f *forwardedHeaders) HeadersForSubgraph(string) (http.Header, uint64) {
	return f.header.Clone(), f.hash
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
