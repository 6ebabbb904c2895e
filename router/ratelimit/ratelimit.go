// Package ratelimit limits requests with GCRA (the generic cell rate
// algorithm) in Redis, so every router replica shares one count per client.
// When Redis fails, an in-process limiter with the same rules takes over:
// limits stay enforced per replica instead of being dropped (a login limit
// that fails open is an invitation to guess passwords), and Fallback says so.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Rule allows Rate units per Period with bursts of up to Burst.
type Rule struct {
	Rate   int
	Burst  int
	Period time.Duration
}

// Take is one check: Cost units of Rule for Key.
type Take struct {
	Key  string
	Rule Rule
	Cost int
}

// Limiter checks Takes atomically: all are granted or none is charged.
type Limiter struct {
	rdb     redis.UniversalClient // nil: local only
	prefix  string
	timeout time.Duration
	local   *local
	log     *slog.Logger
	// fallback is 1 while Redis is failing and the local limiter decides.
	fallback atomic.Bool
	// OnFallback, when set, is told each time the fallback state changes.
	OnFallback func(on bool)
}

// New returns a limiter on rdb (nil for in-process only) with keys under
// prefix. timeout bounds each Redis call: a slow Redis must not slow every
// request, so past it the local limiter answers.
func New(rdb redis.UniversalClient, prefix string, timeout time.Duration, log *slog.Logger) *Limiter {
	if timeout <= 0 {
		timeout = 50 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{rdb: rdb, prefix: prefix, timeout: timeout, local: newLocal(), log: log}
}

// Fallback reports whether the last decision was made without Redis.
func (l *Limiter) Fallback() bool { return l.fallback.Load() }

// Allow charges every take, or none when one would exceed its rule; then
// it returns false and how long until the request would be allowed.
func (l *Limiter) Allow(ctx context.Context, takes []Take) (bool, time.Duration) {
	if len(takes) == 0 {
		return true, 0
	}
	if l.rdb != nil {
		ctx, cancel := context.WithTimeout(ctx, l.timeout)
		ok, wait, err := l.allowRedis(ctx, takes)
		cancel()
		if err == nil {
			l.setFallback(false)
			return ok, wait
		}
		if !l.fallback.Load() {
			l.log.Warn("rate limiting falls back to the in-process limiter", "err", err)
		}
		l.setFallback(true)
	}
	return l.local.allow(time.Now(), takes)
}

func (l *Limiter) setFallback(on bool) {
	if l.fallback.Swap(on) != on && l.OnFallback != nil {
		l.OnFallback(on)
	}
}

// script is GCRA over several keys at once on Redis' clock (replicas'
// clocks may differ): every key's new theoretical arrival time (TAT) is
// computed first and written only if all allow. Times are in microseconds.
var script = redis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local tats = {}
local wait = 0
for i = 1, n do
  local interval = tonumber(ARGV[(i-1)*3+1])
  local burst = tonumber(ARGV[(i-1)*3+2])
  local cost = tonumber(ARGV[(i-1)*3+3])
  local tat = tonumber(redis.call("GET", KEYS[i]) or now)
  if tat < now then tat = now end
  local new = tat + interval * cost
  local allow_at = new - interval * burst
  if allow_at > now then
    if allow_at - now > wait then wait = allow_at - now end
  end
  tats[i] = new
end
if wait > 0 then return {0, tostring(wait)} end
for i = 1, n do
  redis.call("SET", KEYS[i], tostring(tats[i]), "PX", math.ceil((tats[i] - now) / 1000) + 1)
end
return {1, "0"}
`)

func (l *Limiter) allowRedis(ctx context.Context, takes []Take) (bool, time.Duration, error) {
	keys := make([]string, len(takes))
	args := make([]any, 0, 3*len(takes))
	for i, t := range takes {
		keys[i] = l.prefix + t.Key
		args = append(args, interval(t.Rule), t.Rule.Burst, t.Cost)
	}
	res, err := script.Run(ctx, l.rdb, keys, args...).Slice()
	if err != nil {
		return false, 0, fmt.Errorf("rate limit script: %w", err)
	}
	if len(res) != 2 {
		return false, 0, errors.New("rate limit script: unexpected reply")
	}
	allowed, _ := res[0].(int64)
	waitStr, _ := res[1].(string)
	wait, _ := strconv.ParseFloat(waitStr, 64)
	return allowed == 1, time.Duration(wait) * time.Microsecond, nil
}

// interval is the time one unit takes to be earned back, in microseconds.
func interval(r Rule) int64 {
	if r.Rate <= 0 {
		return math.MaxInt32
	}
	return max(1, r.Period.Microseconds()/int64(r.Rate))
}

// local is the same algorithm in memory, for when Redis is unreachable.
type local struct {
	mu    sync.Mutex
	tats  map[string]int64 // microseconds since the Unix epoch
	sweep time.Time
}

func newLocal() *local { return &local{tats: map[string]int64{}} }

func (l *local) allow(now time.Time, takes []Take) (bool, time.Duration) {
	us := now.UnixMicro()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tats) > 100_000 && now.Sub(l.sweep) > time.Second {
		// Keys whose TAT passed hold no debt: forgetting them changes nothing.
		for k, tat := range l.tats {
			if tat < us {
				delete(l.tats, k)
			}
		}
		l.sweep = now
	}
	news := make([]int64, len(takes))
	var wait int64
	for i, t := range takes {
		iv := interval(t.Rule)
		tat := max(l.tats[t.Key], us)
		news[i] = tat + iv*int64(t.Cost)
		if allowAt := news[i] - iv*int64(t.Rule.Burst); allowAt > us {
			wait = max(wait, allowAt-us)
		}
	}
	if wait > 0 {
		return false, time.Duration(wait) * time.Microsecond
	}
	for i, t := range takes {
		l.tats[t.Key] = news[i]
	}
	return true, 0
}
