package gateway

// Live order status at the router (research/subscriptions.md, option B):
// for Subscription.orderStatusChanged, myOrderUpdates and orderEvents the
// router listens to the orders subgraph's Redis channels itself, on one
// Redis connection however many orders are watched, instead of holding an
// upstream WebSocket per user. A subscription starts with the order's
// current state (a query to orders that also checks the caller may see
// it), then gets each newer change; event fields come from the Redis
// message, and only a selection on `order` beyond its id costs a query per
// event, made with the subscriber's own headers. Other subscriptions pass
// through to their subgraph as before.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tidwall/sjson"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astparser"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astprinter"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/operationreport"

	"github.com/myshop/supergraph/platform/auth"
)

// LiveOptions turn on router-side delivery of order status changes.
type LiveOptions struct {
	// Redis is where orders publishes committed changes; nil leaves these
	// subscriptions to pass through to the orders subgraph.
	Redis redis.UniversalClient
	// Prefix starts the channel names ("myshop:" → myshop:order:<id>).
	Prefix string
}

// Error codes of the live path.
const (
	CodeSubscriptionJWTExpired = "SUBSCRIPTION_JWT_EXPIRED"
	codeUnauthenticated        = "UNAUTHENTICATED"
)

// liveSpec is what a prepared live subscription needs at run time.
type liveSpec struct {
	field       string // orderStatusChanged or myOrderUpdates
	rootKey     string // response key of the root field
	orderIDLit  string // orderStatusChanged's literal orderId
	orderIDVar  string // or the variable holding it
	orderIDDef  string // and that variable's default, for a request without it
	whereJSON   []byte // orderEvents' literal where argument
	whereVar    string // or the variable holding it
	fields      []liveField
	orderQuery  string // the client's selection on `order`, as a query by id; "" when only id/__typename
	orderFields []liveField
}

type liveField struct{ key, name string }

// liveChange is a message of the orders subgraph (subgraphs/orders/live).
type liveChange struct {
	OrderID string `json:"orderId"`
	UserID  string `json:"userId"`
	From    string `json:"from"`
	To      string `json:"to"`
	Version int    `json:"version"`
	At      string `json:"at"`
}

// liveSpecFor recognises a live subscription in a normalized, validated
// document and describes it; nil for anything else.
func liveSpecFor(kits *sync.Pool, doc *ast.Document, schema *ast.Document, query string, variables []byte) *liveSpec {
	opRef := -1
	for _, n := range doc.RootNodes {
		if n.Kind == ast.NodeKindOperationDefinition {
			opRef = n.Ref
		}
	}
	if opRef < 0 || doc.OperationDefinitions[opRef].OperationType != ast.OperationTypeSubscription {
		return nil
	}
	roots := flatFields(doc, doc.OperationDefinitions[opRef].SelectionSet)
	if len(roots) != 1 {
		return nil
	}
	root := roots[0]
	name := strings.Clone(doc.FieldNameString(root))
	if name != "orderStatusChanged" && name != "myOrderUpdates" && name != "orderEvents" {
		return nil
	}
	// Strings are cloned: the document's are views of a pooled buffer, and
	// the spec outlives it in the prepared-operation cache.
	spec := &liveSpec{field: name, rootKey: responseKey(doc, root)}
	if name == "orderStatusChanged" {
		ref, ok := doc.FieldArgument(root, []byte("orderId"))
		if !ok {
			return nil
		}
		switch v := doc.ArgumentValue(ref); v.Kind {
		case ast.ValueKindString:
			spec.orderIDLit = strings.Clone(doc.StringValueContentString(v.Ref))
		case ast.ValueKindVariable:
			spec.orderIDVar = strings.Clone(doc.VariableValueNameString(v.Ref))
			// The request's variables are read as sent, so a default the
			// operation declares must be kept here or the order is "".
			for _, vd := range doc.OperationDefinitions[opRef].VariableDefinitions.Refs {
				if dv := doc.VariableDefinitions[vd].DefaultValue; dv.IsDefined && dv.Value.Kind == ast.ValueKindString &&
					doc.VariableDefinitionNameString(vd) == spec.orderIDVar {
					spec.orderIDDef = strings.Clone(doc.StringValueContentString(dv.Value.Ref))
				}
			}
		default:
			return nil
		}
	}
	if name == "orderEvents" {
		if ref, ok := doc.FieldArgument(root, []byte("where")); ok {
			switch v := doc.ArgumentValue(ref); v.Kind {
			case ast.ValueKindVariable:
				spec.whereVar = strings.Clone(doc.VariableValueNameString(v.Ref))
			case ast.ValueKindNull:
			default:
				b, err := doc.ValueToJSON(v)
				if err != nil || bytes.Contains(b, []byte(`"$`)) {
					return nil // variables inside the literal: left to the subgraph
				}
				spec.whereJSON = b
			}
		}
	}
	if !doc.Fields[root].HasSelections {
		return nil
	}
	orderRef := -1
	for _, f := range flatFields(doc, doc.Fields[root].SelectionSet) {
		fname := strings.Clone(doc.FieldNameString(f))
		spec.fields = append(spec.fields, liveField{key: responseKey(doc, f), name: fname})
		if fname != "order" || !doc.Fields[f].HasSelections {
			continue
		}
		orderRef = f
		for _, of := range flatFields(doc, doc.Fields[f].SelectionSet) {
			spec.orderFields = append(spec.orderFields, liveField{key: responseKey(doc, of), name: strings.Clone(doc.FieldNameString(of))})
		}
	}
	needsQuery := false
	for _, of := range spec.orderFields {
		if of.name != "id" && of.name != "__typename" {
			needsQuery = true
		}
	}
	if orderRef >= 0 && needsQuery {
		q, err := orderQuery(kits, query, doc.OperationDefinitionNameString(opRef), variables, schema)
		if err != nil {
			return nil // not servable here: the subscription passes through
		}
		spec.orderQuery = q
	}
	return spec
}

// flatFields lists the fields of a selection set, inline fragments
// flattened (normalization has inlined spreads; the types are fixed here).
func flatFields(doc *ast.Document, set int) []int {
	var out []int
	for _, sel := range doc.SelectionSets[set].SelectionRefs {
		s := doc.Selections[sel]
		switch s.Kind {
		case ast.SelectionKindField:
			out = append(out, s.Ref)
		case ast.SelectionKindInlineFragment:
			if fr := doc.InlineFragments[s.Ref]; fr.HasSelections {
				out = append(out, flatFields(doc, fr.SelectionSet)...)
			}
		}
	}
	return out
}

func responseKey(doc *ast.Document, field int) string {
	if doc.FieldAliasIsDefined(field) {
		return strings.Clone(doc.FieldAliasString(field))
	}
	return strings.Clone(doc.FieldNameString(field))
}

// orderQuery turns the subscription into `query($liveOrderId: ID!) {
// order(id: $liveOrderId) { <the client's selection on order> } }`, on a
// copy of the document (the caller's is planned as a subscription). The
// printed query is prepared like any other, so it is cached.
func orderQuery(kits *sync.Pool, query, opName string, variables []byte, schema *ast.Document) (string, error) {
	doc := ast.NewSmallDocument()
	doc.Input.ResetInputString(query)
	doc.Input.Variables = variables // @skip/@include fold as in the subscription
	var report operationreport.Report
	astparser.NewParser().Parse(doc, &report)
	if report.HasErrors() {
		return "", report
	}
	k, _ := kits.Get().(*kit)
	if k == nil {
		k = newKit()
	}
	defer kits.Put(k) // only its normalizer is used, on this document
	k.normalizer.NormalizeNamedOperation(doc, schema, []byte(opName), &report)
	if report.HasErrors() {
		return "", report
	}
	opRef := -1
	for _, n := range doc.RootNodes {
		if n.Kind == ast.NodeKindOperationDefinition {
			opRef = n.Ref
		}
	}
	if opRef < 0 {
		return "", fmt.Errorf("no operation")
	}
	op := &doc.OperationDefinitions[opRef]
	roots := flatFields(doc, op.SelectionSet)
	if len(roots) != 1 || !doc.Fields[roots[0]].HasSelections {
		return "", fmt.Errorf("not a live subscription")
	}
	orderSel := -1
	for _, sel := range doc.SelectionSets[doc.Fields[roots[0]].SelectionSet].SelectionRefs {
		if s := doc.Selections[sel]; s.Kind == ast.SelectionKindField && doc.FieldNameString(s.Ref) == "order" {
			orderSel = sel
		}
	}
	if orderSel < 0 {
		return "", fmt.Errorf("order is selected inside a fragment")
	}
	orderField := doc.Selections[orderSel].Ref
	op.OperationType = ast.OperationTypeQuery
	doc.SelectionSets[op.SelectionSet].SelectionRefs = []int{orderSel}
	doc.Fields[orderField].Alias = ast.Alias{}
	varRef, argRef := doc.AddVariableValueArgument([]byte("id"), []byte("liveOrderId"))
	doc.AddArgumentToField(orderField, argRef)
	// Keep only the variables the order selection uses (GraphQL refuses
	// unused ones): print the body alone to see which.
	defs := op.VariableDefinitions.Refs
	op.HasVariableDefinitions = false
	body, err := astprinter.PrintString(doc)
	if err != nil {
		return "", err
	}
	var kept []int
	for _, ref := range defs {
		name := doc.VariableDefinitionNameString(ref)
		if regexp.MustCompile(`\$` + regexp.QuoteMeta(name) + `\b`).MatchString(body) {
			kept = append(kept, ref)
		}
	}
	op.VariableDefinitions.Refs = kept
	op.HasVariableDefinitions = len(kept) > 0
	doc.AddVariableDefinitionToOperationDefinition(opRef, varRef, doc.AddNonNullNamedType([]byte("ID")))
	return astprinter.PrintString(doc)
}

// liveRun is one running live subscription.
type liveRun struct {
	e      *Engine
	spec   *liveSpec
	vars   []byte // the request's variables (raw JSON object)
	header http.Header
	claims *auth.Claims
	sink   SubscriptionSink

	statuses map[string]bool // orderEvents' filter; nil passes all

	mu      sync.Mutex
	pending map[string]*liveChange // newest undelivered change per order: older ones are moot
	wake    chan struct{}
	// resync says the hub's Redis connection came back: what was published
	// meanwhile is lost, so the run reads what it missed from the order.
	resync chan struct{}
}

// resyncNow asks the run to fill the gap a Redis outage left; it never
// blocks (the hub calls it for every watcher of a channel).
func (r *liveRun) resyncNow() {
	select {
	case r.resync <- struct{}{}:
	default:
	}
}

// offer hands the run a change from the hub; it never blocks (the hub
// serves every watcher of a channel from one goroutine).
func (r *liveRun) offer(c *liveChange) {
	// Checked on every event, not only at the start (a user's channel
	// carries only their orders, but the rule must not rest on that), and
	// before the mailbox: a change this caller may not see must not
	// displace one they may.
	if r.claims == nil || (c.UserID != r.claims.Subject && !r.claims.HasScope("READ_ORDERS")) {
		return
	}
	r.mu.Lock()
	if p := r.pending[c.OrderID]; p == nil || c.Version > p.Version {
		r.pending[c.OrderID] = c
	}
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// errNotLive says a subscription is served by pass-through.
var errNotLive = fmt.Errorf("not a live subscription")

// runLive serves a live subscription until ctx ends or the sink fails. It
// returns errNotLive when the engine has no live path for op.
func (e *Engine) runLive(ctx context.Context, op *Operation, header http.Header, sink SubscriptionSink) error {
	if e.live == nil || op.live == nil {
		return errNotLive
	}
	r := &liveRun{e: e, spec: op.live, vars: op.rawVariables, header: header, claims: auth.FromContext(ctx), sink: sink,
		pending: map[string]*liveChange{}, wake: make(chan struct{}, 1), resync: make(chan struct{}, 1)}
	if r.claims == nil {
		sink.Error(errorResponse(codeUnauthenticated, "sign in first"))
		return nil
	}
	if exp := r.claims.ExpiresAt; exp != nil && !time.Now().Before(exp.Time) {
		// Verification allows clock skew; a stream starts only within the
		// token's own lifetime.
		sink.Error(errorResponse(CodeSubscriptionJWTExpired, "the access token expired: subscribe again with a fresh one"))
		return nil
	}
	if exp := r.claims.ExpiresAt; exp != nil {
		// The token's end is the subscription's end: a stream must not
		// outlive the right to read it.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, exp.Time)
		defer cancel()
	}
	var channel, orderID string
	switch r.spec.field {
	case "orderStatusChanged":
		orderID = r.spec.orderIDLit
		if r.spec.orderIDVar != "" {
			orderID = r.spec.orderIDDef
			var vars map[string]json.RawMessage
			_ = json.Unmarshal(r.vars, &vars)
			if raw, ok := vars[r.spec.orderIDVar]; ok {
				// An ID variable may be sent as a JSON number too.
				orderID = ""
				var v any
				d := json.NewDecoder(bytes.NewReader(raw))
				d.UseNumber()
				if d.Decode(&v) == nil {
					switch v := v.(type) {
					case string:
						orderID = v
					case json.Number:
						orderID = v.String()
					}
				}
			}
		}
		if orderID == "" {
			// No order, no snapshot: rather than a silent stream, an answer.
			sink.Error(errorResponse("NOT_FOUND", "no such order"))
			return nil
		}
		channel = e.live.prefix + "order:" + orderID
	case "orderEvents":
		if !r.claims.HasScope("READ_ORDERS") {
			sink.Error(errorResponse("FORBIDDEN", "the order feed needs the READ_ORDERS permission"))
			return nil
		}
		channel = e.live.prefix + "orders:all"
		r.statuses = r.whereStatuses()
	default:
		channel = e.live.prefix + "orders:user:" + r.claims.Subject
	}
	// Watch first, then read the state: a change committed in between
	// arrives as an event, and versions sort out the rest.
	unwatch, err := e.live.watch(ctx, channel, r)
	if err != nil {
		e.log.Error("watch order channel", "channel", channel, "err", err)
		sink.Error(errorResponse(CodeInternal, "live updates are unavailable"))
		return nil
	}
	defer unwatch()
	last := map[string]int{} // highest version delivered per order
	if orderID != "" {
		snap, _, errResp := r.snapshot(ctx, orderID)
		if errResp != nil {
			sink.Error(errResp)
			return nil
		}
		if !r.deliver(ctx, snap) {
			return nil
		}
		last[orderID] = snap.Version
	}
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				sink.Error(errorResponse(CodeSubscriptionJWTExpired, "the access token expired: subscribe again with a fresh one"))
			}
			return nil
		case <-r.resync:
			// Every change the outage hid, in version order, from the
			// order's own history (read as the caller, like the snapshot).
			// The feeds of many orders have no such history to read.
			if orderID == "" {
				continue
			}
			_, history, errResp := r.snapshot(ctx, orderID)
			if errResp != nil {
				r.e.log.Warn("fill a live subscription's gap", "order", orderID)
				continue
			}
			for _, c := range history {
				if c.Version <= last[orderID] {
					continue
				}
				if !r.deliver(ctx, c) {
					return nil
				}
				last[orderID] = c.Version
			}
			continue
		case <-r.wake:
		}
		r.mu.Lock()
		changes := make([]*liveChange, 0, len(r.pending))
		for _, c := range r.pending {
			changes = append(changes, c)
		}
		clear(r.pending)
		r.mu.Unlock()
		for _, c := range changes {
			if c.Version <= last[c.OrderID] || (orderID != "" && c.OrderID != orderID) {
				continue // not news: the client has it, or a newer state
			}
			if r.statuses != nil && !r.statuses[c.To] {
				continue
			}
			if !r.deliver(ctx, c) {
				return nil
			}
			last[c.OrderID] = c.Version
		}
	}
}

// whereStatuses reads orderEvents' where.statuses from the literal or the
// request's variables.
func (r *liveRun) whereStatuses() map[string]bool {
	raw := r.spec.whereJSON
	if r.spec.whereVar != "" {
		var vars map[string]json.RawMessage
		_ = json.Unmarshal(r.vars, &vars)
		raw = vars[r.spec.whereVar]
	}
	var where struct{ Statuses []string }
	if json.Unmarshal(raw, &where) != nil || len(where.Statuses) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, st := range where.Statuses {
		out[st] = true
	}
	return out
}

// snapshot reads the order's current state and its history of changes,
// oldest first, with the caller's headers: an order they may not see
// answers NOT_FOUND, which ends the subscription.
func (r *liveRun) snapshot(ctx context.Context, orderID string) (*liveChange, []*liveChange, []byte) {
	vars, _ := json.Marshal(map[string]string{"liveOrderId": orderID})
	body, err := r.e.query(ctx, `query LiveOrderState($liveOrderId: ID!) { order(id: $liveOrderId) { id status version createdAt events { from to at version } } }`, vars, r.header)
	if err != nil {
		r.e.log.Error("read order state", "order", orderID, "err", err)
		return nil, nil, errorResponse(CodeInternal, "the order's state could not be read")
	}
	var res struct {
		Data struct {
			Order *struct {
				ID, Status, CreatedAt string
				Version               int
				Events                []struct {
					From    *string
					To      string
					At      string
					Version int
				}
			} `json:"order"`
		} `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		r.e.log.Error("read order state", "order", orderID, "err", err)
		return nil, nil, errorResponse(CodeInternal, "the order's state could not be read")
	}
	if res.Data.Order == nil {
		if len(res.Errors) > 0 {
			return nil, nil, []byte(`{"errors":` + string(res.Errors) + `}`)
		}
		return nil, nil, errorResponse("NOT_FOUND", "no such order")
	}
	// The current state is the change that made it: the event with the
	// order's version gives its previous status and time.
	o := res.Data.Order
	c := &liveChange{OrderID: o.ID, UserID: r.claims.Subject, To: o.Status, Version: o.Version, At: o.CreatedAt}
	var history []*liveChange
	for _, ev := range o.Events {
		if ev.Version == o.Version {
			c.At = ev.At
			if ev.From != nil {
				c.From = *ev.From
			}
		}
		h := &liveChange{OrderID: o.ID, UserID: r.claims.Subject, To: ev.To, Version: ev.Version, At: ev.At}
		if ev.From != nil {
			h.From = *ev.From
		}
		history = append(history, h)
	}
	slices.SortFunc(history, func(a, b *liveChange) int { return a.Version - b.Version })
	return c, history, nil
}

// deliver renders one event with the client's selection and sends it.
func (r *liveRun) deliver(ctx context.Context, c *liveChange) bool {
	var orderJSON []byte
	var orderErrs []json.RawMessage
	if r.spec.orderQuery != "" {
		vars, _ := sjson.SetBytes(append([]byte(nil), r.vars...), "liveOrderId", c.OrderID)
		body, err := r.e.query(ctx, r.spec.orderQuery, vars, r.header)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			r.e.log.Warn("live order fetch", "order", c.OrderID, "err", err)
		}
		var res struct {
			Data struct {
				Order json.RawMessage `json:"order"`
			} `json:"data"`
			Errors []json.RawMessage `json:"errors"`
		}
		_ = json.Unmarshal(body, &res)
		orderJSON, orderErrs = res.Data.Order, res.Errors
	}
	var b bytes.Buffer
	b.WriteString(`{"data":{`)
	key, _ := json.Marshal(r.spec.rootKey)
	b.Write(key)
	b.WriteString(":{")
	for i, f := range r.spec.fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		switch f.name {
		case "__typename":
			b.WriteString(`"OrderStatusEvent"`)
		case "status":
			writeJSON(&b, c.To)
		case "previousStatus":
			if c.From == "" {
				b.WriteString("null")
			} else {
				writeJSON(&b, c.From)
			}
		case "version":
			b.WriteString(strconv.Itoa(c.Version))
		case "occurredAt":
			writeJSON(&b, c.At)
		case "order":
			if r.spec.orderQuery != "" {
				if len(orderJSON) == 0 {
					orderJSON = []byte("null")
				}
				b.Write(orderJSON)
				continue
			}
			b.WriteByte('{')
			for j, of := range r.spec.orderFields {
				if j > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(of.key)
				b.Write(k)
				b.WriteByte(':')
				if of.name == "__typename" {
					b.WriteString(`"Order"`)
				} else {
					writeJSON(&b, c.OrderID)
				}
			}
			b.WriteByte('}')
		default:
			b.WriteString("null")
		}
	}
	b.WriteString("}}")
	if len(orderErrs) > 0 {
		b.WriteString(`,"errors":[`)
		for i, e := range orderErrs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(prefixErrorPath(e, r.spec.rootKey))
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return r.sink.Next(b.Bytes()) == nil
}

func writeJSON(b *bytes.Buffer, v any) {
	out, _ := json.Marshal(v)
	b.Write(out)
}

// prefixErrorPath puts the root field in front of a query error's path,
// so it points into the subscription's response.
func prefixErrorPath(e json.RawMessage, root string) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(e, &m) != nil {
		return e
	}
	var path []any
	_ = json.Unmarshal(m["path"], &path)
	if len(path) == 0 {
		return e
	}
	m["path"], _ = json.Marshal(append([]any{root}, path...))
	out, _ := json.Marshal(m)
	return out
}

func errorResponse(code, msg string) []byte {
	return (&RequestError{Code: code, Message: msg}).MarshalResponse()
}

// query runs a query through this engine as the caller (their headers),
// for the live path's snapshot and order reads.
func (e *Engine) query(ctx context.Context, query string, vars []byte, header http.Header) ([]byte, error) {
	op, err := e.Prepare(Request{Query: query, Variables: vars})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var buf bytes.Buffer
	if err := e.Execute(ctx, op, header, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// liveHub holds the router's one Redis pub/sub connection and fans each
// message out to the runs watching its channel.
type liveHub struct {
	prefix string
	ps     *redis.PubSub
	log    *slog.Logger
	// cmd orders SUBSCRIBE and UNSUBSCRIBE with the watcher counts, so a
	// channel's last watcher leaving cannot unsubscribe a new first one.
	cmd  sync.Mutex
	mu   sync.Mutex
	subs map[string]map[*liveRun]struct{}
	// confirmed are the channels Redis confirmed a subscription to: a
	// confirmation for one of them again means go-redis reconnected.
	confirmed map[string]bool
}

func newLiveHub(ctx context.Context, opts LiveOptions, log *slog.Logger) *liveHub {
	h := &liveHub{prefix: opts.Prefix, ps: opts.Redis.Subscribe(ctx), log: log, subs: map[string]map[*liveRun]struct{}{},
		confirmed: map[string]bool{}}
	go h.run(ctx)
	return h
}

func (h *liveHub) run(ctx context.Context) {
	defer h.ps.Close()
	// go-redis reconnects and resubscribes on its own; messages published
	// meanwhile are lost. Redis confirms each resubscription, and the runs
	// watching that channel then read what they missed (liveRun.resync).
	ch := h.ps.ChannelWithSubscriptions(redis.WithChannelSize(1024))
	for {
		select {
		case <-ctx.Done():
			return
		case v, ok := <-ch:
			if !ok {
				return
			}
			if s, ok := v.(*redis.Subscription); ok {
				h.confirm(s)
				continue
			}
			m, ok := v.(*redis.Message)
			if !ok {
				continue
			}
			var c liveChange
			if err := json.Unmarshal([]byte(m.Payload), &c); err != nil {
				h.log.Warn("bad order status message", "channel", m.Channel, "err", err)
				continue
			}
			h.mu.Lock()
			for r := range h.subs[m.Channel] {
				r.offer(&c)
			}
			h.mu.Unlock()
		}
	}
}

// confirm notes Redis's answer to a SUBSCRIBE or UNSUBSCRIBE; a second
// confirmation of a channel is a resubscription after a reconnect.
func (h *liveHub) confirm(s *redis.Subscription) {
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
func (h *liveHub) watch(ctx context.Context, channel string, r *liveRun) (func(), error) {
	h.cmd.Lock()
	defer h.cmd.Unlock()
	h.mu.Lock()
	first := len(h.subs[channel]) == 0
	if first {
		h.subs[channel] = map[*liveRun]struct{}{}
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

func (h *liveHub) unwatch(channel string, r *liveRun) {
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
			h.log.Warn("unsubscribe order channel", "channel", channel, "err", err)
		}
	}
}

// Watched is how many channels the hub listens to (tests, metrics).
func (e *Engine) Watched() int {
	if e.live == nil {
		return 0
	}
	e.live.mu.Lock()
	defer e.live.mu.Unlock()
	return len(e.live.subs)
}
