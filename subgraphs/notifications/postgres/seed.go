package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
)

// Seed writes the demo world's notifications: a contact for every
// customer and staff member, the customers' opt-outs (demo.OptOuts), and
// the messages the service would have sent for the world's events, with
// their delivery history. The messages are made by notify.Service.Handle
// itself, from the events of demo.OrderEvents and demo.LowStockEvents, so
// who gets what on which channel, the default templates' text and the
// suppression of opted-out channels are the service's own rules; each
// message keeps its event's id, so a real event relayed later is a
// repeat. Deliveries then play out as providers answer: most emails
// delivered and many opened, a few retried, bounced or failed for good;
// pushes sent and mostly delivered. A database that holds a world
// already keeps it (postgres.Seeded); below that, rows already there are
// kept, and a message's history is written only with the message.
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	contacts := postgres.Table{Name: "contacts", Cols: []string{"user_id", "email", "phone", "name", "locale", "updated_at"}}
	rec := &recorder{contacts: map[string]notify.Contact{}, optedOut: map[[3]string]bool{}}
	// No phone: SMS goes only to a number its owner confirmed with a code
	// (notify.Phones), which no demo shopper has done.
	for _, c := range w.Customers {
		contacts.Add(c.ID, c.Email, "", c.Name(), c.Locale, c.CreatedAt)
		rec.contacts[c.ID] = notify.Contact{UserID: c.ID, Email: c.Email, Name: c.Name(), Locale: c.Locale}
	}
	for _, s := range w.Staff {
		contacts.Add(s.ID, s.Email, "", s.Name, "en", demo.StaffSince(w.Until))
	}
	prefs := postgres.Table{Name: "preferences", Cols: []string{"user_id", "category", "channel", "enabled"}}
	for _, o := range w.OptOuts() {
		prefs.Add(o.UserID, o.Category, o.Channel, false)
		rec.optedOut[[3]string{o.UserID, o.Category, o.Channel}] = true
	}

	svc := notify.NewService(rec, nil, serviceConfig(), func(string) string { return "" })
	// The first message is this world's mark: found, the world is here
	// and the rest of the replay (half a minute at scale 50) is spared.
	checked := false
	handle := func(e demo.Event) (bool, error) {
		rec.event = e
		if err := svc.Handle(ctx, events.Event{ID: e.ID, Type: e.Type, Source: e.Source, OccurredAt: e.At, Payload: e.Payload}); err != nil {
			return false, err
		}
		if checked || len(rec.out) == 0 {
			return false, nil
		}
		checked = true
		return postgres.Seeded(ctx, pool, "messages", rec.out[0].ID)
	}
	replay := func(evs []demo.Event) (bool, error) {
		for _, e := range evs {
			if seeded, err := handle(e); err != nil || seeded {
				return seeded, err
			}
		}
		return false, nil
	}
	seeded, err := replay(w.LowStockEvents())
	for i := 0; i < len(w.Orders) && err == nil && !seeded; i++ {
		seeded, err = replay(w.OrderEvents(&w.Orders[i]))
	}
	if err != nil {
		return fmt.Errorf("seed notifications: %w", err)
	}
	if seeded {
		return nil
	}

	messages := postgres.Table{Name: "messages", Cols: []string{"id", "event_id", "event_type", "recipient", "channel", "category",
		"to_address", "subject", "body_text", "body_html", "status", "attempts", "last_error", "created_at"}}
	var history [][]any
	for _, m := range rec.out {
		steps := deliver(m, w.Until)
		last := steps[len(steps)-1]
		m.Status = last.Status
		for _, s := range steps {
			switch s.Status {
			case "RETRYING", notify.Sent, notify.Failed:
				m.Attempts++
				m.LastError = s.Detail
			}
			history = append(history, []any{int64(len(history)), m.ID, string(s.Status), s.Detail, s.At})
		}
		messages.Add(m.ID, m.EventID, m.EventType, m.Recipient, string(m.Channel), string(m.Category), m.To, m.Subject, m.BodyText, m.BodyHTML,
			string(m.Status), m.Attempts, m.LastError, m.CreatedAt)
	}
	err = postgres.CopyTables(ctx, pool, []postgres.Table{contacts, prefs, messages}, func(tx pgx.Tx) error {
		return copyHistory(ctx, tx, history)
	})
	if err != nil {
		return fmt.Errorf("seed notifications: %w", err)
	}
	if err := postgres.Analyze(ctx, pool, "contacts", "preferences", "messages", "message_events"); err != nil {
		return fmt.Errorf("seed notifications: analyze: %w", err)
	}
	return nil
}

// serviceConfig is the running service's configuration, so the seeded
// unsubscribe links work and staff mail goes where the service sends it.
func serviceConfig() notify.Config {
	return notify.ConfigFrom(func(k, def string) string {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return def
	})
}

// copyHistory writes the seeded messages' histories, in order, for the
// messages this seed inserted: message_events has no natural key, so a
// message that already has a history (an earlier seed's, or a real one's
// with the same event) gets no second one.
func copyHistory(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE seed_message_history (seq bigint, message_id text, status text, detail text, at timestamptz)
ON COMMIT DROP`); err != nil {
		return fmt.Errorf("seed message history: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"seed_message_history"}, []string{"seq", "message_id", "status", "detail", "at"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("seed message history: copy: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO message_events (message_id, status, detail, at)
SELECT h.message_id, h.status, h.detail, h.at FROM seed_message_history h JOIN messages m ON m.id = h.message_id
WHERE NOT EXISTS (SELECT 1 FROM message_events e WHERE e.message_id = h.message_id)
ORDER BY h.seq`)
	if err != nil {
		return fmt.Errorf("seed message history: insert: %w", err)
	}
	return nil
}

// deliver plays a message's delivery out from its enqueueing, as the
// delivery worker and the providers' callbacks would have, and returns
// its history. Outcomes are drawn from the message id, so the same world
// gets the same history; providers' reports after the world's end have
// not come yet (an email sent on its last evening is not opened).
func deliver(m notify.Message, until time.Time) []notify.StatusChange {
	h := fnv.New64a()
	h.Write([]byte(m.ID))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	at := m.CreatedAt
	if m.Status != notify.Queued {
		// Suppressed (or a template that would not render): never sent.
		return []notify.StatusChange{{Status: m.Status, At: at, Detail: m.LastError}}
	}
	steps := []notify.StatusChange{{Status: notify.Queued, At: at}}
	step := func(st notify.Status, after time.Duration, detail string) bool {
		at = at.Add(after)
		// The worker's own attempts follow within seconds, whenever the
		// event was; providers' reports after the end have not come yet.
		if callback := st == notify.Delivered || st == notify.Opened || st == notify.Bounced; callback && at.After(until) {
			return false
		}
		steps = append(steps, notify.StatusChange{Status: st, At: at, Detail: detail})
		return true
	}
	retry := func(n int, detail string) {
		for k := 1; k <= n; k++ {
			step("RETRYING", notify.Backoff(k-1)+time.Second, detail)
		}
	}
	roll := rng.IntN(1000)
	switch m.Channel {
	case notify.Email:
		switch {
		case roll < 8: // the mail server was down for every attempt
			detail := "smtp dial: dial tcp 10.20.0.25:587: i/o timeout"
			retry(notify.MaxAttempts-1, detail)
			step(notify.Failed, notify.Backoff(notify.MaxAttempts-1), detail)
			return steps
		case roll < 60: // a greylisting server took it on the second try
			retry(1, "smtp: 451 4.7.1 greylisted, try again later")
		}
		if !step(notify.Sent, time.Duration(1+rng.IntN(3))*time.Second, "") {
			return steps
		}
		switch {
		case roll >= 60 && roll < 85:
			step(notify.Bounced, time.Duration(5+rng.IntN(60))*time.Second, "550 5.1.1 "+m.To+": mailbox unavailable")
		case rng.IntN(100) < 45:
			if step(notify.Delivered, time.Duration(5+rng.IntN(120))*time.Second, "") {
				step(notify.Opened, time.Duration(10+rng.IntN(48*60))*time.Minute, "")
			}
		default:
			step(notify.Delivered, time.Duration(5+rng.IntN(120))*time.Second, "")
		}
	case notify.Push:
		if roll < 30 { // the app was uninstalled: the device token is gone
			step(notify.Failed, time.Second, notify.ErrPermanent.Error()+": provider answered 410 Gone")
			return steps
		}
		if step(notify.Sent, time.Second, "") && rng.IntN(100) < 80 {
			step(notify.Delivered, time.Duration(1+rng.IntN(30))*time.Second, "")
		}
	default:
		step(notify.Sent, time.Second, "")
	}
	return steps
}

// recorder is the store notify.Service works against while the seed
// replays events: the contacts and opt-outs of the world, no saved
// templates (the defaults), and the messages it enqueues, kept in order
// with the id and time their event gives them.
type recorder struct {
	contacts map[string]notify.Contact
	optedOut map[[3]string]bool
	event    demo.Event // being handled
	out      []notify.Message
}

var _ notify.Store = (*recorder)(nil)

// errSeeding is what the recorder answers to what replaying events never
// asks.
var errSeeding = errors.New("not available while seeding")

func (r *recorder) Contact(_ context.Context, userID string) (notify.Contact, error) {
	c, ok := r.contacts[userID]
	if !ok {
		return notify.Contact{UserID: userID, Locale: "en"}, notify.ErrNotFound
	}
	return c, nil
}

func (r *recorder) Preference(_ context.Context, userID string, cat notify.Category, ch notify.Channel) (bool, bool, error) {
	out := r.optedOut[[3]string{userID, string(cat), string(ch)}]
	return false, out, nil
}

func (r *recorder) Template(context.Context, string, notify.Channel, string) (notify.Template, error) {
	return notify.Template{}, notify.ErrNotFound
}

// Enqueue keeps m with an id made of its event and channel (one event has
// one recipient) and a time a few seconds after its event: the consumer's
// lag.
func (r *recorder) Enqueue(_ context.Context, m notify.Message) (bool, error) {
	m.ID = "msg_" + strings.TrimPrefix(m.EventID, "evt_") + "_" + strings.ToLower(string(m.Channel))
	m.CreatedAt = r.event.At.Add(time.Duration(1+len(r.out)%7) * time.Second)
	r.out = append(r.out, m)
	return true, nil
}

// SaveContact is called for users' events, which the seed does not
// replay: the contacts are written from the world.
func (r *recorder) SaveContact(context.Context, notify.Contact) error { return errSeeding }

func (r *recorder) SaveTemplate(context.Context, notify.Template, string) (notify.Template, error) {
	return notify.Template{}, errSeeding
}

func (r *recorder) Templates(context.Context) ([]notify.Template, error) { return nil, errSeeding }

func (r *recorder) SetPreference(context.Context, string, notify.Category, notify.Channel, bool) error {
	return errSeeding
}

func (r *recorder) LearnPreference(context.Context, string, notify.Category, notify.Channel, bool, time.Time) error {
	return errSeeding
}

func (r *recorder) Preferences(context.Context, string) (map[string]bool, error) {
	return nil, errSeeding
}

func (r *recorder) ClaimDue(context.Context, int, time.Duration) ([]notify.Message, error) {
	return nil, errSeeding
}

func (r *recorder) Record(context.Context, string, notify.Status, time.Time, string, string) error {
	return errSeeding
}

func (r *recorder) Messages(context.Context, string, int) ([]notify.Message, error) {
	return nil, errSeeding
}

func (r *recorder) Stats(context.Context) (map[notify.Status]int, error) { return nil, errSeeding }
