package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/myshop/supergraph/router/gateway"
	"github.com/myshop/supergraph/subgraphs/platform/auth"
)

const (
	contentTypeGraphQLResponse = "application/graphql-response+json"
	contentTypeJSON            = "application/json"
	maxBodyBytes               = 2 << 20
)

// body is a GraphQL-over-HTTP request body.
type body struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

// graphql implements GraphQL over HTTP: POST with a JSON body, GET for
// queries with URL parameters.
func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	if isWebSocketUpgrade(r) {
		s.websocket(w, r)
		return
	}
	if s.wantsPlayground(r) {
		s.playground(w, r)
		return
	}
	r, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	modern := acceptsGraphQLResponse(r.Header.Get("Accept"))
	var req body
	switch r.Method {
	case http.MethodPost:
		// Only JSON bodies: form and text/plain posts are what a cross-site
		// form can send without a CORS preflight (CSRF).
		if !jsonContentType(r.Header.Get("Content-Type")) {
			writeStatus(w, http.StatusUnsupportedMediaType, &gateway.RequestError{Code: gateway.CodeBadRequest,
				Message: "POST bodies must be JSON: send Content-Type: application/json"})
			return
		}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			writeRequestError(w, modern, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "the request body could not be read: " + err.Error()})
			return
		}
		if trimmed := bytes.TrimLeft(raw, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '[' {
			writeRequestError(w, modern, &gateway.RequestError{Code: gateway.CodeBatchingUnsupported,
				Message: "batched requests (a JSON array body) are not supported; send one operation per request"})
			return
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if err := dec.Decode(&req); err != nil {
			writeRequestError(w, modern, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "the request body is not valid JSON: " + err.Error()})
			return
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			writeRequestError(w, modern, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "the request body has data after the JSON object"})
			return
		}
	case http.MethodGet:
		q := r.URL.Query()
		req = body{Query: q.Get("query"), OperationName: q.Get("operationName")}
		if v := q.Get("variables"); v != "" {
			req.Variables = json.RawMessage(v)
		}
		if v := q.Get("extensions"); v != "" {
			req.Extensions = json.RawMessage(v)
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		writeStatus(w, http.StatusMethodNotAllowed, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "use GET or POST"})
		return
	}
	if e := checkExtensions(req); e != nil {
		writeRequestError(w, modern, e)
		return
	}

	g := s.acquire()
	leave := sync.OnceFunc(g.leave)
	defer leave()
	op, err := g.engine.Prepare(gateway.Request{Query: req.Query, OperationName: req.OperationName, Variables: req.Variables})
	var reqErr *gateway.RequestError
	switch {
	case errors.As(err, &reqErr):
		writeRequestError(w, modern, reqErr)
		return
	case err != nil:
		s.log.Error("prepare operation", "err", err)
		writeStatus(w, http.StatusInternalServerError, &gateway.RequestError{Code: gateway.CodeInternal, Message: "internal error"})
		return
	}
	if r.Method == http.MethodGet && op.Type != gateway.Query {
		// GET must be safe: a mutation could be triggered by a link or a preflight-free request.
		w.Header().Set("Allow", "POST")
		writeStatus(w, http.StatusMethodNotAllowed, &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "only queries may be sent with GET; use POST"})
		return
	}
	if r.Method == http.MethodPost && acceptsEventStream(r.Header.Get("Accept")) {
		s.serveSSE(w, r, g, op, leave)
		return
	}
	if op.Type == gateway.Subscription {
		writeRequestError(w, modern, &gateway.RequestError{Code: gateway.CodeBadRequest,
			Message: "subscriptions need a streaming transport: a WebSocket (graphql-transport-ws) on GET /graphql, or POST with Accept: text/event-stream"})
		return
	}

	w.Header().Set("Content-Type", contentType(modern))
	if err := g.engine.Execute(r.Context(), op, r.Header, w); err != nil {
		if r.Context().Err() != nil {
			return // the client is gone
		}
		s.log.Error("execute operation", "err", err)
		writeStatus(w, http.StatusInternalServerError, &gateway.RequestError{Code: gateway.CodeInternal, Message: "internal error"})
	}
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

// persistedQueryNotSupported is Apollo's code for automatic persisted
// queries a server does not implement: Apollo Client's persisted-query link
// then stops sending hashes and sends the full query.
const persistedQueryNotSupported = "PERSISTED_QUERY_NOT_SUPPORTED"

// checkExtensions validates the request's extensions, which GraphQL over
// HTTP defines as a map (a JSON object, in a GET as a URL parameter), and
// answers an automatic persisted query sent without its text.
func checkExtensions(req body) *gateway.RequestError {
	raw := bytes.TrimSpace(req.Extensions)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var ext map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &ext) != nil {
		return &gateway.RequestError{Code: gateway.CodeBadRequest, Message: "extensions must be a JSON object"}
	}
	if _, ok := ext["persistedQuery"]; ok && req.Query == "" {
		return &gateway.RequestError{Code: persistedQueryNotSupported, Message: "PersistedQueryNotSupported"}
	}
	return nil
}

// jsonContentType accepts application/json (any parameters) and the older
// application/graphql+json.
func jsonContentType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, contentTypeJSON) || strings.EqualFold(mt, "application/graphql+json")
}
