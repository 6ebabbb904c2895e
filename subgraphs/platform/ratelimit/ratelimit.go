// Package ratelimit keeps counters in Redis, so every replica of a service
// shares them.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// FailureWindow blocks a key after Max failures within Period of the first
// one, until that period ends; a success resets it. It suits "ten failed
// logins a minute per email".
type FailureWindow struct {
	rdb    *redis.Client
	prefix string
	max    int
	period time.Duration
}

// NewFailureWindow returns a window keeping its counters under prefix.
func NewFailureWindow(rdb *redis.Client, prefix string, max int, period time.Duration) *FailureWindow {
	return &FailureWindow{rdb: rdb, prefix: prefix, max: max, period: period}
}

// Blocked returns how long key stays blocked, 0 if it is not.
func (w *FailureWindow) Blocked(ctx context.Context, key string) (time.Duration, error) {
	n, err := w.rdb.Get(ctx, w.prefix+key).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("rate limit: %w", err)
	}
	if n < w.max {
		return 0, nil
	}
	ttl, err := w.rdb.PTTL(ctx, w.prefix+key).Result()
	if err != nil {
		return 0, fmt.Errorf("rate limit: %w", err)
	}
	return max(ttl, time.Millisecond), nil
}

// Fail counts one failure for key.
func (w *FailureWindow) Fail(ctx context.Context, key string) error {
	_, err := w.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, w.prefix+key)
		p.ExpireNX(ctx, w.prefix+key, w.period) // seconds resolution is plenty for a login window
		return nil
	})
	if err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	return nil
}

// Reset forgets key's failures.
func (w *FailureWindow) Reset(ctx context.Context, key string) error {
	if err := w.rdb.Del(ctx, w.prefix+key).Err(); err != nil {
		return fmt.Errorf("rate limit: %w", err)
	}
	return nil
}

// Take counts n uses of key in the window and returns how long key is
// blocked when that goes over the limit (0 while within it). The uses are
// counted even when refused, so a client that keeps pushing stays out.
func (w *FailureWindow) Take(ctx context.Context, key string, n int) (time.Duration, error) {
	var incr *redis.IntCmd
	_, err := w.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.IncrBy(ctx, w.prefix+key, int64(n))
		p.ExpireNX(ctx, w.prefix+key, w.period)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("rate limit: %w", err)
	}
	if incr.Val() <= int64(w.max) {
		return 0, nil
	}
	ttl, err := w.rdb.PTTL(ctx, w.prefix+key).Result()
	if err != nil {
		return 0, fmt.Errorf("rate limit: %w", err)
	}
	return max(ttl, time.Millisecond), nil
}
