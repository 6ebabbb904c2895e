package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/router/gateway"
)

// GraphQL over SSE, single connection mode (graphql-sse PROTOCOL.md): one
// event stream per client carries every operation, so a page with many
// subscriptions needs one HTTP/1.1 connection, not one each:
//
//	PUT    /graphql/stream               reserve: 201, the token as text
//	GET    /graphql/stream               the stream (token in X-GraphQL-Event-Stream-Token or ?token=)
//	POST   /graphql/stream               an operation with extensions.operationId: 202, results on the stream
//	DELETE /graphql/stream?operationId=  stop one
//
// Events are "next" with {"id", "payload"} and "complete" with {"id"}. The
// reservation keeps the identity it was made with: every request of the
// stream must carry the same token, and operations run as that caller.

const streamTokenHeader = "X-GraphQL-Event-Stream-Token"

// sseStream is one reserved stream.
type sseStream struct {
	claims *auth.Claims
	header http.Header // forwarded to subgraphs
	ip     string

	mu        sync.Mutex
	sink      *sseSink           // nil until the GET connects
	ops       map[string]func()  // running operations' cancels
	connected chan struct{}      // closed when the GET connects
	done      context.CancelFunc // ends the GET
}

type sseStreams struct {
	mu sync.Mutex
	m  map[string]*sseStream
}

func (s *Server) sseSingle(w http.ResponseWriter, r *http.Request) {
	r, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodPut {
		s.reserveStream(w, r)
		return
	}
	token := r.Header.Get(streamTokenHeader)
	if token == "" && r.Method == http.MethodGet {
		// EventSource cannot set headers. Elsewhere the header is required:
		// it makes a cross-site POST need a preflight (CSRF).
		token = r.URL.Query().Get("token")
	}
	s.streams.mu.Lock()
	st := s.streams.m[token]
	s.streams.mu.Unlock()
	if st == nil {
		writeStatus(w, http.StatusNotFound, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "no such stream reservation: PUT /graphql/stream first"})
		return
	}
	if !sameCaller(st.claims, auth.FromContext(r.Context())) {
		writeStatus(w, http.StatusForbidden, &gateway.RequestError{Code: "FORBIDDEN", Message: "the stream was reserved by another caller"})
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.connectStream(w, r, token, st)
	case http.MethodPost:
		s.streamOperation(w, r, st)
	case http.MethodDelete:
		id := r.URL.Query().Get("operationId")
		st.mu.Lock()
		cancel := st.ops[id]
		st.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		w.WriteHeader(http.StatusOK)
	default:
		w.Header().Set("Allow", "PUT, GET, POST, DELETE")
		writeStatus(w, http.StatusMethodNotAllowed, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "use PUT, GET, POST or DELETE"})
	}
}

func sameCaller(a, b *auth.Claims) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Subject == b.Subject
}

func (s *Server) reserveStream(w http.ResponseWriter, r *http.Request) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	st := &sseStream{claims: auth.FromContext(r.Context()), header: forwardable(r.Header), ip: s.clientIP(r),
		ops: map[string]func(){}, connected: make(chan struct{})}
	s.streams.mu.Lock()
	if s.streams.m == nil {
		s.streams.m = map[string]*sseStream{}
	}
	s.streams.m[token] = st
	s.streams.mu.Unlock()
	// A reservation nobody connects to is dropped.
	time.AfterFunc(s.set.Subscriptions.InitTimeout.D(), func() {
		select {
		case <-st.connected:
		default:
			s.dropStream(token)
		}
	})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(token))
}

func (s *Server) dropStream(token string) {
	s.streams.mu.Lock()
	st := s.streams.m[token]
	delete(s.streams.m, token)
	s.streams.mu.Unlock()
	if st == nil {
		return
	}
	st.mu.Lock()
	for _, cancel := range st.ops {
		cancel()
	}
	if st.done != nil {
		st.done()
	}
	st.mu.Unlock()
}

func (s *Server) connectStream(w http.ResponseWriter, r *http.Request, token string, st *sseStream) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	st.mu.Lock()
	if st.sink != nil {
		st.mu.Unlock()
		writeStatus(w, http.StatusConflict, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "the stream is already connected"})
		return
	}
	remove, ok := s.live.add(cancel)
	if !ok {
		st.mu.Unlock()
		writeStatus(w, http.StatusServiceUnavailable, &gateway.RequestError{Code: gateway.CodeInternal, Message: "the server is shutting down"})
		return
	}
	defer remove()
	defer s.dropStream(token)
	h := w.Header()
	h.Set("Content-Type", contentTypeEventStream+"; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sink := &sseSink{w: w, rc: http.NewResponseController(w), timeout: s.set.Subscriptions.WriteTimeout.D()}
	// Flushed before operations can see the sink: after this, every write
	// is theirs or a heartbeat, all under the sink's lock.
	if err := sink.flush(); err != nil {
		st.mu.Unlock()
		return
	}
	st.sink, st.done = sink, cancel
	close(st.connected)
	st.mu.Unlock()
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if sink.Heartbeat() != nil {
				return
			}
		}
	}
}

// streamOperation starts one operation on a connected stream.
func (s *Server) streamOperation(w http.ResponseWriter, r *http.Request, st *sseStream) {
	if !jsonContentType(r.Header.Get("Content-Type")) {
		writeStatus(w, http.StatusUnsupportedMediaType, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "send Content-Type: application/json"})
		return
	}
	raw, err := readBody(r, s.set.Limits.MaxBodyBytes)
	if err != nil {
		writeStatus(w, http.StatusRequestEntityTooLarge, &gateway.RequestError{Code: CodeBodyTooLarge, Message: "the request body could not be read"})
		return
	}
	var req body
	if err := json.Unmarshal(raw, &req); err != nil {
		writeStatus(w, http.StatusBadRequest, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "the request body is not valid JSON"})
		return
	}
	var ext struct {
		OperationID string `json:"operationId"`
	}
	_ = json.Unmarshal(req.Extensions, &ext)
	if ext.OperationID == "" {
		writeStatus(w, http.StatusBadRequest, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "extensions.operationId is required in single connection mode"})
		return
	}
	st.mu.Lock()
	sink, busy := st.sink, st.ops[ext.OperationID] != nil
	st.mu.Unlock()
	switch {
	case sink == nil:
		writeStatus(w, http.StatusConflict, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "connect the stream (GET) before sending operations"})
		return
	case busy:
		writeStatus(w, http.StatusConflict, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "an operation with this id is running"})
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	if st.claims != nil {
		ctx = auth.WithClaims(ctx, st.claims)
	}
	g := s.acquire()
	op, reqErr := s.prepare(ctx, r.Header.Get(requestIDHeader), g, req)
	if reqErr != nil {
		g.leave()
		cancel()
		writeRequestError(w, true, reqErr)
		return
	}
	if ok, wait := s.rateLimit(r, op); !ok {
		g.leave()
		cancel()
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
		s.reject(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests")
		return
	}
	var release func()
	if op.Type == gateway.Subscription {
		var qErr *gateway.RequestError
		if release, qErr = s.quota.take(subscriptionKey(st.claims, st.ip)); qErr != nil {
			g.leave()
			cancel()
			s.reject(w, http.StatusTooManyRequests, qErr.Code, qErr.Message)
			return
		}
	}
	id := ext.OperationID
	st.mu.Lock()
	st.ops[id] = cancel
	st.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	go func() {
		defer cancel()
		defer func() {
			st.mu.Lock()
			delete(st.ops, id)
			st.mu.Unlock()
		}()
		if release != nil {
			defer release()
		}
		out := &streamOpSink{sink: sink, id: id}
		if op.Type != gateway.Subscription {
			defer g.leave()
			var buf bytes.Buffer
			if err := g.engine.Execute(ctx, op, st.header, &buf); err != nil {
				out.Error(internalError())
				return
			}
			if out.Next(buf.Bytes()) == nil {
				out.Complete()
			}
			return
		}
		g.leave()
		err := g.engine.Subscribe(ctx, op, st.header, out, gateway.SubscribeOptions{})
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			s.log.Error("stream subscription", "err", err)
		}
		out.Complete()
	}()
}

// streamOpSink puts one operation's results on the shared stream, tagged
// with its id.
type streamOpSink struct {
	sink *sseSink
	id   string
	once sync.Once
}

func (o *streamOpSink) Next(response []byte) error {
	payload, _ := json.Marshal(struct {
		ID      string          `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}{o.id, response})
	o.sink.mu.Lock()
	defer o.sink.mu.Unlock()
	return o.sink.write(event("next", payload))
}

func (o *streamOpSink) Error(response []byte) {
	if o.Next(response) == nil {
		o.Complete()
	}
}

func (o *streamOpSink) Complete() {
	o.once.Do(func() {
		payload, _ := json.Marshal(map[string]string{"id": o.id})
		o.sink.mu.Lock()
		defer o.sink.mu.Unlock()
		_ = o.sink.write(event("complete", payload))
	})
}

func (o *streamOpSink) Heartbeat() error { return nil }
