package gateway

// The event source (router/docs/event-source.md): a subscription field an
// event graph declares with @redisSubscribe is fed by a Redis channel the
// router listens to itself, on one pub/sub connection however many
// channels and subscribers there are, instead of an upstream WebSocket per
// client. The engine plans such a subscription like any other: the event
// graph's data source is the trigger, and every field a message does not
// carry (beyond an entity's key) comes from ordinary entity fetches, made
// per subscriber with the subscriber's headers. This file is the trigger:
// it renders the channel from the field's arguments and the verified
// token, reads the declared entity as the subscriber before any event
// flows (no read, no events), starts with the entity's newest event and
// fills a Redis outage's gap from its history, and drops messages that are
// malformed, filtered out or not newer.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tidwall/gjson"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/datasource/graphql_datasource"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/router/supergraph"
)

// LiveOptions turn on the event source.
type LiveOptions struct {
	// Redis is where subgraphs publish events; nil answers every
	// event-sourced subscription with SUBSCRIPTION_SOURCE_UNAVAILABLE.
	Redis redis.UniversalClient
	// Prefix starts every channel name ("myshop:" + "order:42").
	Prefix string
}

// Error codes of the event source.
const (
	CodeSubscriptionJWTExpired = "SUBSCRIPTION_JWT_EXPIRED"
	codeUnauthenticated        = "UNAUTHENTICATED"
	codeSourceUnavailable      = "SUBSCRIPTION_SOURCE_UNAVAILABLE"
	codeSubscriptionTooSlow    = "SUBSCRIPTION_TOO_SLOW"
)

// eventQueue bounds the events waiting for one subscriber of a feed: a
// client that cannot keep up is dropped with a reason rather than holding
// the others. stateQueue is the bound for one entity's events (a source
// with a sequence): they are states, so when a subscriber falls behind its
// oldest are superseded by newer ones instead, and it always gets the
// latest; one that stops reading is ended by its write deadline.
const (
	eventQueue = 64
	stateQueue = 8
)

// entityReader reads an entity as a subscriber: the answer's one item,
// null when the subscriber may not see it.
type entityReader func(ctx context.Context, graph string, header http.Header, rep []byte, selection string) (json.RawMessage, error)

// eventClient is the trigger of one event graph's subscriptions.
type eventClient struct {
	graph   string
	sources map[string]supergraph.EventSource
	hub     *eventHub // nil without Redis
	read    entityReader
	ops     *lru[string, *upstreamOp]
	opsMu   sync.Mutex
	dropped *atomic.Int64
	log     *slog.Logger
}

var _ graphql_datasource.GraphQLSubscriptionClient = (*eventClient)(nil)

// upstreamOp is what the planner's subscription to the event graph asks:
// the root field, its response key and its arguments by variable.
type upstreamOp struct {
	field, key string
	args       map[string]*ast.Value
}

func (c *eventClient) upstream(query string) (*upstreamOp, error) {
	c.opsMu.Lock()
	op, ok := c.ops.get(query)
	c.opsMu.Unlock()
	if ok {
		return op, nil
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil, fmt.Errorf("parse the planned subscription: %w", err)
	}
	if len(doc.Operations) != 1 || len(doc.Operations[0].SelectionSet) != 1 {
		return nil, errors.New("the planned subscription has not one root field")
	}
	f, ok := doc.Operations[0].SelectionSet[0].(*ast.Field)
	if !ok {
		return nil, errors.New("the planned subscription's root is not a field")
	}
	op = &upstreamOp{field: f.Name, key: f.Alias, args: map[string]*ast.Value{}}
	if op.key == "" {
		op.key = f.Name
	}
	for _, a := range f.Arguments {
		op.args[a.Name] = a.Value
	}
	c.opsMu.Lock()
	c.ops.put(query, op)
	c.opsMu.Unlock()
	return op, nil
}

// Subscribe starts one subscriber's trigger (every subscription has its
// own, see ownTrigger; the Redis channel is what they share).
func (c *eventClient) Subscribe(ctx *resolve.Context, options graphql_datasource.GraphQLSubscriptionOptions, updater resolve.SubscriptionUpdater) error {
	op, err := c.upstream(options.Body.Query)
	if err != nil {
		return err
	}
	src, ok := c.sources[op.field]
	if !ok {
		return fmt.Errorf("%s declares no event source for %s", c.graph, op.field)
	}
	var vars map[string]json.RawMessage
	if len(options.Body.Variables) > 0 {
		if err := json.Unmarshal(options.Body.Variables, &vars); err != nil {
			return fmt.Errorf("subscription variables: %w", err)
		}
	}
	args := map[string]json.RawMessage{}
	for name, v := range op.args {
		raw, err := valueJSON(v, vars)
		if err != nil {
			return fmt.Errorf("argument %s: %w", name, err)
		}
		args[name] = raw
	}
	r := &eventRun{c: c, src: src, key: op.key, args: args, updater: updater, claims: auth.FromContext(ctx.Context()),
		states: src.Entity != nil && src.Sequence != "", busy: true}
	if ctx.SubgraphHeadersBuilder != nil && src.EntityGraph != "" {
		r.header, _ = ctx.SubgraphHeadersBuilder.HeadersForSubgraph(src.EntityGraph)
	}
	go r.start(ctx.Context())
	return nil
}

// valueJSON turns an argument of the planned subscription into JSON; the
// planner passes arguments as variables, literals are read too.
func valueJSON(v *ast.Value, vars map[string]json.RawMessage) (json.RawMessage, error) {
	switch v.Kind {
	case ast.Variable:
		return vars[v.Raw], nil
	case ast.NullValue:
		return nil, nil
	case ast.StringValue, ast.BlockValue, ast.EnumValue:
		return json.Marshal(v.Raw)
	case ast.IntValue, ast.FloatValue, ast.BooleanValue:
		return json.RawMessage(v.Raw), nil
	case ast.ListValue:
		out := make([]json.RawMessage, 0, len(v.Children))
		for _, ch := range v.Children {
			raw, err := valueJSON(ch.Value, vars)
			if err != nil {
				return nil, err
			}
			out = append(out, raw)
		}
		return json.Marshal(out)
	case ast.ObjectValue:
		out := map[string]json.RawMessage{}
		for _, ch := range v.Children {
			raw, err := valueJSON(ch.Value, vars)
			if err != nil {
				return nil, err
			}
			out[ch.Name] = raw
		}
		return json.Marshal(out)
	}
	return nil, fmt.Errorf("unsupported value %s", v.String())
}

// eventRun is one subscriber's trigger.
type eventRun struct {
	c       *eventClient
	src     supergraph.EventSource
	key     string
	args    map[string]json.RawMessage
	updater resolve.SubscriptionUpdater
	claims  *auth.Claims
	header  http.Header

	states bool // pending holds one entity's states (see stateQueue)

	// A run has no goroutine of its own while nothing is pending: at tens
	// of thousands of held subscriptions an idle goroutine's stack per
	// subscriber is most of the memory. Whoever finds work and no worker
	// starts one (kick); the worker drains and leaves.
	mu       sync.Mutex
	busy     bool     // a goroutine is starting the run or draining it
	pending  [][]byte // messages not yet handled, oldest first
	overflow bool     // a feed's subscriber let pending fill up
	// resync says the hub's Redis connection came back: what was published
	// meanwhile is lost, and the entity's history fills the gap.
	resync  bool
	stopped bool // the subscription's context ended

	// Set by start, read by the worker.
	ctx     context.Context
	subject string
	channel string
	end     []func() // undone in reverse when the run ends

	last int64 // the newest sequence delivered
	seen bool  // whether last is set
}

// offer hands the run a message; it never blocks (the hub serves every
// watcher of a channel from one goroutine).
func (r *eventRun) offer(msg []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.states && len(r.pending) == stateQueue:
		// Only the newest states matter: the oldest makes room.
		r.pending = append(r.pending[1:], msg)
	case !r.states && len(r.pending) == eventQueue:
		r.overflow = true
	default:
		r.pending = append(r.pending, msg)
	}
	r.kick()
}

func (r *eventRun) resyncNow() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resync = true
	r.kick()
}

func (r *eventRun) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	r.kick()
}

// kick starts a worker unless one runs; r.mu is held.
func (r *eventRun) kick() {
	if !r.busy {
		r.busy = true
		go r.drain()
	}
}

// fail ends the subscription with one error.
func (r *eventRun) fail(code, msg string) {
	r.updater.Error(errorResponse(code, msg))
}

// start checks the subscriber, watches the channel and sends the entity's
// newest event, then drains what arrived meanwhile; a run that fails to
// start ends with its error.
func (r *eventRun) start(ctx context.Context) {
	if !r.begin(ctx) {
		r.finish()
		return
	}
	r.drain()
}

func (r *eventRun) begin(ctx context.Context) bool {
	if r.c.hub == nil {
		r.fail(codeSourceUnavailable, "live updates are unavailable")
		return false
	}
	if r.claims != nil && r.claims.ExpiresAt != nil {
		if !time.Now().Before(r.claims.ExpiresAt.Time) {
			// Verification allows clock skew; a stream starts only within the
			// token's own lifetime.
			r.fail(CodeSubscriptionJWTExpired, "the access token expired: subscribe again with a fresh one")
			return false
		}
		// The token's end is the subscription's end: a stream must not
		// outlive the right to read it.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, r.claims.ExpiresAt.Time)
		r.end = append(r.end, cancel)
	}
	r.ctx = ctx
	if r.claims != nil {
		r.subject = r.claims.Subject
	}
	if r.src.Channel.UsesClaims() && r.subject == "" {
		r.fail(codeUnauthenticated, "sign in first")
		return false
	}
	channel, err := r.src.Channel.Render(r.args, r.subject)
	if err != nil {
		r.fail("BAD_USER_INPUT", err.Error())
		return false
	}
	r.channel = channel
	// Watch first, then read the entity: an event committed in between
	// arrives as a message, and the sequence sorts out the rest.
	unwatch, err := r.c.hub.watch(ctx, r.c.hub.prefix+channel, r)
	if err != nil {
		r.c.log.Error("watch event channel", "channel", channel, "err", err)
		r.fail(codeSourceUnavailable, "live updates are unavailable")
		return false
	}
	r.end = append(r.end, unwatch)
	stopWatching := context.AfterFunc(ctx, r.stop)
	r.end = append(r.end, func() { stopWatching() })
	if r.src.Entity != nil {
		history, errResp := r.readEntity(ctx, r.subject)
		if errResp != nil {
			r.updater.Error(errResp)
			return false
		}
		if n := len(history); n > 0 && !r.deliver(history[n-1]) {
			return false
		}
	}
	return true
}

// drain handles what is pending until nothing is, then leaves; only one
// goroutine drains a run at a time (busy), so deliveries keep their order.
func (r *eventRun) drain() {
	for {
		r.mu.Lock()
		stopped, overflow, resync := r.stopped, r.overflow, r.resync
		var msg []byte
		if len(r.pending) > 0 {
			msg = r.pending[0]
			r.pending[0] = nil
			r.pending = r.pending[1:]
		}
		if len(r.pending) == 0 {
			r.pending = nil // an idle run holds no buffer
		}
		if !stopped && !overflow && !resync && msg == nil {
			r.busy = false
			r.mu.Unlock()
			return
		}
		r.resync = false
		r.mu.Unlock()
		if !r.step(stopped, overflow, resync, msg) {
			// busy stays set: an ended run is never drained again.
			r.finish()
			return
		}
	}
}

// step handles one piece of pending work; false ends the run.
func (r *eventRun) step(stopped, overflow, resync bool, msg []byte) bool {
	switch {
	case stopped:
		if errors.Is(r.ctx.Err(), context.DeadlineExceeded) {
			r.fail(CodeSubscriptionJWTExpired, "the access token expired: subscribe again with a fresh one")
		}
		return false
	case overflow:
		r.fail(codeSubscriptionTooSlow, "the client did not keep up with its events: subscribe again")
		return false
	case resync:
		if r.src.History == "" {
			break // nothing to fill the gap from: the stream only resumes
		}
		history, errResp := r.readEntity(r.ctx, r.subject)
		if errResp != nil {
			r.c.log.Warn("fill an event subscription's gap", "channel", r.channel)
			break
		}
		for _, ev := range history {
			if !r.deliver(ev) {
				return false
			}
		}
	}
	if msg == nil {
		return true
	}
	if !r.valid(msg) {
		r.c.dropped.Add(1)
		r.c.log.Warn("malformed event dropped", "channel", r.channel, "field", r.src.Field)
		return true
	}
	return r.deliver(msg)
}

// finish undoes what start set up and tells the engine the stream is over.
func (r *eventRun) finish() {
	for i := len(r.end) - 1; i >= 0; i-- {
		r.end[i]()
	}
	r.updater.Done()
}

// valid says a message is an event of the field's type carrying every
// non-null field; anything else must never reach a client.
func (r *eventRun) valid(msg []byte) bool {
	if !gjson.ValidBytes(msg) {
		return false
	}
	ev := gjson.ParseBytes(msg)
	if !ev.IsObject() {
		return false
	}
	if tn := ev.Get("__typename"); tn.Exists() && tn.String() != r.src.Type {
		return false
	}
	for _, f := range r.src.Required {
		if v := ev.Get(f); !v.Exists() || v.Type == gjson.Null {
			return false
		}
	}
	if r.src.Sequence != "" && ev.Get(r.src.Sequence).Type != gjson.Number {
		return false
	}
	return true
}

// deliver sends one event unless the filter or the sequence drops it; it
// reports whether the subscription goes on.
func (r *eventRun) deliver(ev []byte) bool {
	if f := r.src.Filter; f != nil && !f.Passes(r.args, gjson.GetBytes(ev, f.Field).String()) {
		return true
	}
	if r.src.Sequence != "" && r.src.Entity != nil {
		n := gjson.GetBytes(ev, r.src.Sequence).Int()
		if r.seen && n <= r.last {
			return true // not news: the client has it, or a newer one
		}
		r.last, r.seen = n, true
	}
	var b bytes.Buffer
	b.Grow(len(ev) + len(r.key) + 16)
	b.WriteString(`{"data":{`)
	writeJSON(&b, r.key)
	b.WriteByte(':')
	b.Write(ev)
	b.WriteString("}}")
	r.updater.Update(b.Bytes())
	return true
}

// readEntity reads the declared entity as the subscriber, with its history
// when declared; an entity the subscriber may not see ends the
// subscription with NOT_FOUND, as for one that does not exist.
func (r *eventRun) readEntity(ctx context.Context, subject string) ([]json.RawMessage, []byte) {
	e := r.src.Entity
	rep, err := e.Representation(r.args, subject)
	if err != nil {
		return nil, errorResponse("BAD_USER_INPUT", err.Error())
	}
	sel := "__typename"
	if r.src.History != "" {
		sel += " " + r.src.History + " { " + r.src.Selection + " }"
	}
	item, err := r.c.read(ctx, r.src.EntityGraph, r.header, rep, "... on "+e.Type+" { "+sel+" }")
	if err != nil {
		r.c.log.Error("read a subscription's entity", "graph", r.src.EntityGraph, "type", e.Type, "err", err)
		return nil, errorResponse(CodeInternal, "the subscription's "+strings.ToLower(e.Type)+" could not be read")
	}
	if len(item) == 0 || string(item) == "null" {
		return nil, errorResponse("NOT_FOUND", "no such "+strings.ToLower(e.Type))
	}
	if r.src.History == "" {
		return nil, nil
	}
	var history []json.RawMessage
	_ = json.Unmarshal([]byte(gjson.GetBytes(item, r.src.History).Raw), &history)
	return history, nil
}

// subgraphEndpoint is where the engine sends one subgraph's requests.
type subgraphEndpoint struct {
	url    string
	client *http.Client
}

// readEntity is the engine's entityReader: one _entities request to the
// subgraph, as the subscriber.
func (e *Engine) readEntity(ctx context.Context, graph string, header http.Header, rep []byte, selection string) (json.RawMessage, error) {
	ep, ok := e.endpoints[graph]
	if !ok {
		return nil, fmt.Errorf("no subgraph %s", graph)
	}
	body, _ := json.Marshal(map[string]any{
		"query":     "query($representations: [_Any!]!) { _entities(representations: $representations) { " + selection + " } }",
		"variables": map[string]any{"representations": []json.RawMessage{rep}},
	})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for name, vs := range header {
		req.Header[name] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := ep.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", graph, res.StatusCode)
	}
	items := gjson.GetBytes(raw, "data._entities")
	if !items.IsArray() {
		if errs := gjson.GetBytes(raw, "errors"); errs.Exists() {
			// A refusal (the subscriber may not see it) reads as absent.
			return nil, nil
		}
		return nil, fmt.Errorf("%s answered no _entities", graph)
	}
	arr := items.Array()
	if len(arr) != 1 {
		return nil, fmt.Errorf("%s answered %d entities for one", graph, len(arr))
	}
	return json.RawMessage(arr[0].Raw), nil
}

// eventHub holds the router's one Redis pub/sub connection and fans each
// message out to the runs watching its channel.
type eventHub struct {
	prefix string
	ps     *redis.PubSub
	log    *slog.Logger
	// cmd orders SUBSCRIBE and UNSUBSCRIBE with the watcher counts, so a
	// channel's last watcher leaving cannot unsubscribe a new first one.
	cmd  sync.Mutex
	mu   sync.Mutex
	subs map[string]map[*eventRun]struct{}
	// confirmed are the channels Redis confirmed a subscription to: a
	// confirmation for one of them again means go-redis reconnected.
	confirmed map[string]bool
}

func newEventHub(ctx context.Context, opts LiveOptions, log *slog.Logger) *eventHub {
	h := &eventHub{prefix: opts.Prefix, ps: opts.Redis.Subscribe(ctx), log: log, subs: map[string]map[*eventRun]struct{}{},
		confirmed: map[string]bool{}}
	go h.run(ctx)
	return h
}

func (h *eventHub) run(ctx context.Context) {
	defer h.ps.Close()
	// go-redis reconnects and resubscribes on its own; messages published
	// meanwhile are lost. Redis confirms each resubscription, and the runs
	// watching that channel then read what they missed (eventRun.resync).
	ch := h.ps.ChannelWithSubscriptions(redis.WithChannelSize(1024))
	for {
		select {
		case <-ctx.Done():
			return
		case v, ok := <-ch:
			if !ok {
				return
			}
			switch m := v.(type) {
			case *redis.Subscription:
				h.confirm(m)
			case *redis.Message:
				msg := []byte(m.Payload)
				h.mu.Lock()
				for r := range h.subs[m.Channel] {
					r.offer(msg)
				}
				h.mu.Unlock()
			}
		}
	}
}

// confirm notes Redis's answer to a SUBSCRIBE or UNSUBSCRIBE; a second
// confirmation of a channel is a resubscription after a reconnect.
func (h *eventHub) confirm(s *redis.Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch s.Kind {
	case "subscribe":
		if h.confirmed[s.Channel] {
			for r := range h.subs[s.Channel] {
				r.resyncNow()
			}
		}
		h.confirmed[s.Channel] = true
	case "unsubscribe":
		delete(h.confirmed, s.Channel)
	}
}

// watch adds r to channel's watchers, subscribing the connection to the
// channel for its first one.
func (h *eventHub) watch(ctx context.Context, channel string, r *eventRun) (func(), error) {
	h.cmd.Lock()
	defer h.cmd.Unlock()
	h.mu.Lock()
	first := len(h.subs[channel]) == 0
	if first {
		h.subs[channel] = map[*eventRun]struct{}{}
	}
	h.subs[channel][r] = struct{}{}
	h.mu.Unlock()
	if first {
		if err := h.ps.Subscribe(ctx, channel); err != nil {
			h.mu.Lock()
			delete(h.subs, channel)
			h.mu.Unlock()
			return nil, fmt.Errorf("subscribe %s: %w", channel, err)
		}
	}
	return func() { h.unwatch(channel, r) }, nil
}

func (h *eventHub) unwatch(channel string, r *eventRun) {
	h.cmd.Lock()
	defer h.cmd.Unlock()
	h.mu.Lock()
	delete(h.subs[channel], r)
	last := len(h.subs[channel]) == 0
	if last {
		delete(h.subs, channel)
	}
	h.mu.Unlock()
	if last {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := h.ps.Unsubscribe(ctx, channel); err != nil {
			h.log.Warn("unsubscribe event channel", "channel", channel, "err", err)
		}
	}
}

// Watched is how many channels the hub listens to (tests, metrics).
func (e *Engine) Watched() int {
	if e.events == nil {
		return 0
	}
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	return len(e.events.subs)
}

// EventsDropped counts malformed event messages, never delivered.
func (e *Engine) EventsDropped() int64 { return e.dropped.Load() }

func writeJSON(b *bytes.Buffer, v any) {
	out, _ := json.Marshal(v)
	b.Write(out)
}

func errorResponse(code, msg string) []byte {
	return (&RequestError{Code: code, Message: msg}).MarshalResponse()
}
