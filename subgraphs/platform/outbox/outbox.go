// Package outbox publishes the facts a subgraph recorded in its outbox
// table to a Redis stream. A fact is written in the same transaction as the
// change it describes, so no change goes unannounced and no announcement
// describes a change that rolled back; the relay then delivers each at
// least once, and consumers dedupe on the event id.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// Stream is the Redis stream every subgraph's events go to; consumers
// filter on the type field.
const Stream = "events"

// Record writes an event to the outbox in the caller's transaction, so the
// event exists exactly when the change it describes commits. It gets a
// random id; RecordAs takes one, for events that must not be announced
// twice under two ids.
func Record(ctx context.Context, tx pgx.Tx, eventType string, payload any) error {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return RecordAs(ctx, tx, "evt_"+hex.EncodeToString(b), eventType, payload)
}

// RecordAs is Record with the event id given; a second record of the same
// id is ignored.
func RecordAs(ctx context.Context, tx pgx.Tx, eventID, eventType string, payload any) error {
	_, err := tx.Exec(ctx, `INSERT INTO outbox (event_id, type, payload) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`,
		eventID, eventType, payload)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Relay moves outbox rows to the stream.
type Relay struct {
	pool   *pgxpool.Pool
	rdb    *redis.Client
	stream string
	source string
	log    *slog.Logger
}

// NewRelay returns a relay for the outbox in pool, publishing to
// prefix+Stream with source naming the subgraph.
func NewRelay(pool *pgxpool.Pool, rdb *redis.Client, prefix, source string, log *slog.Logger) *Relay {
	return &Relay{pool: pool, rdb: rdb, stream: prefix + Stream, source: source, log: log}
}

// Run publishes until ctx ends, polling every interval. Several replicas
// may run it: rows are claimed with SKIP LOCKED, so each row goes out once
// per successful commit.
func (r *Relay) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := r.PublishBatch(ctx, 100)
			if err != nil && ctx.Err() == nil {
				r.log.Warn("outbox relay", "source", r.source, "err", err)
			}
			if n < 100 || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PublishBatch publishes up to limit unpublished events in id order and
// returns how many it published.
func (r *Relay) PublishBatch(ctx context.Context, limit int) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
SELECT id, event_id, type, payload, created_at FROM outbox
WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
		if err != nil {
			return err
		}
		type row struct {
			id           int64
			eventID, typ string
			payload      json.RawMessage
			createdAt    time.Time
		}
		events, err := pgx.CollectRows(rows, func(cr pgx.CollectableRow) (row, error) {
			var e row
			err := cr.Scan(&e.id, &e.eventID, &e.typ, &e.payload, &e.createdAt)
			return e, err
		})
		if err != nil || len(events) == 0 {
			return err
		}
		// One round trip for the batch. If the commit below fails after
		// this, the events go out again: at least once, by design.
		_, err = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, e := range events {
				p.XAdd(ctx, &redis.XAddArgs{Stream: r.stream, Values: map[string]any{
					"id": e.eventID, "type": e.typ, "source": r.source,
					"occurred_at": e.createdAt.UTC().Format(time.RFC3339Nano), "payload": string(e.payload),
				}})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		ids := make([]int64, len(events))
		for i, e := range events {
			ids[i] = e.id
		}
		if _, err := tx.Exec(ctx, `UPDATE outbox SET published_at = now() WHERE id = ANY($1)`, ids); err != nil {
			return err
		}
		n = len(events)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	return n, nil
}
