package server

import (
	"compress/flate"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/gateway"
	"github.com/myshop/supergraph/router/ratelimit"
)

// Codes of the router's HTTP-level rejections.
const (
	CodeCSRF             = "CSRF_ERROR"
	CodeBodyTooLarge     = "REQUEST_TOO_LARGE"
	CodeHeadersTooLarge  = "REQUEST_HEADERS_TOO_LARGE"
	CodeBatchingDisabled = "BATCHING_NOT_ENABLED"
	CodeBatchTooLarge    = "BATCH_LIMIT_EXCEEDED"
	CodeRateLimited      = "RATE_LIMIT_EXCEEDED"
	CodeOverloaded       = "SERVICE_UNAVAILABLE"
	CodeGatewayTimeout   = "GATEWAY_TIMEOUT"
)

// requestIDHeader is read from clients (a proxy may have set it), sent to
// subgraphs and returned, so one id ties the logs of one request together.
const requestIDHeader = "X-Request-Id"

// requestID returns the request's id, making one when the client sent
// none or an unusable one.
func requestID(r *http.Request) string {
	id := r.Header.Get(requestIDHeader)
	if id != "" && len(id) <= 128 && !strings.ContainsFunc(id, func(c rune) bool { return c < 0x21 || c > 0x7e }) {
		return id
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// headersTooLarge reports whether the request has more headers, or more
// header bytes, than allowed. (http.Server's MaxHeaderBytes also caps the
// bytes at read time; this counts what reaches the handler.)
func (s *Server) headersTooLarge(r *http.Request) bool {
	l := s.set.Limits
	n, size := 0, 0
	for k, vs := range r.Header {
		n += len(vs)
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
	}
	return (l.MaxHeaders > 0 && n > l.MaxHeaders) || (l.MaxHeaderBytes > 0 && size > l.MaxHeaderBytes)
}

// csrfSafe follows Apollo Router: a request is safe when a browser would
// have sent a CORS preflight for it: its Content-Type is not one a plain
// HTML form or <img> can send, or it carries one of the required headers.
//
// Only POST is checked; GET is exempt, unlike in Apollo: it runs queries only (a mutation gets
// 405) and queries change nothing here, so a forged GET gains nothing, and
// links and CDN-cached GETs keep working. A GET with a form-ish
// Content-Type is refused with 415 before this.
func (s *Server) csrfSafe(r *http.Request) bool {
	if s.set.CSRF.Disabled || r.Method != http.MethodPost {
		return true
	}
	for _, h := range s.set.CSRF.RequiredHeaders {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	ct := r.Header.Values("Content-Type")
	if len(ct) == 0 {
		return false
	}
	for _, v := range ct {
		mt, _, _ := strings.Cut(v, ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
			return false
		}
	}
	return true
}

// cors answers preflights and marks responses for allowed origins; an
// origin not on the list gets no Access-Control-Allow-Origin, so the
// browser keeps the response from the page. It reports whether the
// request was a preflight (answered).
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	c := s.set.CORS
	if origin == "" || len(c.AllowOrigins) == 0 {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	allowed := slices.Contains(c.AllowOrigins, origin)
	if !allowed && !slices.Contains(c.AllowOrigins, "*") {
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			w.WriteHeader(http.StatusForbidden) // a preflight from an unlisted origin
			return true
		}
		return false
	}
	if allowed {
		h.Set("Access-Control-Allow-Origin", origin)
		if c.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", strings.Join(c.AllowHeaders, ", "))
	h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge.D().Seconds())))
	w.WriteHeader(http.StatusNoContent)
	return true
}

// errBodyTooLarge is the body limit, checked on the decompressed stream.
var errBodyTooLarge = errors.New("body too large")

// readBody reads a request body of at most limit bytes after
// decompression: a 20 KB gzip bomb inflating to gigabytes stops at limit.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	var src io.Reader = io.LimitReader(r.Body, limit+1)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		src = zr
	case "deflate":
		zr := flate.NewReader(src)
		defer zr.Close()
		src = zr
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
	raw, err := io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, errBodyTooLarge
	}
	return raw, nil
}

// clientIP is the address rate limits key anonymous clients by.
func (s *Server) clientIP(r *http.Request) string {
	if s.set.RateLimit.TrustForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// overloaded answers 503 with Retry-After: shedding load beats queueing
// it without bound.
func overloaded(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeStatus(w, http.StatusServiceUnavailable, &gateway.RequestError{Code: CodeOverloaded, Message: "the router is at capacity; retry shortly"})
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// protections builds what Settings ask for: rate limiter, persisted
// operations, the in-flight cap.
func (s *Server) protections() error {
	if s.cfg.Settings != nil {
		s.set = *s.cfg.Settings
	} else {
		s.set = config.Defaults()
	}
	prefix := s.set.RedisPrefix
	s.quota = &quota{perUser: s.set.Subscriptions.MaxPerUser, total: s.set.Subscriptions.MaxTotal, byUser: map[string]int{}}
	if n := s.set.Traffic.MaxInFlight; n > 0 {
		s.inFlight = make(chan struct{}, n)
	}
	if s.set.RateLimit.Enabled {
		s.limiter = ratelimit.New(s.cfg.Redis, prefix+"ratelimit:", 50*time.Millisecond, s.log)
		s.limiter.OnFallback = s.cfg.Metrics.RateLimitFallback
	}
	p := s.set.Persisted
	s.persisted = &persisted{mode: p.Mode, apq: p.APQ, rdb: s.cfg.Redis, prefix: prefix + "apq:", log: s.log,
		mem: map[string]string{}, max: max(p.APQCacheSize, 1), onLog: func() { s.cfg.Metrics.Rejected("persisted_query_not_in_list_logged") }}
	if p.Manifest != "" {
		m, err := loadManifest(p.Manifest)
		if err != nil {
			return err
		}
		s.persisted.manifest = m
	}
	return nil
}

// engineOptions are the settings' engine options with what only the
// server holds: its HTTP client, metrics, log and Redis.
func (s *Server) engineOptions() gateway.Options {
	opts := gateway.OptionsFrom(s.set)
	opts.HTTPClient = s.cfg.HTTPClient
	opts.Limits.Measured = func(code string) {
		s.log.Warn("operation over a limit (measure mode)", "code", code)
		s.cfg.Metrics.Rejected("measured_" + code)
	}
	if s.cfg.Metrics != nil {
		opts.Traffic.Observer = s.cfg.Metrics
	}
	if s.cfg.Redis != nil {
		opts.Live = gateway.LiveOptions{Redis: s.cfg.Redis, Prefix: s.set.Subscriptions.ChannelPrefix}
	}
	return opts
}

// quota caps running subscriptions per user (or client IP) and in total,
// so one client cannot take the capacity meant for everyone.
type quota struct {
	mu             sync.Mutex
	perUser, total int
	byUser         map[string]int
	running        int
}

// take reserves a subscription for key; release gives it back (once).
func (q *quota) take(key string) (release func(), err *gateway.RequestError) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.total > 0 && q.running >= q.total:
		return nil, &gateway.RequestError{Code: codeSubscriptionLimit, Message: "the router holds as many subscriptions as it may; retry later"}
	case q.perUser > 0 && q.byUser[key] >= q.perUser:
		return nil, &gateway.RequestError{Code: codeSubscriptionLimit, Message: fmt.Sprintf("at most %d subscriptions per user; complete some first", q.perUser)}
	}
	q.running++
	q.byUser[key]++
	return sync.OnceFunc(func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		q.running--
		if q.byUser[key]--; q.byUser[key] <= 0 {
			delete(q.byUser, key)
		}
	}), nil
}

// subscriptionKey is whom a subscription counts against.
func subscriptionKey(claims *auth.Claims, ip string) string {
	if claims != nil && claims.Subject != "" {
		return "user:" + claims.Subject
	}
	return "ip:" + ip
}
