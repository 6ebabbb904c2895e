package server

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/router/gateway"
)

// GraphQL over Server-Sent Events, graphql-sse's distinct connections mode
// (https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md): POST
// /graphql with Accept: text/event-stream streams each result as a "next"
// event and ends with a "complete" event. One request, one operation; the
// Authorization header authenticates it like any request.

const contentTypeEventStream = "text/event-stream"

// acceptsEventStream reports whether the client asks for SSE.
func acceptsEventStream(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(mt), contentTypeEventStream) {
			return true
		}
	}
	return false
}

// serveSSE streams op. leave releases the request's generation: a
// subscription does not hold it (a reload ends the stream; the client
// reconnects to the new one).
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request, g *generation, op *gateway.Operation, leave func()) {
	if op.Type == gateway.Subscription {
		release, qErr := s.quota.take(subscriptionKey(auth.FromContext(r.Context()), s.clientIP(r)))
		if qErr != nil {
			s.reject(w, http.StatusTooManyRequests, qErr.Code, qErr.Message)
			return
		}
		defer release()
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	remove, ok := s.live.add(cancel)
	if !ok {
		writeStatus(w, http.StatusServiceUnavailable, &gateway.RequestError{Code: gateway.CodeInternal, Message: "the server is shutting down"})
		return
	}
	defer remove()
	h := w.Header()
	h.Set("Content-Type", contentTypeEventStream+"; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // proxies must not buffer the stream
	w.WriteHeader(http.StatusOK)
	sink := &sseSink{w: w, rc: http.NewResponseController(w), timeout: s.set.Subscriptions.WriteTimeout.D()}
	if err := sink.flush(); err != nil {
		return
	}
	if op.Type != gateway.Subscription {
		var buf bytes.Buffer
		if err := g.engine.Execute(ctx, op, r.Header, &buf); err != nil {
			if ctx.Err() == nil {
				s.log.Error("execute operation", "err", err)
				_ = sink.Next(internalError())
			}
			return
		}
		if sink.Next(buf.Bytes()) == nil {
			sink.Complete()
		}
		return
	}
	if g.ctx != nil {
		// The generation's end (a reload) ends the stream; the resolver
		// would see it too, this just does not depend on it.
		stop := context.AfterFunc(g.ctx, cancel)
		defer stop()
	}
	leave()
	err := g.engine.Subscribe(ctx, op, r.Header, sink, gateway.SubscribeOptions{Heartbeat: true})
	if err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
		s.log.Error("subscription", "err", err)
	}
}

// sseSink writes a subscription as SSE events, each under the write
// deadline: a client that does not take an event in time is dropped.
type sseSink struct {
	mu      sync.Mutex
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	done    bool
}

func (s *sseSink) write(b []byte) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if err := s.flush(); err != nil {
		return err
	}
	if err := s.rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

func (s *sseSink) flush() error {
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// event renders one SSE event; data lines may not hold a newline.
func event(name string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("event: " + name + "\n")
	for _, line := range bytes.Split(data, []byte("\n")) {
		b.WriteString("data: ")
		b.Write(line)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.Bytes()
}

func (s *sseSink) Next(response []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	return s.write(event("next", response))
}

// Error sends the errors as a result, then completes (graphql-sse has no
// error event).
func (s *sseSink) Error(response []byte) {
	if s.Next(response) == nil {
		s.Complete()
	}
}

func (s *sseSink) Complete() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done = true
	_ = s.write([]byte("event: complete\ndata:\n\n"))
}

// Heartbeat is an SSE comment: it keeps proxies from closing an idle stream.
func (s *sseSink) Heartbeat() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	return s.write([]byte(":\n\n"))
}

// liveSet holds what a drain must end: open WebSockets and SSE streams.
type liveSet struct {
	mu       sync.Mutex
	next     int
	closers  map[int]func()
	draining bool
}

// add registers close; false when draining (the caller must not start).
func (l *liveSet) add(close func()) (remove func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.draining {
		return nil, false
	}
	if l.closers == nil {
		l.closers = map[int]func(){}
	}
	l.next++
	id := l.next
	l.closers[id] = close
	return func() {
		l.mu.Lock()
		delete(l.closers, id)
		l.mu.Unlock()
	}, true
}

func (l *liveSet) drain() {
	l.mu.Lock()
	l.draining = true
	closers := make([]func(), 0, len(l.closers))
	for _, c := range l.closers {
		closers = append(closers, c)
	}
	l.mu.Unlock()
	for _, c := range closers {
		c()
	}
}

func (l *liveSet) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.closers)
}
