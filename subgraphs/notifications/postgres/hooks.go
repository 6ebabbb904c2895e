package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/notifications/hooks"
)

// Hooks stores outgoing webhooks and their deliveries.
type Hooks struct{ pool *pgxpool.Pool }

// NewHooks returns the webhooks store on pool.
func NewHooks(pool *pgxpool.Pool) *Hooks { return &Hooks{pool: pool} }

var _ hooks.Store = (*Hooks)(nil)

const webhookColumns = `id, name, url, event_types, active, disabled_reason, secret, created_at`

func scanWebhook(row pgx.CollectableRow) (hooks.Webhook, error) {
	var w hooks.Webhook
	err := row.Scan(&w.ID, &w.Name, &w.URL, &w.EventTypes, &w.Active, &w.DisabledReason, &w.Secret, &w.CreatedAt)
	return w, err
}

// CreateWebhook stores a new webhook.
func (h *Hooks) CreateWebhook(ctx context.Context, w hooks.Webhook) error {
	_, err := h.pool.Exec(ctx, `INSERT INTO webhooks (id, name, url, event_types, secret, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		w.ID, w.Name, w.URL, w.EventTypes, w.Secret, w.Active, w.CreatedAt)
	if err != nil {
		return fmt.Errorf("create webhook: %w", err)
	}
	return nil
}

// UpdateWebhook saves a webhook's name, URL, event types and state; turned
// on, its failure streak starts over.
func (h *Hooks) UpdateWebhook(ctx context.Context, w hooks.Webhook) error {
	tag, err := h.pool.Exec(ctx, `UPDATE webhooks SET name = $2, url = $3, event_types = $4, active = $5, disabled_reason = $6,
consecutive_failures = CASE WHEN $5 AND NOT active THEN 0 ELSE consecutive_failures END,
failing_since = CASE WHEN $5 AND NOT active THEN NULL ELSE failing_since END
WHERE id = $1`, w.ID, w.Name, w.URL, w.EventTypes, w.Active, w.DisabledReason)
	if err != nil {
		return fmt.Errorf("update webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return hooks.ErrNotFound
	}
	return nil
}

// DeleteWebhook removes a webhook with its deliveries.
func (h *Hooks) DeleteWebhook(ctx context.Context, id string) error {
	tag, err := h.pool.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return hooks.ErrNotFound
	}
	return nil
}

// Webhook returns one webhook.
func (h *Hooks) Webhook(ctx context.Context, id string) (hooks.Webhook, error) {
	rows, err := h.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return hooks.Webhook{}, fmt.Errorf("webhook: %w", err)
	}
	w, err := pgx.CollectExactlyOneRow(rows, scanWebhook)
	if errors.Is(err, pgx.ErrNoRows) {
		return hooks.Webhook{}, hooks.ErrNotFound
	}
	if err != nil {
		return hooks.Webhook{}, fmt.Errorf("webhook: %w", err)
	}
	return w, nil
}

// Webhooks lists every webhook, oldest first.
func (h *Hooks) Webhooks(ctx context.Context) ([]hooks.Webhook, error) {
	return h.webhooks(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY created_at, id`)
}

// Subscribed lists the webhooks of an event type.
func (h *Hooks) Subscribed(ctx context.Context, eventType string) ([]hooks.Webhook, error) {
	return h.webhooks(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE event_types @> ARRAY[$1] ORDER BY id`, eventType)
}

func (h *Hooks) webhooks(ctx context.Context, q string, args ...any) ([]hooks.Webhook, error) {
	rows, err := h.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	ws, err := pgx.CollectRows(rows, scanWebhook)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return ws, nil
}

// AddDeliveries stores deliveries, skipping one already stored for its
// webhook and event.
func (h *Hooks) AddDeliveries(ctx context.Context, ds []hooks.Delivery) error {
	err := pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
		for _, d := range ds {
			if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, entity_key, body, status, next_attempt_at, replay_of, created_at)
VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, nullif($8, ''), $9) ON CONFLICT (webhook_id, event_id) WHERE replay_of IS NULL DO NOTHING`,
				d.ID, d.WebhookID, d.EventID, d.EventType, d.EntityKey, d.Body, d.NextAt, d.ReplayOf, d.CreatedAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add deliveries: %w", err)
	}
	return nil
}

const deliveryColumns = `d.id, d.webhook_id, d.event_id, d.event_type, d.entity_key, d.body, d.status, d.attempts, d.last_error,
d.created_at, d.next_attempt_at, d.delivered_at, coalesce(d.replay_of, '')`

func scanDelivery(row pgx.CollectableRow) (hooks.Delivery, error) {
	var d hooks.Delivery
	err := row.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.EntityKey, &d.Body, &d.Status, &d.Attempts, &d.LastError,
		&d.CreatedAt, &d.NextAt, &d.DeliveredAt, &d.ReplayOf)
	return d, err
}

// ClaimDue leases due deliveries of active webhooks: of each (webhook,
// entity) only the oldest pending one, so an order's events arrive in the
// order they happened; a lease ends with the worker that died holding it.
func (h *Hooks) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]hooks.Delivery, error) {
	rows, err := h.pool.Query(ctx, `
UPDATE webhook_deliveries d SET next_attempt_at = now() + $2::interval
WHERE d.id IN (
    SELECT c.id FROM webhook_deliveries c JOIN webhooks w ON w.id = c.webhook_id
    WHERE c.status = 'PENDING' AND c.next_attempt_at <= now() AND w.active
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                      WHERE p.webhook_id = c.webhook_id AND p.entity_key = c.entity_key AND p.status = 'PENDING' AND p.seq < c.seq)
    ORDER BY c.seq LIMIT $1 FOR UPDATE OF c SKIP LOCKED)
RETURNING `+deliveryColumns, limit, lease.String())
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return ds, nil
}

// RecordAttempt logs an attempt, moves the delivery on and keeps the
// webhook's failure streak.
func (h *Hooks) RecordAttempt(ctx context.Context, d hooks.Delivery, o hooks.Outcome) (int, time.Time, error) {
	var failures int
	var since *time.Time
	err := pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, at, status_code, duration_ms, error) VALUES ($1, $2, $3, $4, $5)`,
			d.ID, o.Attempt.At, o.Attempt.StatusCode, o.Attempt.Duration.Milliseconds(), o.Attempt.Error); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_error = $3,
next_attempt_at = CASE WHEN $2 = 'PENDING' THEN $4 ELSE next_attempt_at END,
delivered_at = CASE WHEN $2 = 'SUCCEEDED' THEN $5 ELSE delivered_at END WHERE id = $1`,
			d.ID, o.Status, o.Attempt.Error, o.NextAt, o.Attempt.At); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `UPDATE webhooks SET
consecutive_failures = CASE WHEN $2 THEN 0 ELSE consecutive_failures + 1 END,
failing_since = CASE WHEN $2 THEN NULL ELSE coalesce(failing_since, $3) END
WHERE id = $1 RETURNING consecutive_failures, failing_since`, d.WebhookID, o.Status == hooks.Succeeded, o.Attempt.At).Scan(&failures, &since)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("record webhook attempt: %w", err)
	}
	if since == nil {
		return failures, time.Time{}, nil
	}
	return failures, *since, nil
}

// Disable turns a webhook off; false when it was off already.
func (h *Hooks) Disable(ctx context.Context, id, reason string) (bool, error) {
	tag, err := h.pool.Exec(ctx, `UPDATE webhooks SET active = false, disabled_reason = $2 WHERE id = $1 AND active`, id, reason)
	if err != nil {
		return false, fmt.Errorf("disable webhook: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Deliveries lists a webhook's newest deliveries with their attempts.
func (h *Hooks) Deliveries(ctx context.Context, webhookID string, limit int) ([]hooks.Delivery, error) {
	return h.deliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.webhook_id = $1 ORDER BY d.seq DESC LIMIT $2`, webhookID, limit)
}

// Delivery returns one delivery with its attempts.
func (h *Hooks) Delivery(ctx context.Context, id string) (hooks.Delivery, error) {
	ds, err := h.deliveries(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.id = $1`, id)
	if err != nil {
		return hooks.Delivery{}, err
	}
	if len(ds) == 0 {
		return hooks.Delivery{}, hooks.ErrNotFound
	}
	return ds[0], nil
}

func (h *Hooks) deliveries(ctx context.Context, q string, args ...any) ([]hooks.Delivery, error) {
	rows, err := h.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil || len(ds) == 0 {
		if err != nil {
			err = fmt.Errorf("deliveries: %w", err)
		}
		return ds, err
	}
	ids := make([]string, len(ds))
	index := map[string]int{}
	for i, d := range ds {
		ids[i], index[d.ID] = d.ID, i
	}
	arows, err := h.pool.Query(ctx, `SELECT delivery_id, at, status_code, duration_ms, error FROM webhook_attempts WHERE delivery_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("delivery attempts: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var id string
		var a hooks.Attempt
		var ms int64
		if err := arows.Scan(&id, &a.At, &a.StatusCode, &ms, &a.Error); err != nil {
			return nil, fmt.Errorf("delivery attempts: %w", err)
		}
		a.Duration = time.Duration(ms) * time.Millisecond
		ds[index[id]].Log = append(ds[index[id]].Log, a)
	}
	return ds, arows.Err()
}
