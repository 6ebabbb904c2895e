// Package postgres is the notifications store: the only package that knows
// its SQL.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	"github.com/myshop/supergraph/subgraphs/platform/outbox"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the notifications database's goose migrations.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store reads and writes notifications.
type Store struct{ pool *pgxpool.Pool }

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

var _ notify.Store = (*Store)(nil)

// SaveContact records where a user can be reached, keeping the fields c
// leaves empty.
func (s *Store) SaveContact(ctx context.Context, c notify.Contact) error {
	// An empty field is one the event did not carry: what is known stays.
	_, err := s.pool.Exec(ctx, `INSERT INTO contacts (user_id, email, name, locale) VALUES ($1, $2, $3, coalesce(nullif($4, ''), 'en'))
ON CONFLICT (user_id) DO UPDATE SET email = coalesce(nullif($2, ''), contacts.email), name = coalesce(nullif($3, ''), contacts.name),
  locale = coalesce(nullif($4, ''), contacts.locale), updated_at = now()`, c.UserID, c.Email, c.Name, c.Locale)
	if err != nil {
		return fmt.Errorf("save contact: %w", err)
	}
	return nil
}

// Contact returns a user's addresses, with how many devices they
// subscribed to push (ErrNotFound still counts those).
func (s *Store) Contact(ctx context.Context, userID string) (notify.Contact, error) {
	c := notify.Contact{UserID: userID, Locale: "en"}
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT c.user_id IS NOT NULL, coalesce(c.email, ''), coalesce(c.phone, ''), coalesce(c.name, ''), coalesce(c.locale, 'en'),
       (SELECT count(*) FROM push_subscriptions p WHERE p.user_id = $1)
FROM (SELECT 1) one LEFT JOIN contacts c ON c.user_id = $1`, userID).
		Scan(&found, &c.Email, &c.Phone, &c.Name, &c.Locale, &c.PushDevices)
	if err != nil {
		return notify.Contact{}, fmt.Errorf("contact: %w", err)
	}
	if !found {
		return c, notify.ErrNotFound
	}
	return c, nil
}

const templateColumns = `id, event_type, channel, locale, version, subject, body_text, body_html`

func scanTemplate(row pgx.CollectableRow) (notify.Template, error) {
	var t notify.Template
	err := row.Scan(&t.ID, &t.EventType, &t.Channel, &t.Locale, &t.Version, &t.Subject, &t.BodyText, &t.BodyHTML)
	return t, err
}

// Template returns the newest template for the locale, else for "en".
func (s *Store) Template(ctx context.Context, eventType string, ch notify.Channel, locale string) (notify.Template, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+templateColumns+` FROM templates
WHERE event_type = $1 AND channel = $2 AND locale IN ($3, 'en')
ORDER BY locale = $3 DESC, version DESC LIMIT 1`, eventType, string(ch), locale)
	if err != nil {
		return notify.Template{}, fmt.Errorf("template: %w", err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTemplate)
	if errors.Is(err, pgx.ErrNoRows) {
		return notify.Template{}, notify.ErrNotFound
	}
	if err != nil {
		return notify.Template{}, fmt.Errorf("template: %w", err)
	}
	return t, nil
}

// SaveTemplate stores t as the next version of its key.
func (s *Store) SaveTemplate(ctx context.Context, t notify.Template, by string) (notify.Template, error) {
	rows, err := s.pool.Query(ctx, `
INSERT INTO templates (event_type, channel, locale, version, subject, body_text, body_html, created_by)
SELECT $1, $2, $3, coalesce(max(version), 0) + 1, $4, $5, $6, $7
FROM templates WHERE event_type = $1 AND channel = $2 AND locale = $3
RETURNING `+templateColumns, t.EventType, string(t.Channel), t.Locale, t.Subject, t.BodyText, t.BodyHTML, by)
	if err != nil {
		return notify.Template{}, fmt.Errorf("save template: %w", err)
	}
	saved, err := pgx.CollectExactlyOneRow(rows, scanTemplate)
	if err != nil {
		return notify.Template{}, fmt.Errorf("save template: %w", err)
	}
	return saved, nil
}

// Templates lists the newest version of every saved template.
func (s *Store) Templates(ctx context.Context) ([]notify.Template, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (event_type, channel, locale) `+templateColumns+`
FROM templates ORDER BY event_type, channel, locale, version DESC`)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	ts, err := pgx.CollectRows(rows, scanTemplate)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return ts, nil
}

// Preference is the user's recorded choice for cat on ch, if any.
func (s *Store) Preference(ctx context.Context, userID string, cat notify.Category, ch notify.Channel) (enabled, set bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT enabled FROM preferences WHERE user_id = $1 AND category = $2 AND channel = $3`,
		userID, string(cat), string(ch)).Scan(&enabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("preferences: %w", err)
	}
	return enabled, true, nil
}

// SetPreference records the user's own opt-in or opt-out. A change of
// marketing consent by email or SMS is announced in the same transaction
// (notify.EventMarketingConsentChanged), for the users subgraph's profile.
func (s *Store) SetPreference(ctx context.Context, userID string, cat notify.Category, ch notify.Channel, enabled bool) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var was *bool
		err := tx.QueryRow(ctx, `SELECT enabled FROM preferences WHERE user_id = $1 AND category = $2 AND channel = $3 FOR UPDATE`,
			userID, string(cat), string(ch)).Scan(&was)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO preferences (user_id, category, channel, enabled) VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id, category, channel) DO UPDATE SET enabled = $4, changed_at = now()`, userID, string(cat), string(ch), enabled); err != nil {
			return err
		}
		if cat != notify.Marketing || ch == notify.Push || (was != nil && *was == enabled) {
			return nil
		}
		return outbox.Record(ctx, tx, notify.EventMarketingConsentChanged,
			map[string]any{"userId": userID, "channel": string(ch), "enabled": enabled})
	})
	if err != nil {
		return fmt.Errorf("set preference: %w", err)
	}
	return nil
}

// LearnPreference records a choice made elsewhere at time at (the
// profile's marketing consent), unless the user chose here since: of two
// changes the later wins, whichever subgraph took it. It announces nothing.
func (s *Store) LearnPreference(ctx context.Context, userID string, cat notify.Category, ch notify.Channel, enabled bool, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO preferences (user_id, category, channel, enabled, changed_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (user_id, category, channel) DO UPDATE SET enabled = $4, changed_at = $5 WHERE preferences.changed_at < $5`,
		userID, string(cat), string(ch), enabled, at)
	if err != nil {
		return fmt.Errorf("learn preference: %w", err)
	}
	return nil
}

// Preferences returns the user's recorded choices.
func (s *Store) Preferences(ctx context.Context, userID string) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT category || '/' || channel, enabled FROM preferences WHERE user_id = $1`, userID)
	if err != nil {
		return nil, fmt.Errorf("preferences: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		var v bool
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("preferences: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}

// Enqueue stores a message once per (event, recipient, channel).
func (s *Store) Enqueue(ctx context.Context, m notify.Message) (bool, error) {
	inserted := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := enqueue(ctx, tx, m)
		if errors.Is(err, errDuplicate) {
			return nil
		}
		inserted = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("enqueue: %w", err)
	}
	return inserted, nil
}

var errDuplicate = errors.New("message exists")

// enqueue inserts m and its first history entry in tx; errDuplicate when
// its (event, recipient, channel) is there already.
func enqueue(ctx context.Context, tx pgx.Tx, m notify.Message) error {
	tag, err := tx.Exec(ctx, `
INSERT INTO messages (id, event_id, event_type, recipient, channel, category, to_address, subject, body_text, body_html, status, last_error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (event_id, recipient, channel) DO NOTHING`,
		m.ID, m.EventID, m.EventType, m.Recipient, string(m.Channel), string(m.Category), m.To, m.Subject, m.BodyText, m.BodyHTML,
		string(m.Status), m.LastError)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errDuplicate
	}
	_, err = tx.Exec(ctx, `INSERT INTO message_events (message_id, status, detail) VALUES ($1, $2, $3)`, m.ID, string(m.Status), m.LastError)
	return err
}

const messageColumns = `id, event_id, event_type, recipient, channel, category, to_address, subject, body_text, body_html, status, attempts, last_error, created_at`

func scanMessage(row pgx.CollectableRow) (notify.Message, error) {
	var m notify.Message
	err := row.Scan(&m.ID, &m.EventID, &m.EventType, &m.Recipient, &m.Channel, &m.Category, &m.To, &m.Subject, &m.BodyText, &m.BodyHTML,
		&m.Status, &m.Attempts, &m.LastError, &m.CreatedAt)
	return m, err
}

// ClaimDue leases due messages: their next attempt moves past the lease,
// so nobody else takes them while this worker sends.
func (s *Store) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]notify.Message, error) {
	rows, err := s.pool.Query(ctx, `
UPDATE messages SET next_attempt_at = now() + $2::interval
WHERE id IN (SELECT id FROM messages WHERE status = 'QUEUED' AND next_attempt_at <= now()
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING `+messageColumns, limit, lease.String())
	if err != nil {
		return nil, fmt.Errorf("claim due: %w", err)
	}
	ms, err := pgx.CollectRows(rows, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("claim due: %w", err)
	}
	// RETURNING keeps no order: send in the order they were queued (an
	// order's "shipped" before its "delivered").
	slices.SortFunc(ms, func(a, b notify.Message) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return ms, nil
}

// Record stores an attempt's outcome and its history entry.
func (s *Store) Record(ctx context.Context, id string, status notify.Status, retryAt time.Time, detail, ref string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE messages SET status = $2, attempts = attempts + 1, last_error = $3,
provider_ref = CASE WHEN $4 = '' THEN provider_ref ELSE $4 END,
next_attempt_at = CASE WHEN $2 = 'QUEUED' THEN $5 ELSE next_attempt_at END WHERE id = $1`,
			id, string(status), detail, ref, retryAt); err != nil {
			return err
		}
		historyStatus := string(status)
		if status == notify.Queued {
			historyStatus = "RETRYING"
		}
		_, err := tx.Exec(ctx, `INSERT INTO message_events (message_id, status, detail) VALUES ($1, $2, $3)`, id, historyStatus, detail)
		return err
	})
	if err != nil {
		return fmt.Errorf("record delivery: %w", err)
	}
	return nil
}

// Messages lists a recipient's messages, newest first, with their history.
func (s *Store) Messages(ctx context.Context, recipient string, limit int) ([]notify.Message, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE recipient = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
		recipient, limit)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	ms, err := pgx.CollectRows(rows, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	if len(ms) == 0 {
		return ms, nil
	}
	ids := make([]string, len(ms))
	index := map[string]int{}
	for i, m := range ms {
		ids[i], index[m.ID] = m.ID, i
	}
	hrows, err := s.pool.Query(ctx, `SELECT message_id, status, detail, at FROM message_events WHERE message_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("message history: %w", err)
	}
	defer hrows.Close()
	for hrows.Next() {
		var id string
		var c notify.StatusChange
		if err := hrows.Scan(&id, &c.Status, &c.Detail, &c.At); err != nil {
			return nil, fmt.Errorf("message history: %w", err)
		}
		ms[index[id]].History = append(ms[index[id]].History, c)
	}
	return ms, hrows.Err()
}

// Stats counts messages by status.
func (s *Store) Stats(ctx context.Context) (map[notify.Status]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT status, count(*) FROM messages GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	out := map[notify.Status]int{}
	for rows.Next() {
		var st notify.Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("stats: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Callback records what a provider reports about a sent message (by our id
// or the provider's reference): DELIVERED, OPENED or BOUNCED. A report that
// would move a message backwards (OPENED then DELIVERED) is ignored, which
// is how late or repeated callbacks change nothing. It returns false when
// no message matches.
func (s *Store) Callback(ctx context.Context, ref string, status notify.Status, detail string) (bool, error) {
	allowedFrom := map[notify.Status][]string{
		notify.Delivered: {"SENT"},
		notify.Opened:    {"SENT", "DELIVERED"},
		notify.Bounced:   {"SENT", "DELIVERED"},
	}[status]
	found := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `SELECT id FROM messages WHERE id = $1 OR (provider_ref = $1 AND provider_ref <> '') LIMIT 1`, ref).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		tag, err := tx.Exec(ctx, `UPDATE messages SET status = $2 WHERE id = $1 AND status = ANY($3)`, id, string(status), allowedFrom)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO message_events (message_id, status, detail) VALUES ($1, $2, $3)`, id, string(status), detail)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("callback: %w", err)
	}
	return found, nil
}

// Captured lists the development outbox: messages no provider took,
// newest first.
func (s *Store) Captured(ctx context.Context, limit int) ([]notify.Message, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE status = 'CAPTURED' ORDER BY created_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("captured: %w", err)
	}
	ms, err := pgx.CollectRows(rows, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("captured: %w", err)
	}
	return ms, nil
}

var _ notify.PhoneStore = (*Store)(nil)

// PendingPhone is the number the user is confirming.
func (s *Store) PendingPhone(ctx context.Context, userID string) (notify.PendingPhone, error) {
	var p notify.PendingPhone
	err := s.pool.QueryRow(ctx, `SELECT phone, code_hash, attempts, sent_at, expires_at FROM phone_verifications WHERE user_id = $1`, userID).
		Scan(&p.Phone, &p.CodeHash, &p.Attempts, &p.SentAt, &p.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return notify.PendingPhone{}, notify.ErrNotFound
	}
	if err != nil {
		return notify.PendingPhone{}, fmt.Errorf("pending phone: %w", err)
	}
	return p, nil
}

// StartPhone replaces the pending number and queues the code's SMS in one
// transaction: a code is stored exactly when its message is.
func (s *Store) StartPhone(ctx context.Context, userID string, p notify.PendingPhone, m notify.Message) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO phone_verifications (user_id, phone, code_hash, attempts, sent_at, expires_at)
VALUES ($1, $2, $3, 0, $4, $5)
ON CONFLICT (user_id) DO UPDATE SET phone = $2, code_hash = $3, attempts = 0, sent_at = $4, expires_at = $5`,
			userID, p.Phone, p.CodeHash, p.SentAt, p.ExpiresAt); err != nil {
			return err
		}
		return enqueue(ctx, tx, m)
	})
	if err != nil {
		return fmt.Errorf("start phone verification: %w", err)
	}
	return nil
}

// PhoneCodeTried counts a wrong code.
func (s *Store) PhoneCodeTried(ctx context.Context, userID string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE phone_verifications SET attempts = attempts + 1 WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("phone code tried: %w", err)
	}
	return nil
}

// ConfirmPhone makes phone the user's SMS number and drops the pending one.
func (s *Store) ConfirmPhone(ctx context.Context, userID, phone string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO contacts (user_id, phone, phone_verified_at) VALUES ($1, $2, now())
ON CONFLICT (user_id) DO UPDATE SET phone = $2, phone_verified_at = now(), updated_at = now()`, userID, phone); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM phone_verifications WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("confirm phone: %w", err)
	}
	return nil
}

// RemovePhone forgets the user's number, confirmed or pending.
func (s *Store) RemovePhone(ctx context.Context, userID string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE contacts SET phone = '', phone_verified_at = NULL, updated_at = now() WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM phone_verifications WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove phone: %w", err)
	}
	return nil
}

var _ notify.PushStore = (*Store)(nil)

// SavePushSubscription keeps a device's subscription; the same endpoint
// registered again (by another user on a shared device) moves to them.
func (s *Store) SavePushSubscription(ctx context.Context, userID string, sub notify.PushSubscription) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO push_subscriptions (endpoint, user_id, p256dh, auth) VALUES ($1, $2, $3, $4)
ON CONFLICT (endpoint) DO UPDATE SET user_id = $2, p256dh = $3, auth = $4, created_at = now()`, sub.Endpoint, userID, sub.P256dh, sub.Auth)
	if err != nil {
		return fmt.Errorf("save push subscription: %w", err)
	}
	return nil
}

// RemovePushSubscription drops an endpoint; userID "" drops it for
// whoever has it (the push service said it is gone).
func (s *Store) RemovePushSubscription(ctx context.Context, userID, endpoint string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE endpoint = $1 AND ($2 = '' OR user_id = $2)`, endpoint, userID)
	if err != nil {
		return false, fmt.Errorf("remove push subscription: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// PushSubscriptions are a user's devices.
func (s *Store) PushSubscriptions(ctx context.Context, userID string) ([]notify.PushSubscription, error) {
	rows, err := s.pool.Query(ctx, `SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at`, userID)
	if err != nil {
		return nil, fmt.Errorf("push subscriptions: %w", err)
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.PushSubscription, error) {
		var p notify.PushSubscription
		return p, r.Scan(&p.Endpoint, &p.P256dh, &p.Auth)
	})
	if err != nil {
		return nil, fmt.Errorf("push subscriptions: %w", err)
	}
	return subs, nil
}

// VAPIDKeys returns the stored key pair, storing generate's first; of
// replicas starting together, one pair wins and all use it.
func (s *Store) VAPIDKeys(ctx context.Context, generate func() (public, private string, err error)) (string, string, error) {
	var pub, priv string
	err := s.pool.QueryRow(ctx, `SELECT public_key, private_key FROM vapid_keys`).Scan(&pub, &priv)
	if err == nil {
		return pub, priv, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", "", fmt.Errorf("vapid keys: %w", err)
	}
	if pub, priv, err = generate(); err != nil {
		return "", "", fmt.Errorf("vapid keys: %w", err)
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO vapid_keys (public_key, private_key) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET id = true RETURNING public_key, private_key`, pub, priv).Scan(&pub, &priv)
	if err != nil {
		return "", "", fmt.Errorf("vapid keys: %w", err)
	}
	return pub, priv, nil
}

var _ notify.NewsletterStore = (*Store)(nil)

// MarketingAudience are the contacts with an email who opted into
// marketing email.
func (s *Store) MarketingAudience(ctx context.Context) ([]notify.Contact, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.user_id, c.email, c.name, c.locale FROM contacts c
JOIN preferences p ON p.user_id = c.user_id AND p.category = 'MARKETING' AND p.channel = 'EMAIL' AND p.enabled
WHERE c.email <> '' ORDER BY c.user_id`)
	if err != nil {
		return nil, fmt.Errorf("marketing audience: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (notify.Contact, error) {
		var c notify.Contact
		return c, r.Scan(&c.UserID, &c.Email, &c.Name, &c.Locale)
	})
	if err != nil {
		return nil, fmt.Errorf("marketing audience: %w", err)
	}
	return cs, nil
}
