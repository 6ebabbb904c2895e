// Package redistest gives each test its own namespace in a real Redis.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// New returns a client on TEST_REDIS_URL, else REDIS_URL, else the local
// default, and a key prefix no other test uses; the test's keys are
// deleted when it ends.
func New(t testing.TB) (*redis.Client, string) {
	t.Helper()
	rdb, err := subgraph.OpenRedis(context.Background(), URL())
	if err != nil {
		t.Fatalf("redistest: is Redis running? see README: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	prefix := "test:" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		rdb.Close()
	})
	return rdb, prefix
}

// URL is the Redis tests use: TEST_REDIS_URL, else REDIS_URL, else the
// default.
func URL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return subgraph.DefaultRedisURL
}
