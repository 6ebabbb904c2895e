package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// ManageNotifications is the staff permission for templates and stats.
const ManageNotifications = "MANAGE_NOTIFICATIONS"

// Store is what the notifications domain needs from storage.
type Store interface {
	SaveContact(ctx context.Context, c Contact) error
	Contact(ctx context.Context, userID string) (Contact, error) // ErrNotFound
	// Template is the newest saved template for the key, falling back to
	// locale "en"; ErrNotFound when none is saved.
	Template(ctx context.Context, eventType string, ch Channel, locale string) (Template, error)
	SaveTemplate(ctx context.Context, t Template, by string) (Template, error)
	Templates(ctx context.Context) ([]Template, error)
	// Preference is the user's choice for cat on ch; set is false when
	// they never chose (then DefaultEnabled holds).
	Preference(ctx context.Context, userID string, cat Category, ch Channel) (enabled, set bool, err error)
	// SetPreference records the user's own choice; a change of marketing
	// consent (email, SMS) is announced as EventMarketingConsentChanged in
	// the same transaction, so the profile (users) follows.
	SetPreference(ctx context.Context, userID string, cat Category, ch Channel, enabled bool) error
	// LearnPreference records a choice made in the profile at time at,
	// unless one made here is newer; it announces nothing (users has it).
	LearnPreference(ctx context.Context, userID string, cat Category, ch Channel, enabled bool, at time.Time) error
	Preferences(ctx context.Context, userID string) (map[string]bool, error) // "CATEGORY/CHANNEL" → enabled
	// Enqueue stores m unless its (event, recipient, channel) exists:
	// a redelivered event enqueues nothing.
	Enqueue(ctx context.Context, m Message) (bool, error)
	// ClaimDue leases up to limit due queued messages for lease: another
	// worker takes them only if this one dies before recording an outcome.
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Message, error)
	// Record stores an attempt's outcome: sent, retry at, or failed.
	Record(ctx context.Context, id string, status Status, retryAt time.Time, detail, ref string) error
	Messages(ctx context.Context, recipient string, limit int) ([]Message, error)
	Stats(ctx context.Context) (map[Status]int, error)
}

// ErrNotFound is returned by Store lookups.
var ErrNotFound = errors.New("not found")

// Service turns events into messages and delivers them.
type Service struct {
	store      Store
	senders    map[Channel]Sender
	staffEmail string
	secret     []byte // signs unsubscribe links
	baseURL    string
	newID      func(string) string
	now        func() time.Time
}

// Config is what the service needs to know about the shop.
type Config struct {
	StaffEmail        string // where staff messages go
	UnsubscribeSecret string
	BaseURL           string // of the storefront, for links
}

// ConfigFrom reads the Config from the subgraph's settings
// (NOTIFICATIONS_STAFF_EMAIL, NOTIFICATIONS_UNSUBSCRIBE_SECRET, SHOP_URL),
// setting(key, default) giving each: the service and the demo seed, whose
// unsubscribe links must work, read them alike.
func ConfigFrom(setting func(key, def string) string) Config {
	return Config{
		StaffEmail:        setting("NOTIFICATIONS_STAFF_EMAIL", "staff@myshop.local"),
		UnsubscribeSecret: setting("NOTIFICATIONS_UNSUBSCRIBE_SECRET", "dev-only-unsubscribe-secret"),
		BaseURL:           setting("SHOP_URL", "http://127.0.0.1:4000"),
	}
}

// NewService returns the notifications service.
func NewService(store Store, senders map[Channel]Sender, cfg Config, newID func(string) string) *Service {
	return &Service{store: store, senders: senders, staffEmail: cfg.StaffEmail, secret: []byte(cfg.UnsubscribeSecret),
		baseURL: strings.TrimRight(cfg.BaseURL, "/"), newID: newID, now: time.Now}
}

// Handle takes one domain event: it learns contacts from users' events and
// enqueues the messages the event triggers. It is idempotent.
func (s *Service) Handle(ctx context.Context, e Event) error {
	if err := s.learnContact(ctx, e); err != nil {
		return err
	}
	trig, ok := Triggers[e.Type]
	if !ok {
		return nil
	}
	recipient := trig.Recipient(e)
	if recipient == "" {
		return nil
	}
	contact := Contact{UserID: Staff, Email: s.staffEmail, Name: "Staff", Locale: "en"}
	if recipient != Staff {
		c, err := s.store.Contact(ctx, recipient)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		contact = c
		contact.UserID = recipient
		if contact.Locale == "" {
			contact.Locale = "en"
		}
	}
	for _, ch := range trig.Channels {
		if trig.Skip != nil && trig.Skip(e, ch) {
			continue
		}
		if (ch == SMS && contact.Phone == "") || (ch == Push && contact.PushDevices == 0 && s.senders[Push] != nil) {
			// No verified number, no subscribed device: the user never set
			// the channel up, which is no message to record for every
			// order. (Without a push provider, development captures them.)
			continue
		}
		if err := s.enqueue(ctx, e, trig, contact, ch); err != nil {
			return fmt.Errorf("event %s: %w", e.ID, err)
		}
	}
	return nil
}

func (s *Service) enqueue(ctx context.Context, e Event, trig Trigger, c Contact, ch Channel) error {
	tpl, err := s.template(ctx, e.Type, ch, c.Locale)
	if errors.Is(err, ErrNotFound) {
		return nil // this event has no template on this channel
	}
	if err != nil {
		return err
	}
	data := map[string]any{"name": c.Name, "unsubscribeUrl": s.UnsubscribeURL(c.UserID, trig.Category, ch)}
	for _, v := range trig.Variables {
		if _, ok := data[v]; !ok {
			data[v] = e.Payload[v]
			if data[v] == nil {
				data[v] = ""
			}
		}
	}
	m := Message{ID: s.newID("msg"), EventID: e.ID, EventType: e.Type, Recipient: c.UserID, Channel: ch,
		Category: trig.Category, To: c.Address(ch), Status: Queued}
	r, err := tpl.Render(data)
	switch {
	case err != nil:
		// A bad template must not block the stream: record the failure.
		m.Status, m.LastError = Failed, "render: "+err.Error()
	case m.To == "":
		m.Status, m.LastError = Suppressed, "no "+strings.ToLower(string(ch))+" address known"
	default:
		m.Subject, m.BodyText, m.BodyHTML = r.Subject, r.Text, r.HTML
		if trig.Category != Security && c.UserID != Staff {
			on, set, err := s.store.Preference(ctx, c.UserID, trig.Category, ch)
			if err != nil {
				return err
			}
			switch {
			case set && !on:
				m.Status, m.LastError = Suppressed, "opted out"
			case !set && !DefaultEnabled(trig.Category, ch):
				m.Status, m.LastError = Suppressed, "no consent: "+strings.ToLower(string(ch))+" for "+strings.ToLower(string(trig.Category))+" needs an opt-in"
			}
		}
	}
	_, err = s.store.Enqueue(ctx, m)
	return err
}

// Render renders eventType's template on ch in locale (the newest saved
// one in that locale, else in English, else the default) with data, for a
// message sent outside the event stream (a phone verification code).
func (s *Service) Render(ctx context.Context, eventType string, ch Channel, locale string, data map[string]any) (Rendered, error) {
	if locale == "" {
		locale = "en"
	}
	tpl, err := s.template(ctx, eventType, ch, locale)
	if err != nil {
		return Rendered{}, err
	}
	return tpl.Render(data)
}

func (s *Service) template(ctx context.Context, eventType string, ch Channel, locale string) (Template, error) {
	t, err := s.store.Template(ctx, eventType, ch, locale)
	if !errors.Is(err, ErrNotFound) {
		return t, err
	}
	for _, d := range DefaultTemplates {
		if d.EventType == eventType && d.Channel == ch {
			return d, nil
		}
	}
	return Template{}, ErrNotFound
}

// learnContact keeps the address book current from users' events: the
// email and name, the locale chosen at registration or in the profile
// (an event without one keeps what is known), and, from a profile update,
// the marketing consent given there.
func (s *Service) learnContact(ctx context.Context, e Event) error {
	if !strings.HasPrefix(e.Type, "user.") {
		return nil
	}
	id, _ := e.Payload["userId"].(string)
	email, _ := e.Payload["email"].(string)
	if id == "" || (email == "" && e.Type != EventProfileUpdated) {
		return nil
	}
	name, _ := e.Payload["name"].(string)
	locale, _ := e.Payload["locale"].(string)
	if err := s.store.SaveContact(ctx, Contact{UserID: id, Email: email, Name: name, Locale: locale}); err != nil {
		return err
	}
	if e.Type != EventProfileUpdated {
		return nil
	}
	for key, ch := range map[string]Channel{"marketingEmails": Email, "marketingSms": SMS} {
		if v, ok := e.Payload[key].(bool); ok {
			at := e.OccurredAt
			if at.IsZero() {
				at = s.now()
			}
			if err := s.store.LearnPreference(ctx, id, Marketing, ch, v, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// EventProfileUpdated is the users subgraph's event for a changed profile.
const EventProfileUpdated = "user.profile_updated"

// EventMarketingConsentChanged is announced when the user changes their
// marketing consent here (the unsubscribe link, setNotificationPreference,
// an SMS answered STOP): payload userId, channel (EMAIL or SMS) and
// enabled. The users subgraph sets the profile's marketingEmails or
// marketingSms from it, so the profile and the newsletter agree.
const EventMarketingConsentChanged = "notification.marketing_consent_changed"

// DeliverDue sends what is due, once each, and records the outcomes;
// a failed attempt is retried with backoff until MaxAttempts, then failed.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	ms, err := s.store.ClaimDue(ctx, 50, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	for _, m := range ms {
		sender, ok := s.senders[m.Channel]
		if !ok {
			detail := "no " + strings.ToLower(string(m.Channel)) + " provider configured: kept in the development outbox"
			if err := s.store.Record(ctx, m.ID, Captured, time.Time{}, detail, ""); err != nil {
				return 0, err
			}
			continue
		}
		ref, sendErr := sender.Send(ctx, m)
		if errors.Is(sendErr, ErrOptedOut) && m.Recipient != Staff {
			for _, cat := range []Category{Orders, Marketing} {
				if err := s.store.SetPreference(ctx, m.Recipient, cat, m.Channel, false); err != nil {
					return 0, err
				}
			}
		}
		switch {
		case sendErr == nil:
			err = s.store.Record(ctx, m.ID, Sent, time.Time{}, "", ref)
		case errors.Is(sendErr, ErrPermanent) || m.Attempts+1 >= MaxAttempts:
			err = s.store.Record(ctx, m.ID, Failed, time.Time{}, sendErr.Error(), "")
		default:
			err = s.store.Record(ctx, m.ID, Queued, s.now().Add(Backoff(m.Attempts+1)), sendErr.Error(), "")
		}
		if err != nil {
			return 0, err
		}
	}
	return len(ms), nil
}

// RunDelivery delivers due messages every interval until ctx ends.
func (s *Service) RunDelivery(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.DeliverDue(ctx)
			if err != nil && ctx.Err() == nil {
				onError(err)
			}
			if n == 0 || err != nil {
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

// UnsubscribeURL is a one-click link that opts the user out of a category
// on a channel; it carries a signature, so it cannot be forged for others.
func (s *Service) UnsubscribeURL(userID string, cat Category, ch Channel) string {
	return s.baseURL + "/unsubscribe?token=" + s.unsubscribeToken(userID, cat, ch)
}

func (s *Service) unsubscribeToken(userID string, cat Category, ch Channel) string {
	payload := userID + "|" + string(cat) + "|" + string(ch)
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Unsubscribe applies a one-click link's token.
func (s *Service) Unsubscribe(ctx context.Context, token string) (Category, Channel, error) {
	p, sig, ok := strings.Cut(token, ".")
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	m := hmac.New(sha256.New, s.secret)
	m.Write(payload)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(got, m.Sum(nil)) {
		return "", "", errs.New(errs.Invalid, "this unsubscribe link is not valid")
	}
	parts := strings.Split(string(payload), "|")
	if len(parts) != 3 || Category(parts[1]) == Security {
		return "", "", errs.New(errs.Invalid, "this unsubscribe link is not valid")
	}
	cat, ch := Category(parts[1]), Channel(parts[2])
	return cat, ch, s.store.SetPreference(ctx, parts[0], cat, ch, false)
}

// SetPreference opts the caller in or out of a category on a channel.
// Security messages cannot be turned off.
func (s *Service) SetPreference(ctx context.Context, cat Category, ch Channel, enabled bool) error {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return err
	}
	if err := checkCategory(cat); err != nil {
		return errs.New(errs.Invalid, "%s", err)
	}
	if err := checkChannel(ch); err != nil {
		return errs.New(errs.Invalid, "%s", err)
	}
	if cat == Security && !enabled {
		return errs.New(errs.Invalid, "security messages cannot be turned off")
	}
	return s.store.SetPreference(ctx, c.UserID(), cat, ch, enabled)
}

// SaveTemplate stores a new version of a template after checking it.
func (s *Service) SaveTemplate(ctx context.Context, t Template) (Template, error) {
	c, err := auth.Require(ctx, ManageNotifications)
	if err != nil {
		return Template{}, err
	}
	if t.Locale == "" {
		t.Locale = "en"
	}
	if err := t.Check(); err != nil {
		return Template{}, errs.New(errs.Invalid, "template refused: %s", err)
	}
	return s.store.SaveTemplate(ctx, t, c.UserID())
}

// Preview renders a template with sample data (or given data), unsaved.
func (s *Service) Preview(ctx context.Context, t Template, data map[string]any) (Rendered, error) {
	if _, err := auth.Require(ctx, ManageNotifications); err != nil {
		return Rendered{}, err
	}
	if err := t.Check(); err != nil {
		return Rendered{}, errs.New(errs.Invalid, "template refused: %s", err)
	}
	sample := SampleData(Triggers[t.EventType])
	for k, v := range data {
		if _, ok := sample[k]; !ok {
			return Rendered{}, errs.New(errs.Invalid, "%s is not a variable of %s", k, t.EventType)
		}
		sample[k] = v
	}
	return t.Render(sample)
}

// MyMessages are the signed-in user's latest limit messages.
func (s *Service) MyMessages(ctx context.Context, limit int) ([]Message, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.Messages(ctx, c.UserID(), limit)
}

// MyPreferences are the signed-in user's choices, "CATEGORY/CHANNEL" →
// enabled; a pair left out is the default.
func (s *Service) MyPreferences(ctx context.Context) (map[string]bool, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.Preferences(ctx, c.UserID())
}

// StaffMessages are the latest limit messages sent to staff.
func (s *Service) StaffMessages(ctx context.Context, limit int) ([]Message, error) {
	if _, err := auth.Require(ctx, ManageNotifications); err != nil {
		return nil, err
	}
	return s.store.Messages(ctx, Staff, limit)
}

// Templates are every template, for staff who manage notifications.
func (s *Service) Templates(ctx context.Context) ([]Template, error) {
	if _, err := auth.Require(ctx, ManageNotifications); err != nil {
		return nil, err
	}
	return s.store.Templates(ctx)
}

// Capturing lists the channels with no provider, whose messages go to the
// development outbox.
func (s *Service) Capturing() []Channel {
	var out []Channel
	for _, ch := range []Channel{Email, SMS, Push} {
		if _, ok := s.senders[ch]; !ok {
			out = append(out, ch)
		}
	}
	return out
}

// Stats count the messages by status, for staff who manage notifications.
func (s *Service) Stats(ctx context.Context) (map[Status]int, error) {
	if _, err := auth.Require(ctx, ManageNotifications); err != nil {
		return nil, err
	}
	return s.store.Stats(ctx)
}
