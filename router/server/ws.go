package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/buger/jsonparser"
	"github.com/coder/websocket"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/router/gateway"
)

// GraphQL over WebSocket, graphql-transport-ws (the graphql-ws library's
// protocol, https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md):
// GET /graphql with Upgrade: websocket. The client authenticates in
// connection_init ({"Authorization": "Bearer …"}) or on the upgrade request;
// each subscribe runs one operation, subscriptions through the engine's
// asynchronous resolver, so a connection costs its read loop and no
// goroutine per subscription.

const wsSubprotocol = "graphql-transport-ws"

// wsLegacySubprotocol is subscriptions-transport-ws's "graphql-ws", which
// older Apollo clients still speak: the same conversation with other
// message names (start/stop/data, ka for keep-alive).
const wsLegacySubprotocol = "graphql-ws"

// Close codes of graphql-transport-ws, and the WebSocket ones we use.
const (
	closeBadRequest       websocket.StatusCode = 4400 // malformed or unexpected message
	closeUnauthorized     websocket.StatusCode = 4401 // subscribe before connection_ack
	closeForbidden        websocket.StatusCode = 4403 // connection_init with a bad token
	closeSubprotocol      websocket.StatusCode = 4406
	closeInitTimeout      websocket.StatusCode = 4408
	closeDuplicate        websocket.StatusCode = 4409 // subscribe with an id in use
	closeTooManyInits     websocket.StatusCode = 4429
	closeGoingAway        websocket.StatusCode = websocket.StatusGoingAway      // 1001: server shutting down
	closeServiceRestart   websocket.StatusCode = websocket.StatusServiceRestart // 1012: supergraph reloaded
	closeTryAgainLater    websocket.StatusCode = websocket.StatusTryAgainLater  // 1013: client too slow
	wsReadLimit                                = 64 << 10
	codeSubscriptionLimit                      = "SUBSCRIPTION_LIMIT_EXCEEDED"
)

// wsMessage is one protocol message.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func isWebSocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// websocket serves one graphql-transport-ws connection until it closes.
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	// A token on the upgrade request (non-browser clients) is checked like
	// any request's: a bad one is a 401 before the upgrade.
	r, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "WebSocket upgrade not supported here", http.StatusInternalServerError)
		return
	}
	conn, err := websocket.Accept(smallBuffers{w, hj}, r, &websocket.AcceptOptions{
		Subprotocols: []string{wsSubprotocol, wsLegacySubprotocol},
		// Credentials travel in connection_init, never in cookies, so a
		// page on another origin gains nothing from opening a socket here
		// (no cross-site WebSocket hijacking); SPAs on other origins work.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return // Accept answered the request
	}
	legacy := conn.Subprotocol() == wsLegacySubprotocol
	if conn.Subprotocol() != wsSubprotocol && !legacy {
		_ = conn.Close(closeSubprotocol, "Subprotocol not acceptable: use graphql-transport-ws")
		return
	}
	conn.SetReadLimit(wsReadLimit)
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &wsConn{
		s: s, conn: conn, ctx: ctx, cancel: cancel, id: gateway.NewConnectionID(),
		header: forwardable(r.Header), claims: auth.FromContext(r.Context()), ip: s.clientIP(r), legacy: legacy,
		subs: map[string]*wsSub{}, gens: map[*generation]func() bool{}, closeDone: make(chan struct{}),
	}
	remove, ok := s.live.add(func() { c.close(closeGoingAway, "server shutting down") })
	if !ok {
		_ = conn.Close(closeGoingAway, "server shutting down")
		cancel()
		return
	}
	// The connection is served on a goroutine of its own and the handler
	// returns: net/http's goroutine would otherwise hold the upgrade
	// request, its response and a stack grown by the token check for as
	// long as the socket is open.
	go func() {
		defer remove()
		c.serve()
	}()
}

// Buffer sizes of a WebSocket after the upgrade. net/http hands over 4 KiB
// each way, kept for the socket's life: 8 KiB of every held subscription
// when most sockets are idle. Frames larger than these are read and
// written straight through; an event up to wsWriteBuffer goes out in one
// write, as before.
const (
	wsReadBuffer  = 512
	wsWriteBuffer = 1024
)

// smallBuffers is a ResponseWriter whose Hijack gives the WebSocket
// library buffers of wsReadBuffer and wsWriteBuffer, keeping what the
// client sent beyond its upgrade request.
type smallBuffers struct {
	http.ResponseWriter
	hj http.Hijacker
}

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := w.hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("flush the upgrade: %w", err)
	}
	// What the client sent after its upgrade request must be in the new
	// reader's buffer, not behind it: the library keeps what is buffered
	// and resets the reader onto the bare connection.
	n := brw.Reader.Buffered()
	early, _ := brw.Reader.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn), max(wsReadBuffer, n))
	if n > 0 {
		if _, err := r.Peek(n); err != nil {
			_ = conn.Close()
			return nil, nil, fmt.Errorf("keep what came after the upgrade: %w", err)
		}
	}
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, wsWriteBuffer)), nil
}

// headerName is what a connection_init payload key must look like to be
// taken as a header.
var headerName = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// forwardable copies a request's headers, for forwarding to subgraphs
// (the engine picks the allowed ones).
func forwardable(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range []string{"Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol"} {
		out.Del(k)
	}
	return out
}

// wsConn is one client connection.
type wsConn struct {
	s      *Server
	legacy bool // graphql-ws (subscriptions-transport-ws) message names
	conn   *websocket.Conn
	ctx    context.Context // the connection's life; its subscriptions' fetches
	cancel context.CancelFunc
	id     gateway.ConnectionID

	mu       sync.Mutex
	header   http.Header  // forwarded to subgraphs; Authorization from connection_init
	claims   *auth.Claims // the verified token, nil when anonymous
	ip       string       // the client's address, for anonymous quotas
	initSeen bool
	acked    bool
	subs     map[string]*wsSub
	nextNum  int64
	// gens are the engines running this connection's subscriptions, each
	// with what stops its reload watch.
	gens   map[*generation]func() bool
	pinger *time.Timer // nil without pings
	closed atomic.Bool
	// closeDone is closed once a close started by close has finished its
	// handshake.
	closeDone chan struct{}
}

// wsSub is one operation of a connection; it is the engine's sink.
type wsSub struct {
	c       *wsConn
	id      string
	num     int64
	gen     *generation
	done    atomic.Bool
	release func() // gives back the subscription quota; nil for queries
}

func (c *wsConn) serve() {
	defer c.cleanup()
	initTimer := time.AfterFunc(c.s.set.Subscriptions.InitTimeout.D(), func() {
		c.mu.Lock()
		seen := c.initSeen
		c.mu.Unlock()
		if !seen {
			c.close(closeInitTimeout, "Connection initialisation timeout")
		}
	})
	defer initTimer.Stop()
	if every := c.s.set.Subscriptions.PingInterval.D(); every > 0 {
		c.mu.Lock()
		c.pinger = time.AfterFunc(every, c.ping)
		c.mu.Unlock()
	}
	for {
		typ, data, err := c.conn.Read(c.ctx)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				c.close(websocket.StatusMessageTooBig, "message too big")
			}
			return
		}
		var m wsMessage
		if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil || m.Type == "" {
			c.close(closeBadRequest, "Invalid message received")
			return
		}
		if !c.handle(m) {
			return
		}
	}
}

// handle acts on one message; false ends the connection.
func (c *wsConn) handle(m wsMessage) bool {
	if c.legacy {
		switch m.Type {
		case "start":
			m.Type = "subscribe"
		case "stop":
			m.Type = "complete"
		case "connection_terminate":
			c.close(websocket.StatusNormalClosure, "")
			return false
		case "ping", "pong":
			m.Type = "invalid" // not in this protocol
		}
	}
	switch m.Type {
	case "connection_init":
		return c.init(m)
	case "ping":
		c.write(wsMessage{Type: "pong", Payload: m.Payload})
	case "pong":
	case "subscribe":
		return c.subscribe(m)
	case "complete":
		c.complete(m.ID)
	default:
		c.close(closeBadRequest, "Invalid message received")
		return false
	}
	return true
}

func (c *wsConn) init(m wsMessage) bool {
	c.mu.Lock()
	if c.initSeen {
		c.mu.Unlock()
		c.close(closeTooManyInits, "Too many initialisation requests")
		return false
	}
	c.initSeen = true
	c.mu.Unlock()
	token := ""
	if len(m.Payload) > 0 && !bytes.Equal(m.Payload, []byte("null")) {
		var payload map[string]any
		if json.Unmarshal(m.Payload, &payload) != nil {
			c.close(closeBadRequest, "Invalid connection_init payload: want a JSON object")
			return false
		}
		for k, v := range payload {
			if strings.EqualFold(k, "Authorization") {
				s, ok := v.(string)
				if !ok {
					c.close(closeForbidden, "Forbidden: Authorization must be \"Bearer <access token>\"")
					return false
				}
				token = s
				continue
			}
			// A browser cannot set headers on a WebSocket, so the payload
			// carries them (X-Order-Token, X-Channel); the engine's header
			// rules choose which reach a subgraph, as for any request.
			if s, ok := v.(string); ok && headerName.MatchString(k) && !strings.ContainsAny(s, "\r\n\x00") {
				c.mu.Lock()
				c.header.Set(k, s)
				c.mu.Unlock()
			}
		}
	}
	if token != "" {
		r, _ := http.NewRequestWithContext(c.ctx, http.MethodGet, "/graphql", nil)
		r.Header.Set("Authorization", token)
		if c.s.cfg.Verifier == nil {
			c.close(closeForbidden, "Forbidden: this router accepts no access tokens")
			return false
		}
		claims, msg := auth.Authenticate(r, c.s.cfg.Verifier)
		if claims == nil {
			c.close(closeForbidden, "Forbidden: "+msg)
			return false
		}
		c.mu.Lock()
		c.claims = claims
		c.header.Set("Authorization", token)
		c.mu.Unlock()
	}
	c.mu.Lock()
	claims := c.claims
	c.acked = true
	c.mu.Unlock()
	// The connection ends when its token expires: its subscriptions must
	// not outlive the right to read them.
	if claims != nil && claims.ExpiresAt != nil {
		t := time.AfterFunc(time.Until(claims.ExpiresAt.Time), func() { c.close(closeForbidden, "Forbidden: the access token expired") })
		context.AfterFunc(c.ctx, func() { t.Stop() })
	}
	c.write(wsMessage{Type: "connection_ack"})
	if c.legacy {
		c.write(wsMessage{Type: "ka"}) // legacy clients time out without one
	}
	return true
}

type subscribePayload struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

func (c *wsConn) subscribe(m wsMessage) bool {
	c.mu.Lock()
	acked := c.acked
	c.mu.Unlock()
	if !acked {
		c.close(closeUnauthorized, "Unauthorized")
		return false
	}
	var p subscribePayload
	if m.ID == "" || json.Unmarshal(m.Payload, &p) != nil {
		c.close(closeBadRequest, "Invalid message received")
		return false
	}
	c.mu.Lock()
	if _, dup := c.subs[m.ID]; dup {
		c.mu.Unlock()
		c.close(closeDuplicate, "Subscriber for "+m.ID+" already exists")
		return false
	}
	if max := c.s.set.Subscriptions.MaxPerConnection; max > 0 && len(c.subs) >= max {
		c.mu.Unlock()
		c.sendErrors(m.ID, (&gateway.RequestError{Code: codeSubscriptionLimit,
			Message: "too many operations on this connection; complete some first"}).MarshalResponse())
		return true
	}
	c.nextNum++
	sub := &wsSub{c: c, id: m.ID, num: c.nextNum}
	c.subs[m.ID] = sub
	header, claims := c.header.Clone(), c.claims
	c.mu.Unlock()

	ctx := c.ctx
	if claims != nil {
		ctx = auth.WithClaims(ctx, claims)
	}
	g := c.s.acquire()
	sub.gen = g
	op, reqErr := c.s.prepare(ctx, header.Get(requestIDHeader), g, body{Query: p.Query, OperationName: p.OperationName, Variables: p.Variables, Extensions: p.Extensions})
	if reqErr != nil {
		g.leave()
		sub.fail(reqErr.MarshalResponse())
		return true
	}
	if op.Type == gateway.Subscription {
		release, qErr := c.s.quota.take(subscriptionKey(claims, c.ip))
		if qErr != nil {
			g.leave()
			c.s.cfg.Metrics.Rejected(qErr.Code)
			sub.fail(qErr.MarshalResponse())
			return true
		}
		sub.release = release
	}
	if op.Type != gateway.Subscription {
		// Queries and mutations too, as graphql-ws allows: one next, then
		// complete, off the read loop.
		go func() {
			defer g.leave()
			var buf bytes.Buffer
			if err := g.engine.Execute(ctx, op, header, &buf); err != nil {
				c.s.log.Error("execute operation", "err", err)
				sub.fail(internalError())
				return
			}
			if sub.Next(buf.Bytes()) == nil {
				sub.Complete()
			}
		}()
		return true
	}
	// A subscription does not hold its generation: a reload closes the
	// connection instead (1012), and the client resubscribes on the new one.
	c.watch(g)
	err := g.engine.StartSubscription(ctx, op, header, sub, c.id, sub.num)
	g.leave()
	if err != nil {
		c.s.log.Error("start subscription", "err", err)
		sub.fail(internalError())
	}
	return true
}

func internalError() []byte {
	return (&gateway.RequestError{Code: gateway.CodeInternal, Message: "internal error"}).MarshalResponse()
}

// complete is the client ending an operation.
func (c *wsConn) complete(id string) {
	c.mu.Lock()
	sub := c.subs[id]
	delete(c.subs, id)
	c.mu.Unlock()
	if sub == nil || !sub.done.CompareAndSwap(false, true) {
		return
	}
	if sub.release != nil {
		sub.release()
	}
	if sub.gen != nil {
		sub.gen.engine.StopSubscription(c.id, sub.num)
	}
}

// watch closes the connection when generation g ends (a reload retired it).
// watch closes the connection when g's supergraph is replaced. A callback
// rather than a goroutine per connection: at tens of thousands of held
// sockets every idle goroutine's stack counts.
func (c *wsConn) watch(g *generation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, seen := c.gens[g]; seen {
		return
	}
	c.gens[g] = nil
	if g.ctx != nil {
		c.gens[g] = context.AfterFunc(g.ctx, func() {
			c.close(closeServiceRestart, "supergraph reloaded: reconnect and resubscribe")
		})
	}
}

// ping sends one ping and arms the next, on a timer rather than a
// goroutine per connection (see watch).
func (c *wsConn) ping() {
	if c.write(wsMessage{Type: "ping"}) != nil {
		return
	}
	c.mu.Lock()
	// cleanup cancels before it takes the lock to stop the timer, so a
	// live context here means the Stop is still to come.
	if c.ctx.Err() == nil {
		c.pinger.Reset(c.s.set.Subscriptions.PingInterval.D())
	}
	c.mu.Unlock()
}

// write sends one message under the write deadline; a client that cannot
// take it in time is closed (coder/websocket closes on a cancelled write).
func (c *wsConn) write(m wsMessage) error {
	if c.legacy {
		switch m.Type {
		case "next":
			m.Type = "data"
		case "pong":
			return nil
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.set.Subscriptions.WriteTimeout.D())
	defer cancel()
	err = c.conn.Write(ctx, websocket.MessageText, b)
	if err != nil && ctx.Err() != nil && c.ctx.Err() == nil {
		c.s.log.Warn("websocket client too slow: closing", "timeout", c.s.set.Subscriptions.WriteTimeout.D().String())
		c.close(closeTryAgainLater, "too slow")
	}
	return err
}

// sendErrors sends an error message (the operation ends) with the errors
// of a GraphQL response.
func (c *wsConn) sendErrors(id string, response []byte) {
	errs, _, _, err := jsonparser.Get(response, "errors")
	if err != nil || len(errs) == 0 || errs[0] != '[' {
		errs = []byte(`[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]`)
	}
	_ = c.write(wsMessage{ID: id, Type: "error", Payload: errs})
}

// close ends the connection with code; safe to call more than once and
// from any goroutine.
func (c *wsConn) close(code websocket.StatusCode, reason string) {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer close(c.closeDone)
		_ = c.conn.Close(code, reason)
		c.cancel()
	}()
}

// cleanup stops every subscription of the connection.
func (c *wsConn) cleanup() {
	c.cancel()
	c.mu.Lock()
	if c.pinger != nil {
		c.pinger.Stop()
	}
	gens := c.gens
	c.gens = map[*generation]func() bool{}
	for _, sub := range c.subs {
		if sub.done.CompareAndSwap(false, true) && sub.release != nil {
			sub.release() // the connection's quota goes with it
		}
	}
	c.subs = map[string]*wsSub{}
	c.mu.Unlock()
	for g, unwatch := range gens {
		if unwatch != nil {
			unwatch()
		}
		g.engine.StopConnection(c.id)
	}
	if c.closed.CompareAndSwap(false, true) {
		_ = c.conn.CloseNow() // the client went away
		return
	}
	<-c.closeDone // let the close frame go out
}

// finish marks the operation over and forgets it; false when it already was.
func (s *wsSub) finish() bool {
	if !s.done.CompareAndSwap(false, true) {
		return false
	}
	if s.release != nil {
		s.release()
	}
	s.c.mu.Lock()
	if s.c.subs[s.id] == s {
		delete(s.c.subs, s.id)
	}
	s.c.mu.Unlock()
	return true
}

// fail ends the operation with the errors of response.
func (s *wsSub) fail(response []byte) {
	if s.finish() {
		s.c.sendErrors(s.id, response)
	}
}

// Next sends one result.
func (s *wsSub) Next(response []byte) error {
	if s.done.Load() {
		return nil
	}
	return s.c.write(wsMessage{ID: s.id, Type: "next", Payload: json.RawMessage(response)})
}

// Error ends the operation with the subgraph's errors.
func (s *wsSub) Error(response []byte) { s.fail(response) }

// Complete ends the operation.
func (s *wsSub) Complete() {
	if s.finish() {
		_ = s.c.write(wsMessage{ID: s.id, Type: "complete"})
	}
}

// Heartbeat: WebSockets keep alive with ping messages instead.
func (s *wsSub) Heartbeat() error { return nil }
