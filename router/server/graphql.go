package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/buger/jsonparser"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/router/gateway"
	"github.com/myshop/supergraph/router/ratelimit"
)

const (
	contentTypeGraphQLResponse = "application/graphql-response+json"
	contentTypeJSON            = "application/json"
)

// body is a GraphQL-over-HTTP request body.
type body struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

// graphql implements GraphQL over HTTP: POST with a JSON body, GET for
// queries with URL parameters. Every protection that can refuse a request
// runs before any subgraph call: header limits, CORS, CSRF, the in-flight
// cap, authentication, body limits, batching rules, persisted operations,
// operation limits (in Prepare) and rate limits.
func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	id := requestID(r)
	r.Header.Set(requestIDHeader, id)
	w.Header().Set(requestIDHeader, id)
	for k, v := range s.set.Headers.Response {
		w.Header().Set(k, v)
	}
	if s.cors(w, r) {
		return
	}
	if s.headersTooLarge(r) {
		s.reject(w, http.StatusRequestHeaderFieldsTooLarge, CodeHeadersTooLarge, "the request has too many headers or header bytes")
		return
	}
	if isWebSocketUpgrade(r) {
		s.websocket(w, r)
		return
	}
	if s.wantsPlayground(r) {
		s.playground(w, r)
		return
	}
	if r.Method == http.MethodGet && r.Header.Get("Content-Type") != "" && !jsonContentType(r.Header.Get("Content-Type")) {
		// A GET has no body: a form-ish Content-Type is a browser trick (Apollo 2.12.1).
		s.reject(w, http.StatusUnsupportedMediaType, gateway.CodeBadRequest, "a GET request must not carry a non-JSON Content-Type")
		return
	}
	if !s.csrfSafe(r) {
		s.reject(w, http.StatusBadRequest, CodeCSRF, "this request could be a cross-site request forgery: send Content-Type: application/json, or the header Apollo-Require-Preflight")
		return
	}
	stream := r.Method == http.MethodPost && acceptsEventStream(r.Header.Get("Accept"))
	if s.inFlight != nil && !stream {
		// Streams live long: they are capped per connection and in total
		// by the subscription limits, not by this.
		select {
		case s.inFlight <- struct{}{}:
			defer func() { <-s.inFlight }()
		default:
			s.cfg.Metrics.Rejected(CodeOverloaded)
			overloaded(w)
			return
		}
	}
	s.cfg.Metrics.InFlight(1)
	defer s.cfg.Metrics.InFlight(-1)
	r, ok := s.authenticate(w, r)
	if !ok {
		s.cfg.Metrics.Rejected("UNAUTHENTICATED")
		return
	}
	modern := acceptsGraphQLResponse(r.Header.Get("Accept"))
	var reqs []body
	batch := false
	switch r.Method {
	case http.MethodPost:
		// Only JSON bodies: form and text/plain posts are what a cross-site
		// form can send without a CORS preflight (CSRF).
		if !jsonContentType(r.Header.Get("Content-Type")) {
			writeStatus(w, http.StatusUnsupportedMediaType, &gateway.RequestError{Code: gateway.CodeBadRequest,
				Message: "POST bodies must be JSON: send Content-Type: application/json"})
			return
		}
		raw, err := readBody(r, s.set.Limits.MaxBodyBytes)
		switch {
		case errors.Is(err, errBodyTooLarge):
			s.reject(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("the request body is larger than %d bytes", s.set.Limits.MaxBodyBytes))
			return
		case err != nil:
			writeRequestError(w, modern, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "the request body could not be read: " + err.Error()})
			return
		}
		if reqs, batch, err = decodeBodies(raw); err != nil {
			writeRequestError(w, modern, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: err.Error()})
			return
		}
	case http.MethodGet:
		q := r.URL.Query()
		req := body{Query: q.Get("query"), OperationName: q.Get("operationName")}
		if v := q.Get("variables"); v != "" {
			req.Variables = json.RawMessage(v)
		}
		if v := q.Get("extensions"); v != "" {
			req.Extensions = json.RawMessage(v)
		}
		reqs = []body{req}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeStatus(w, http.StatusMethodNotAllowed, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "use GET or POST"})
		return
	}
	if batch {
		switch {
		case !s.set.Limits.Batching:
			s.cfg.Metrics.Rejected(CodeBatchingDisabled)
			writeStatus(w, http.StatusBadRequest, &gateway.RequestError{Code: CodeBatchingDisabled,
				Message: "batched requests (a JSON array body) are not enabled on this router; send one operation per request"})
			return
		case len(reqs) > s.set.Limits.MaxBatch:
			s.cfg.Metrics.Rejected(CodeBatchTooLarge)
			writeStatus(w, http.StatusBadRequest, &gateway.RequestError{Code: CodeBatchTooLarge,
				Message: fmt.Sprintf("a batch may hold at most %d operations", s.set.Limits.MaxBatch)})
			return
		}
		s.serveBatch(w, r, reqs)
		return
	}
	s.serveOne(w, r, reqs[0], modern, stream)
}

// decodeBodies reads one request object, or an array of them (a batch).
func decodeBodies(raw []byte) ([]body, bool, error) {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	batch := len(trimmed) > 0 && trimmed[0] == '['
	dec := json.NewDecoder(bytes.NewReader(raw))
	var reqs []body
	if batch {
		if err := dec.Decode(&reqs); err != nil {
			return nil, true, fmt.Errorf("the request body is not valid JSON: %w", err)
		}
		if len(reqs) == 0 {
			return nil, true, errors.New("the batch is empty")
		}
	} else {
		var req body
		if err := dec.Decode(&req); err != nil {
			return nil, false, fmt.Errorf("the request body is not valid JSON: %w", err)
		}
		reqs = []body{req}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, batch, errors.New("the request body has data after the JSON value")
	}
	return reqs, batch, nil
}

// reject answers a request refused before GraphQL execution.
func (s *Server) reject(w http.ResponseWriter, status int, code, msg string) {
	s.cfg.Metrics.Rejected(code)
	writeStatus(w, status, &gateway.RequestError{Code: code, Message: msg})
}

// prepare resolves persisted operations and prepares the operation; on
// failure it returns the error to answer with.
func (s *Server) prepare(ctx context.Context, requestID string, g *generation, req body) (*gateway.Operation, *gateway.RequestError) {
	query, perr := s.persisted.resolve(ctx, req)
	if perr != nil {
		return nil, perr
	}
	op, err := g.engine.Prepare(gateway.Request{Query: query, OperationName: req.OperationName, Variables: req.Variables})
	var reqErr *gateway.RequestError
	switch {
	case errors.As(err, &reqErr):
		return nil, reqErr
	case err != nil:
		s.log.Error("prepare operation", "err", err, "request_id", requestID)
		return nil, &gateway.RequestError{Code: gateway.CodeInternal, Message: "internal error"}
	}
	op.ExposeCost = wantsCost(req.Extensions)
	return op, nil
}

// wantsCost reports whether the request asks for its cost in the
// response: {"extensions": {"cost": true}}.
func wantsCost(ext json.RawMessage) bool {
	if len(ext) == 0 {
		return false
	}
	v, err := jsonparser.GetBoolean(ext, "cost")
	return err == nil && v
}

// rateLimit charges the operation's root fields to the caller: one unit
// per root field on the general limit (so aliases do not multiply what a
// request may do) and per field with a rule of its own. It answers false
// and how long to wait when the caller is over a limit.
func (s *Server) rateLimit(r *http.Request, ops ...*gateway.Operation) (bool, time.Duration) {
	if s.limiter == nil {
		return true, 0
	}
	who := "ip:" + s.clientIP(r)
	if c := auth.FromContext(r.Context()); c != nil && c.Subject != "" {
		who = "user:" + c.Subject
	}
	rl := s.set.RateLimit
	total := 0
	perField := map[string]int{}
	for _, op := range ops {
		total += max(len(op.RootFields), 1)
		for _, f := range op.RootFields {
			if _, ok := rl.Fields[f]; ok {
				perField[f]++
			}
		}
	}
	takes := []ratelimit.Take{{Key: who, Rule: ratelimit.Rule{Rate: rl.Rate, Burst: rl.Burst, Period: rl.Period.D()}, Cost: total}}
	for f, n := range perField {
		fl := rl.Fields[f]
		takes = append(takes, ratelimit.Take{Key: who + ":" + f, Rule: ratelimit.Rule{Rate: fl.Rate, Burst: fl.Burst, Period: fl.Period.D()}, Cost: n})
	}
	return s.limiter.Allow(r.Context(), takes)
}

// serveOne runs one operation.
func (s *Server) serveOne(w http.ResponseWriter, r *http.Request, req body, modern, stream bool) {
	start := time.Now()
	// Refusals and failures are never kept; an answer sets its own below.
	w.Header().Set("Cache-Control", "no-store")
	g := s.acquire()
	leave := sync.OnceFunc(g.leave)
	defer leave()
	op, reqErr := s.prepare(r.Context(), r.Header.Get(requestIDHeader), g, req)
	if reqErr != nil {
		s.cfg.Metrics.Rejected(reqErr.Code)
		writeRequestError(w, modern, reqErr)
		return
	}
	if r.Method == http.MethodGet && op.Type != gateway.Query {
		// GET must be safe: a mutation could be triggered by a link or a preflight-free request.
		w.Header().Set("Allow", "POST")
		writeStatus(w, http.StatusMethodNotAllowed, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "only queries may be sent with GET; use POST"})
		return
	}
	if ok, wait := s.rateLimit(r, op); !ok {
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
		s.reject(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests: retry after "+retryAfterSeconds(wait)+"s")
		return
	}
	if stream {
		s.serveSSE(w, r, g, op, leave)
		return
	}
	if op.Type == gateway.Subscription {
		writeRequestError(w, modern, &gateway.RequestError{Code: gateway.CodeBadRequest,
			Message: "subscriptions need a streaming transport: a WebSocket (graphql-transport-ws) on GET /graphql, or POST with Accept: text/event-stream"})
		return
	}
	ctx, cancel := s.requestContext(r)
	defer cancel()
	var buf bytes.Buffer
	err := g.engine.Execute(ctx, op, r.Header, &buf)
	outcome := "ok"
	switch {
	case err == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil:
		outcome = CodeGatewayTimeout
		writeStatus(w, http.StatusGatewayTimeout, &gateway.RequestError{Code: CodeGatewayTimeout, Message: "the request timed out"})
	case err == nil:
		if bytes.Contains(buf.Bytes(), []byte(`"errors"`)) {
			outcome = "error"
		}
		w.Header().Set("Content-Type", contentType(modern))
		// From the schema's @cacheControl hints, so a CDN may keep public
		// storefront reads; never an answer with errors. A signed-in
		// caller's answer may hold what others may not see: private.
		policy := op.Cache
		policy.Private = policy.Private || r.Header.Get("Authorization") != ""
		cc := policy.Header(op.Type, outcome == "error")
		w.Header().Set("Cache-Control", cc)
		if cc != "no-store" && len(s.set.Headers.Vary) > 0 {
			w.Header().Add("Vary", strings.Join(append([]string{"Authorization"}, s.set.Headers.Vary...), ", "))
		}
		_, _ = w.Write(buf.Bytes())
	case r.Context().Err() != nil:
		outcome = "canceled" // the client is gone
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		outcome = CodeGatewayTimeout
		writeStatus(w, http.StatusGatewayTimeout, &gateway.RequestError{Code: CodeGatewayTimeout, Message: "the request timed out"})
	default:
		outcome = gateway.CodeInternal
		s.log.Error("execute operation", "err", err, "request_id", r.Header.Get(requestIDHeader))
		writeStatus(w, http.StatusInternalServerError, &gateway.RequestError{Code: gateway.CodeInternal, Message: "internal error"})
	}
	s.cfg.Metrics.Request(op.Name, outcome, time.Since(start))
	s.cfg.Metrics.Cost(op.Cost.Estimated, op.Cost.Actual)
}

// requestContext bounds a request by the configured request timeout.
func (s *Server) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	if d := s.set.Traffic.RequestTimeout.D(); d > 0 {
		return context.WithTimeout(r.Context(), d)
	}
	return context.WithCancel(r.Context())
}

// serveBatch runs a batch's operations one after the other and answers a
// JSON array. Each operation passes the same checks as a single request;
// rate limits are charged for the whole batch at once, so a batch of ten
// logins counts as ten.
func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request, reqs []body) {
	g := s.acquire()
	defer g.leave()
	ops := make([]*gateway.Operation, len(reqs))
	results := make([][]byte, len(reqs))
	for i, req := range reqs {
		op, reqErr := s.prepare(r.Context(), r.Header.Get(requestIDHeader), g, req)
		switch {
		case reqErr != nil:
			results[i] = reqErr.MarshalResponse()
		case op.Type == gateway.Subscription:
			results[i] = (&gateway.RequestError{Code: gateway.CodeBadRequest, Message: "subscriptions cannot be batched"}).MarshalResponse()
		default:
			ops[i] = op
		}
	}
	var valid []*gateway.Operation
	for _, op := range ops {
		if op != nil {
			valid = append(valid, op)
		}
	}
	if ok, wait := s.rateLimit(r, valid...); !ok {
		w.Header().Set("Retry-After", retryAfterSeconds(wait))
		s.reject(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests: retry after "+retryAfterSeconds(wait)+"s")
		return
	}
	ctx, cancel := s.requestContext(r)
	defer cancel()
	for i, op := range ops {
		if op == nil {
			continue
		}
		var buf bytes.Buffer
		if err := g.engine.Execute(ctx, op, r.Header, &buf); err != nil {
			results[i] = (&gateway.RequestError{Code: gateway.CodeInternal, Message: "internal error"}).MarshalResponse()
			continue
		}
		results[i] = buf.Bytes()
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	_, _ = w.Write([]byte("["))
	for i, res := range results {
		if i > 0 {
			_, _ = w.Write([]byte(","))
		}
		_, _ = w.Write(res)
	}
	_, _ = w.Write([]byte("]"))
}

// authenticate verifies the request's Authorization header, if any, and
// returns the request carrying its claims. When the header is not a valid
// bearer token it answers 401 UNAUTHENTICATED and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) == 0 || len(values) == 1 && values[0] == "":
		return r, true // anonymous, as for the subgraphs' auth.Middleware
	case len(values) > 1:
		// Subgraphs read the first one; the router must not decide on a
		// different one than they do, nor forward an ambiguous identity.
		auth.Unauthenticated(w, "send one Authorization header")
		return r, false
	}
	if s.cfg.Verifier == nil {
		auth.Unauthenticated(w, "this router accepts no access tokens")
		return r, false
	}
	claims, msg := auth.Authenticate(r, s.cfg.Verifier)
	if claims == nil {
		auth.Unauthenticated(w, msg)
		return r, false
	}
	return r.WithContext(auth.WithClaims(r.Context(), claims)), true
}

// writeRequestError follows GraphQL over HTTP: with the modern media type a
// request error is a 400; legacy application/json clients get 200, except
// for requests that are not GraphQL requests at all.
func writeRequestError(w http.ResponseWriter, modern bool, e *gateway.RequestError) {
	status := http.StatusOK
	if modern || e.Code == gateway.CodeBadRequest || e.Code == gateway.CodeBatchingUnsupported {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", contentType(modern))
	w.WriteHeader(status)
	_, _ = w.Write(e.MarshalResponse())
}

func writeStatus(w http.ResponseWriter, status int, e *gateway.RequestError) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(e.MarshalResponse())
}

func contentType(modern bool) string {
	if modern {
		return contentTypeGraphQLResponse
	}
	return contentTypeJSON
}

// acceptsGraphQLResponse reports whether to answer with
// application/graphql-response+json (GraphQL over HTTP, 2022+): the client
// accepts it (q > 0) and does not prefer application/json (a higher q);
// at equal preference the newer type wins, as the spec recommends.
func acceptsGraphQLResponse(accept string) bool {
	modern, legacy := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		switch mt = strings.TrimSpace(mt); {
		case strings.EqualFold(mt, contentTypeGraphQLResponse):
			modern = max(modern, q)
		case strings.EqualFold(mt, contentTypeJSON):
			legacy = max(legacy, q)
		}
	}
	return modern > 0 && modern >= legacy
}

// jsonContentType accepts application/json (any parameters) and the older
// application/graphql+json.
func jsonContentType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, contentTypeJSON) || strings.EqualFold(mt, "application/graphql+json")
}
