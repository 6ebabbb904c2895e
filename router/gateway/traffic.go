package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Traffic shapes requests from the router to subgraphs. Each subgraph gets,
// outermost first: its timeout, its circuit breaker, retries (queries
// only) and the load balancer over its instances.
type Traffic struct {
	// SubgraphTimeout bounds one fetch, retries included; Timeouts
	// override it per subgraph. Zero means 3s; negative, none.
	SubgraphTimeout time.Duration
	Timeouts        map[string]time.Duration
	Retry           RetryPolicy
	Breaker         BreakerPolicy
	Balance         BalancePolicy
	// Instances are each subgraph's URLs, balanced; DNS names a headless
	// service per subgraph ("host:port") whose addresses are the instances.
	Instances map[string][]string
	DNS       map[string]string
	// ExposeErrors keeps the messages of subgraph errors without a code.
	ExposeErrors bool
	// NoDeduplication turns off sharing one execution between identical
	// in-flight requests and one fetch between identical fetches.
	NoDeduplication bool
	// MaxResponseBytes caps a subgraph response body; zero for no cap.
	MaxResponseBytes int64
	// Observer hears about fetches and breaker changes (metrics); may be nil.
	Observer Observer
}

// Observer is told what happens on the way to subgraphs.
type Observer interface {
	SubgraphFetch(subgraph string, d time.Duration, outcome string)
	BreakerState(subgraph string, open bool)
	Retry(subgraph string)
	Prepared(hit bool) // prepared-operation cache lookups
	PlanningFailed()   // an operation the planner could not plan, once per operation
}

// RetryPolicy retries query fetches that failed before the subgraph could
// have done anything: connection errors and 429/502/503/504.
type RetryPolicy struct {
	MaxAttempts int           // retries after the first try; negative for none
	Backoff     time.Duration // base of the jittered exponential backoff
	// Budget caps retries at this fraction of requests (plus MinPerSec), so
	// a failing subgraph is not hit with a multiple of its normal load.
	Budget    float64
	MinPerSec int
}

// BreakerPolicy opens a subgraph's circuit when, over Window, at least
// RequestThreshold fetches were made and ErrorThreshold of them failed;
// after SleepWindow one probe decides whether it closes.
type BreakerPolicy struct {
	Disabled         bool
	ErrorThreshold   float64
	RequestThreshold int
	Window           time.Duration
	SleepWindow      time.Duration
}

// Codes of errors the router itself reports for a subgraph fetch.
const (
	CodeGatewayTimeout   = "GATEWAY_TIMEOUT"
	CodeCircuitOpen      = "SUBGRAPH_CIRCUIT_OPEN"
	CodeDownstream       = "DOWNSTREAM_SERVICE_ERROR"
	CodeResponseTooLarge = "SUBREQUEST_RESPONSE_TOO_LARGE"
)

var (
	errCircuitOpen   = errors.New("circuit open")
	errFetchTimeout  = errors.New("subgraph timeout")
	errResponseLarge = errors.New("subgraph response too large")
)

type opTypeKey struct{}

// withOperationType tells the subgraph transport whether the fetch belongs
// to a query, which alone may be retried.
func withOperationType(ctx context.Context, t OperationType) context.Context {
	return context.WithValue(ctx, opTypeKey{}, t)
}

func isQuery(ctx context.Context) bool {
	t, ok := ctx.Value(opTypeKey{}).(OperationType)
	return ok && t == Query
}

// timeoutTransport bounds a fetch; the body keeps the deadline until read.
type timeoutTransport struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t *timeoutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.timeout <= 0 {
		return t.next.RoundTrip(r)
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), t.timeout, errFetchTimeout)
	res, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		if context.Cause(ctx) == errFetchTimeout && r.Context().Err() == nil {
			return nil, errFetchTimeout
		}
		return nil, err
	}
	res.Body = &cancelBody{ReadCloser: res.Body, cancel: cancel, ctx: ctx, parent: r.Context()}
	return res, nil
}

type cancelBody struct {
	io.ReadCloser
	cancel      context.CancelFunc
	ctx, parent context.Context
}

func (b *cancelBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && context.Cause(b.ctx) == errFetchTimeout && b.parent.Err() == nil {
		return n, errFetchTimeout
	}
	return n, err
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// failed says whether an attempt counts against a subgraph: no answer, or
// a server-side status.
func failed(res *http.Response, err error) bool {
	return err != nil || res.StatusCode >= 500
}

// breaker is a circuit breaker over a rolling window of one-second-ish
// buckets.
type breaker struct {
	name    string
	policy  BreakerPolicy
	obs     Observer
	now     func() time.Time
	mu      sync.Mutex
	buckets [10]struct {
		start          time.Time
		total, failure int
	}
	open     bool
	openedAt time.Time
	probing  bool
}

func (b *breaker) RoundTripper(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		probe, ok := b.admit()
		if !ok {
			return nil, errCircuitOpen
		}
		res, err := next.RoundTrip(r)
		if errors.Is(r.Context().Err(), context.Canceled) {
			// The client left: says nothing about the subgraph.
			b.release(probe)
			return res, err
		}
		b.record(probe, failed(res, err))
		return res, err
	})
}

func (b *breaker) admit() (probe, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.open {
		return false, true
	}
	if b.probing || b.now().Sub(b.openedAt) < b.policy.SleepWindow {
		return false, false
	}
	b.probing = true
	return true, true
}

func (b *breaker) release(probe bool) {
	if probe {
		b.mu.Lock()
		b.probing = false
		b.mu.Unlock()
	}
}

func (b *breaker) record(probe, failure bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if probe {
		b.probing = false
		if failure {
			b.openedAt = now
			return
		}
		b.open = false
		b.buckets = [10]struct {
			start          time.Time
			total, failure int
		}{}
		if b.obs != nil {
			b.obs.BreakerState(b.name, false)
		}
		return
	}
	if b.open {
		return // an attempt admitted before the circuit opened
	}
	width := b.policy.Window / time.Duration(len(b.buckets))
	slot := &b.buckets[int(now.UnixNano()/int64(width))%len(b.buckets)]
	if now.Sub(slot.start) >= width {
		slot.start, slot.total, slot.failure = now.Truncate(width), 0, 0
	}
	slot.total++
	if failure {
		slot.failure++
	}
	total, failures := 0, 0
	for _, bk := range b.buckets {
		if now.Sub(bk.start) < b.policy.Window {
			total += bk.total
			failures += bk.failure
		}
	}
	if failure && total >= b.policy.RequestThreshold && float64(failures) >= b.policy.ErrorThreshold*float64(total) {
		b.open, b.openedAt = true, now
		if b.obs != nil {
			b.obs.BreakerState(b.name, true)
		}
	}
}

// retrier retries query fetches within the fetch deadline and a budget.
type retrier struct {
	name   string
	policy RetryPolicy
	obs    Observer
	next   http.RoundTripper
	// budget: tokens earned per request (policy.Budget) and per second
	// (MinPerSec), spent one per retry, capped so an idle subgraph cannot
	// bank a storm.
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func (rt *retrier) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.earn()
	if rt.policy.MaxAttempts < 0 || !isQuery(r.Context()) || (r.Body != nil && r.GetBody == nil) {
		return rt.next.RoundTrip(r)
	}
	for attempt := 0; ; attempt++ {
		req := r
		if attempt > 0 && r.GetBody != nil {
			body, err := r.GetBody()
			if err != nil {
				return nil, err
			}
			req = r.Clone(r.Context())
			req.Body = body
		}
		res, err := rt.next.RoundTrip(req)
		if attempt >= rt.policy.MaxAttempts || !retryable(res, err) || !rt.spend() {
			return res, err
		}
		wait := rt.backoff(attempt, res)
		if dl, ok := r.Context().Deadline(); ok && time.Until(dl) < wait {
			return res, err // no time left for another try
		}
		if res != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			_ = res.Body.Close()
		}
		if rt.obs != nil {
			rt.obs.Retry(rt.name)
		}
		t := time.NewTimer(wait)
		select {
		case <-r.Context().Done():
			t.Stop()
			return nil, r.Context().Err()
		case <-t.C:
		}
	}
}

func retryable(res *http.Response, err error) bool {
	if err != nil {
		// errCircuitOpen and timeouts are final; a refused or reset
		// connection is worth another instance.
		return !errors.Is(err, errCircuitOpen) && !errors.Is(err, errFetchTimeout) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch res.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (rt *retrier) backoff(attempt int, res *http.Response) time.Duration {
	if res != nil {
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
	}
	d := rt.policy.Backoff << attempt
	return d/2 + rand.N(d/2+1) // full jitter over the upper half
}

func (rt *retrier) earn() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	now := time.Now()
	if rt.last.IsZero() {
		rt.tokens = float64(rt.policy.MinPerSec) // start with a second's worth
	} else {
		rt.tokens += now.Sub(rt.last).Seconds() * float64(rt.policy.MinPerSec)
	}
	rt.last = now
	rt.tokens = min(rt.tokens+rt.policy.Budget, float64(rt.policy.MinPerSec)+10)
}

func (rt *retrier) spend() bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.tokens < 1 {
		return false
	}
	rt.tokens--
	return true
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// limitBody caps what a subgraph may send back.
type limitBody struct {
	io.ReadCloser
	left int64
}

func (b *limitBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errResponseLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// drain reads a response fully (bounded), for rewriting.
func drain(res *http.Response, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(&limitBody{ReadCloser: res.Body, left: limit + 1})
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, errResponseLarge
	}
	return buf.Bytes(), nil
}
