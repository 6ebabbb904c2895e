package gateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// BalancePolicy spreads a subgraph's fetches over its instances.
type BalancePolicy struct {
	// LeastInFlight picks the instance with the fewest fetches in flight;
	// otherwise round robin.
	LeastInFlight bool
	// DNSRefresh is how often DNS-discovered instances are re-resolved.
	DNSRefresh time.Duration
	// HealthInterval is how often each instance's HealthPath is checked
	// (active health checks); zero turns them off.
	HealthInterval time.Duration
	HealthPath     string
	// EjectAfter consecutive failures take an instance out of rotation for
	// EjectFor (passive outlier ejection).
	EjectAfter int
	EjectFor   time.Duration
}

type instance struct {
	url          *url.URL
	inFlight     atomic.Int64
	failures     atomic.Int32
	ejectedUntil atomic.Int64 // unix nanoseconds
	unhealthy    atomic.Bool  // last active check failed
}

func (in *instance) available(now int64) bool {
	return !in.unhealthy.Load() && in.ejectedUntil.Load() <= now
}

// balancer is one subgraph's instances. With one instance and no DNS it
// only forwards.
type balancer struct {
	name   string
	policy BalancePolicy
	next   http.RoundTripper
	log    *slog.Logger
	mu     sync.RWMutex
	list   []*instance
	rr     atomic.Uint64
}

func newBalancer(name string, urls []string, policy BalancePolicy, next http.RoundTripper, log *slog.Logger) (*balancer, error) {
	b := &balancer{name: name, policy: policy, next: next, log: log}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		b.list = append(b.list, &instance{url: u})
	}
	return b, nil
}

func (b *balancer) instances() []*instance {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.list
}

// pick chooses an available instance; if none is, any (an ejected
// instance is better than certain failure).
func (b *balancer) pick() *instance {
	list := b.instances()
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	now := time.Now().UnixNano()
	if b.policy.LeastInFlight {
		var best *instance
		for _, in := range list {
			if in.available(now) && (best == nil || in.inFlight.Load() < best.inFlight.Load()) {
				best = in
			}
		}
		if best != nil {
			return best
		}
	} else {
		start := b.rr.Add(1)
		for i := range list {
			if in := list[(start+uint64(i))%uint64(len(list))]; in.available(now) {
				return in
			}
		}
	}
	return list[b.rr.Add(1)%uint64(len(list))]
}

func (b *balancer) RoundTrip(r *http.Request) (*http.Response, error) {
	in := b.pick()
	if in == nil {
		return b.next.RoundTrip(r)
	}
	req := r
	if r.URL.Host != in.url.Host || r.URL.Scheme != in.url.Scheme || r.URL.Path != in.url.Path {
		req = r.Clone(r.Context())
		req.URL.Scheme, req.URL.Host, req.URL.Path, req.Host = in.url.Scheme, in.url.Host, in.url.Path, ""
	}
	in.inFlight.Add(1)
	res, err := b.next.RoundTrip(req)
	in.inFlight.Add(-1)
	if r.Context().Err() != nil {
		return res, err
	}
	if failed(res, err) {
		if n := in.failures.Add(1); b.policy.EjectAfter > 0 && int(n) >= b.policy.EjectAfter && len(b.instances()) > 1 {
			in.ejectedUntil.Store(time.Now().Add(b.policy.EjectFor).UnixNano())
			in.failures.Store(0)
			b.log.Warn("subgraph instance ejected", "subgraph", b.name, "instance", in.url.Host, "for", b.policy.EjectFor.String())
		}
	} else {
		in.failures.Store(0)
	}
	return res, err
}

// resolveLoop keeps the instances equal to hostPort's DNS records, with
// the scheme and path of template.
func (b *balancer) resolveLoop(ctx context.Context, host string, port int, template *url.URL) {
	resolve := func() {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		addrs, err := net.DefaultResolver.LookupIPAddr(rctx, host)
		cancel()
		if err != nil {
			b.log.Warn("subgraph discovery failed; keeping the instances known", "subgraph", b.name, "host", host, "err", err)
			return
		}
		var hosts []string
		for _, a := range addrs {
			hosts = append(hosts, net.JoinHostPort(a.IP.String(), strconv.Itoa(port)))
		}
		slices.Sort(hosts)
		b.setHosts(hosts, template)
	}
	resolve()
	t := time.NewTicker(b.policy.DNSRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			resolve()
		}
	}
}

// setHosts replaces the instance list, keeping the state of instances that stay.
func (b *balancer) setHosts(hosts []string, template *url.URL) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := map[string]*instance{}
	for _, in := range b.list {
		old[in.url.Host] = in
	}
	next := make([]*instance, 0, len(hosts))
	for _, h := range hosts {
		if in, ok := old[h]; ok {
			next = append(next, in)
			continue
		}
		u := *template
		u.Host = h
		next = append(next, &instance{url: &u})
	}
	if len(next) == 0 {
		return // an empty answer is more likely a DNS hiccup than no instances
	}
	b.list = next
}

// healthLoop checks every instance's health path.
func (b *balancer) healthLoop(ctx context.Context, client *http.Client) {
	t := time.NewTicker(b.policy.HealthInterval)
	defer t.Stop()
	for {
		for _, in := range b.instances() {
			u := *in.url
			u.Path, u.RawQuery = b.policy.HealthPath, ""
			cctx, cancel := context.WithTimeout(ctx, min(b.policy.HealthInterval, 2*time.Second))
			req, _ := http.NewRequestWithContext(cctx, http.MethodGet, u.String(), nil)
			res, err := client.Do(req)
			healthy := err == nil && res.StatusCode < 300
			if res != nil {
				_ = res.Body.Close()
			}
			cancel()
			if ctx.Err() != nil {
				return
			}
			if in.unhealthy.Swap(!healthy) == healthy {
				b.log.Info("subgraph instance health changed", "subgraph", b.name, "instance", in.url.Host, "healthy", healthy)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
