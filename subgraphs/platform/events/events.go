// Package events reads the domain events the outbox relays publish to the
// Redis stream, as a consumer group: each group (notifications, analytics)
// sees every event, at least once; a handler that fails leaves the event
// pending, and it is read again.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/subgraphs/platform/outbox"
)

// Event is one domain event.
type Event struct {
	ID         string
	Type       string
	Source     string
	OccurredAt time.Time
	Payload    map[string]any
}

// Consumer reads the stream for one group.
type Consumer struct {
	rdb    *redis.Client
	stream string
	group  string
	name   string
	log    *slog.Logger
}

// NewConsumer reads prefix+outbox.Stream as member name of group.
func NewConsumer(rdb *redis.Client, prefix, group, name string, log *slog.Logger) *Consumer {
	return &Consumer{rdb: rdb, stream: prefix + outbox.Stream, group: group, name: name, log: log}
}

// RunBatch is Run for a handler that takes each read batch (up to 100
// events) at once, e.g. to write it in one transaction; the batch is
// acknowledged only when the handler succeeds.
func (c *Consumer) RunBatch(ctx context.Context, handle func(context.Context, []Event) error) error {
	return c.run(ctx, true, handle)
}

// Run hands every event to handle until ctx ends. It first re-reads what
// this member read before and never acknowledged (a crash, a failed
// handler), then new events. Handlers must be idempotent: delivery is at
// least once.
func (c *Consumer) Run(ctx context.Context, handle func(context.Context, Event) error) error {
	return c.run(ctx, false, one(handle))
}

func one(handle func(context.Context, Event) error) func(context.Context, []Event) error {
	return func(ctx context.Context, batch []Event) error { return handle(ctx, batch[0]) }
}

func (c *Consumer) run(ctx context.Context, batch bool, handle func(context.Context, []Event) error) error {
	err := c.rdb.XGroupCreateMkStream(ctx, c.stream, c.group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("events: create group: %w", err)
	}
	for ctx.Err() == nil {
		// Take over what a member that died left unacknowledged for a minute.
		if err := c.rdb.XAutoClaimJustID(ctx, &redis.XAutoClaimArgs{Stream: c.stream, Group: c.group, Consumer: c.name,
			MinIdle: time.Minute, Start: "0-0", Count: 100}).Err(); err != nil && ctx.Err() == nil {
			c.log.Warn("events: autoclaim", "group", c.group, "err", err)
		}
		if _, err := c.poll(ctx, "0", 0, batch, handle); err != nil && ctx.Err() == nil {
			c.log.Warn("events: pending", "group", c.group, "err", err)
		}
		if _, err := c.poll(ctx, ">", 2*time.Second, batch, handle); err != nil && ctx.Err() == nil {
			c.log.Warn("events: read", "group", c.group, "err", err)
			time.Sleep(time.Second)
		}
	}
	return nil
}

// Poll reads one batch from start ("0": this member's unacknowledged
// events; ">": new ones, waiting up to block) and returns how many events
// its handler took. An event whose handler fails stays pending.
func (c *Consumer) Poll(ctx context.Context, start string, block time.Duration, handle func(context.Context, Event) error) (int, error) {
	return c.poll(ctx, start, block, false, one(handle))
}

// poll reads up to 100 events and hands them to handle one at a time, or
// all together when batch is set; what the handler took is acknowledged.
func (c *Consumer) poll(ctx context.Context, start string, block time.Duration, batch bool, handle func(context.Context, []Event) error) (int, error) {
	if err := c.rdb.XGroupCreateMkStream(ctx, c.stream, c.group, "0").Err(); err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return 0, fmt.Errorf("events: create group: %w", err)
	}
	args := &redis.XReadGroupArgs{Group: c.group, Consumer: c.name, Streams: []string{c.stream, start}, Count: 100, Block: block}
	if block == 0 {
		args.Block = -1 // no BLOCK argument: return at once
	}
	res, err := c.rdb.XReadGroup(ctx, args).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("events: %w", err)
	}
	var done []string // entry ids to acknowledge
	var evs []Event
	var evIDs []string
	for _, s := range res {
		for _, m := range s.Messages {
			e, err := parse(m)
			if err != nil {
				// A malformed entry can never succeed: log it and move on.
				c.log.Error("events: malformed entry dropped", "id", m.ID, "err", err)
				done = append(done, m.ID)
				continue
			}
			if batch {
				evs, evIDs = append(evs, e), append(evIDs, m.ID)
				continue
			}
			if err := handle(ctx, []Event{e}); err != nil {
				c.log.Warn("events: handler failed; will retry", "event", e.ID, "type", e.Type, "err", err)
				continue
			}
			done = append(done, m.ID)
		}
	}
	if len(evs) > 0 {
		if err := handle(ctx, evs); err != nil {
			c.log.Warn("events: batch handler failed; will retry", "events", len(evs), "err", err)
		} else {
			done = append(done, evIDs...)
		}
	}
	if len(done) == 0 {
		return 0, nil
	}
	if err := c.rdb.XAck(ctx, c.stream, c.group, done...).Err(); err != nil {
		return 0, fmt.Errorf("events: ack: %w", err)
	}
	return len(done), nil
}

func parse(m redis.XMessage) (Event, error) {
	get := func(k string) string { s, _ := m.Values[k].(string); return s }
	e := Event{ID: get("id"), Type: get("type"), Source: get("source")}
	if e.ID == "" || e.Type == "" {
		return Event{}, errors.New("no id or type")
	}
	if err := json.Unmarshal([]byte(get("payload")), &e.Payload); err != nil {
		return Event{}, fmt.Errorf("payload: %w", err)
	}
	e.OccurredAt, _ = time.Parse(time.RFC3339Nano, get("occurred_at"))
	return e, nil
}
