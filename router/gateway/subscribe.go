package gateway

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
	"github.com/wundergraph/astjson"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"

	"github.com/myshop/supergraph/platform/auth"
)

// ErrNotSubscription is returned by Subscribe for queries and mutations.
var ErrNotSubscription = errors.New("the operation is not a subscription")

// SubscriptionSink receives one subscription's stream. The engine calls it
// from its own goroutines, one call at a time per subscription. Next and
// Heartbeat must not block for long: the engine delivers an event to every
// subscriber of a trigger before the next event, so a blocked sink holds up
// everyone on it. A sink writes under a deadline and returns an error when
// the client cannot keep up; the engine then drops the subscription.
type SubscriptionSink interface {
	// Next delivers one GraphQL response ({"data":…,"errors":…}); the
	// slice is only valid during the call.
	Next(response []byte) error
	// Error ends the stream with a response holding only errors (the
	// subgraph's subscription failed).
	Error(response []byte)
	// Complete ends the stream normally.
	Complete()
	// Heartbeat keeps an idle stream alive (only when asked for).
	Heartbeat() error
}

// SubscribeOptions tune one subscription.
type SubscribeOptions struct {
	// Heartbeat makes the engine call Heartbeat after 5 s without an event
	// (SSE); WebSockets ping on their own.
	Heartbeat bool
}

// ConnectionID names a client connection carrying several subscriptions.
type ConnectionID = resolve.ConnectionID

// NewConnectionID returns a fresh connection id.
func NewConnectionID() ConnectionID { return resolve.NewConnectionID() }

// Subscribe runs a prepared subscription until it completes, ctx ends or
// the engine shuts down, delivering its events to sink (SSE, one stream per
// request). header is the client's, as for Execute.
func (e *Engine) Subscribe(ctx context.Context, op *Operation, header http.Header, sink SubscriptionSink, opts SubscribeOptions) error {
	sub, ok := op.plan.plan.(*plan.SubscriptionResponsePlan)
	if !ok {
		return ErrNotSubscription
	}
	rc, w, err := e.subscriptionContext(ctx, op, header, sink, opts)
	if err != nil {
		return err
	}
	return e.resolver.ResolveGraphQLSubscription(rc, sub.Response, w)
}

// StartSubscription starts a prepared subscription and returns at once;
// its events go to sink until it completes or is stopped with
// StopSubscription or StopConnection (WebSocket: many per connection).
// ctx carries the caller's identity and bounds the entity fetches made for
// each event; cancelling it does not stop the subscription.
func (e *Engine) StartSubscription(ctx context.Context, op *Operation, header http.Header, sink SubscriptionSink, conn ConnectionID, id int64) error {
	sub, ok := op.plan.plan.(*plan.SubscriptionResponsePlan)
	if !ok {
		return ErrNotSubscription
	}
	rc, w, err := e.subscriptionContext(ctx, op, header, sink, SubscribeOptions{})
	if err != nil {
		return err
	}
	return e.resolver.AsyncResolveGraphQLSubscription(rc, sub.Response, w,
		resolve.SubscriptionIdentifier{ConnectionID: conn, SubscriptionID: id})
}

// StopSubscription stops one subscription of a connection; its sink hears
// nothing more.
func (e *Engine) StopSubscription(conn ConnectionID, id int64) {
	_ = e.resolver.UnsubscribeSubscription(resolve.SubscriptionIdentifier{ConnectionID: conn, SubscriptionID: id})
}

// StopConnection stops every subscription of a connection.
func (e *Engine) StopConnection(conn ConnectionID) {
	_ = e.resolver.UnsubscribeClient(conn)
}

// subscriptionContext is the resolve context of a subscription: as for a
// query, plus the client's Authorization in the subgraph connection's
// connection_init payload (it also travels as a header on the upgrade).
func (e *Engine) subscriptionContext(ctx context.Context, op *Operation, header http.Header, sink SubscriptionSink, opts SubscribeOptions) (*resolve.Context, *subscriptionWriter, error) {
	vars, err := astjson.ParseBytes(op.variables)
	if err != nil {
		return nil, nil, fmt.Errorf("parse normalized variables: %w", err)
	}
	rc := resolve.NewContext(ctx)
	rc.Variables = vars
	rc.RemapVariables = op.remap
	rc.VariablesHash = xxhash.Sum64(op.variables)
	rc.Request = resolve.Request{ID: op.hash, Header: header}
	// Upstream connections are pooled by their headers: per-request ones
	// (request id, trace context) would give every client its own.
	shared := header.Clone()
	for name := range unhashed {
		shared.Del(name)
	}
	rc.SubgraphHeadersBuilder = ownTrigger(newForwardedHeaders(shared, &e.headers))
	rc.ExecutionOptions.SendHeartbeat = opts.Heartbeat
	if a := header.Get("Authorization"); a != "" && e.headers.forwards("Authorization") {
		payload, _ := json.Marshal(map[string]string{"Authorization": a})
		rc.InitialPayload = payload
	}
	w := &subscriptionWriter{sink: sink, renamed: op.plan.renamed}
	if len(e.rules) > 0 {
		authz := newAuthorizer(e.rules, auth.FromContext(ctx))
		rc.SetPreFetchFieldAuthorizer(authz)
		rc.SetAuthorizer(authz)
		w.filterDenied = true
	}
	return rc, w, nil
}

// subscriptionSeq numbers subscriptions for ownTrigger.
var subscriptionSeq atomic.Uint64

// ownTrigger gives a subscription a trigger of its own. The engine shares
// one upstream subscription among subscriptions with the same input and
// headers, and only the first subscriber sees what the subgraph sends when
// it starts: a later tab of the same user would never get the order's
// current state, only the changes after it. Mixing a per-subscription
// value into the headers hash (the trigger id) keeps every client
// subscription's own upstream one; they still share the upstream
// connection, pooled by the headers themselves.
func ownTrigger(f *forwardedHeaders) *forwardedHeaders {
	n := subscriptionSeq.Add(1)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	d := xxhash.New()
	_, _ = d.Write(b[:])
	_, _ = d.WriteString("\x00subscription")
	hash := f.hash ^ d.Sum64()
	if hash == 0 {
		hash = 1
	}
	return &forwardedHeaders{base: f.base, perSubgraph: f.perSubgraph, hash: hash}
}

// subscriptionWriter is the engine's SubscriptionResponseWriter over a
// sink: it gathers one response's writes and hands it on at Flush, with
// the same fixes Execute makes (client aliases in errors, no errors under
// denied fields).
type subscriptionWriter struct {
	mu           sync.Mutex
	buf          bytes.Buffer
	sink         SubscriptionSink
	renamed      map[string]string
	filterDenied bool
}

var _ resolve.SubscriptionResponseWriter = (*subscriptionWriter)(nil)

func (w *subscriptionWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *subscriptionWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	body := w.buf.Bytes()
	defer w.buf.Reset()
	if len(body) == 0 {
		return nil
	}
	var err error
	if len(w.renamed) > 0 && bytes.Contains(body, []byte(aliasPrefix)) {
		if body, err = restoreErrorAliases(body, w.renamed); err != nil {
			return fmt.Errorf("restore aliases in errors: %w", err)
		}
	}
	if w.filterDenied && bytes.Contains(body, []byte(codeUnauthorized)) {
		if body, err = dropErrorsUnderDenied(body); err != nil {
			return fmt.Errorf("filter errors under denied fields: %w", err)
		}
	}
	return w.sink.Next(body)
}

// discard drops what was written since the last Flush: a resolve that
// failed halfway leaves a partial response, which an error replaces.
func (w *subscriptionWriter) discard() {
	w.mu.Lock()
	w.buf.Reset()
	w.mu.Unlock()
}

func (w *subscriptionWriter) Complete() { w.sink.Complete() }

func (w *subscriptionWriter) Heartbeat() error { return w.sink.Heartbeat() }

func (w *subscriptionWriter) Error(data []byte) { w.sink.Error(data) }
