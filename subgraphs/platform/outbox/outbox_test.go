package outbox_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"testing/fstest"

	"github.com/myshop/supergraph/subgraphs/platform/outbox"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
)

var migrations = fstest.MapFS{"00001_outbox.sql": {Data: []byte(`-- +goose Up
CREATE TABLE outbox (
    id           bigserial PRIMARY KEY,
    event_id     text NOT NULL UNIQUE,
    type         text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
`)}}

func TestRelayPublishesEachEventOnceInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.NewPool(t, migrations)
	rdb, prefix := redistest.New(t)
	for i, typ := range []string{"a.happened", "b.happened", "c.happened"} {
		if _, err := pool.Exec(ctx, `INSERT INTO outbox (event_id, type, payload) VALUES ($1, $2, $3)`,
			[]string{"evt_1", "evt_2", "evt_3"}[i], typ, map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	r := outbox.NewRelay(pool, rdb, prefix, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	n, err := r.PublishBatch(ctx, 2)
	if err != nil || n != 2 {
		t.Fatalf("first batch: %d %v", n, err)
	}
	if n, err = r.PublishBatch(ctx, 2); err != nil || n != 1 {
		t.Fatalf("second batch: %d %v", n, err)
	}
	if n, err = r.PublishBatch(ctx, 2); err != nil || n != 0 {
		t.Fatalf("nothing left, yet: %d %v", n, err)
	}
	msgs, err := rdb.XRange(ctx, prefix+outbox.Stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 {
		t.Fatalf("stream has %d messages, want 3", len(msgs))
	}
	for i, m := range msgs {
		if m.Values["id"] != []string{"evt_1", "evt_2", "evt_3"}[i] || m.Values["source"] != "test" {
			t.Fatalf("message %d: %v", i, m.Values)
		}
	}
	if msgs[1].Values["payload"] != `{"n": 1}` {
		t.Fatalf("payload: %q", msgs[1].Values["payload"])
	}
}
