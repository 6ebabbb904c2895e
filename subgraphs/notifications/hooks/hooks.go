// Package hooks is outgoing webhooks, as Saleor's apps have them: staff
// subscribe a URL to event types, and each such event is delivered to it
// signed, in order per entity, retried for a day, logged, and replayable.
// Deliveries are rows written when the event is consumed, so a restart
// loses none: the worker takes them up again.
package hooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/notifications/egress"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/webhook"
)

// ManageApps is the staff permission for webhooks: they send the shop's
// data to other systems.
const ManageApps = "MANAGE_APPS"

// Problem codes (NotificationErrorCode).
const (
	CodeRequired         = "REQUIRED"
	CodeInvalidURL       = "INVALID_URL"
	CodeURLNotAllowed    = "URL_NOT_ALLOWED"
	CodeUnknownEventType = "UNKNOWN_EVENT_TYPE"
	CodeNotFound         = "NOT_FOUND"
)

// EventTypes are the events a webhook may subscribe to: the facts other
// systems act on. Users' events are not among them: they carry one-time
// tokens.
var EventTypes = []string{
	"inventory.low_stock",
	"order.canceled",
	"order.fulfillment_created",
	"order.placed",
	"order.status_changed",
	"payment.transaction_settled",
}

// Headers of a delivery. The signature is platform/webhook's:
// "t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">" with the webhook's
// secret, made at each attempt so a receiver's tolerance holds for retries.
const (
	HeaderID        = "Webhook-Id" // the delivery's id: receivers dedupe on it
	HeaderEvent     = "Webhook-Event"
	HeaderSignature = "Webhook-Signature"
)

// Retry and disabling.
const (
	// RetryFor is how long a delivery is retried before it is FAILED.
	RetryFor = 24 * time.Hour
	// DisableAfter consecutive failed attempts (and at least
	// DisableAfterFor since the streak began) turn the webhook off; its
	// pending deliveries wait until staff turn it on again.
	DisableAfter    = 20
	DisableAfterFor = time.Hour
)

// Backoff is the wait after failed attempt n (n ≥ 1): 30s, 1m, 2m, … up
// to an hour, about 30 attempts in RetryFor.
func Backoff(n int) time.Duration {
	return min(30*time.Second<<min(n-1, 10), time.Hour)
}

// Webhook is one subscription.
type Webhook struct {
	ID             string
	Name           string
	URL            string
	EventTypes     []string
	Active         bool
	DisabledReason string
	Secret         string
	CreatedAt      time.Time
}

// Delivery statuses.
const (
	Pending   = "PENDING"
	Succeeded = "SUCCEEDED"
	Failed    = "FAILED"
)

// Delivery is one event to one webhook.
type Delivery struct {
	ID          string
	WebhookID   string
	EventID     string
	EventType   string
	EntityKey   string
	Body        []byte
	Status      string
	Attempts    int
	LastError   string
	CreatedAt   time.Time
	NextAt      time.Time
	DeliveredAt *time.Time
	ReplayOf    string
	Log         []Attempt
}

// Attempt is one try of a delivery.
type Attempt struct {
	At         time.Time
	StatusCode int // 0: no answer
	Duration   time.Duration
	Error      string
}

// Outcome is what an attempt does to its delivery and webhook.
type Outcome struct {
	Attempt Attempt
	Status  string    // Pending (retry at NextAt), Succeeded or Failed
	NextAt  time.Time // for Pending
}

// Store is what webhooks need from storage.
type Store interface {
	CreateWebhook(ctx context.Context, w Webhook) error
	UpdateWebhook(ctx context.Context, w Webhook) error // ErrNotFound
	DeleteWebhook(ctx context.Context, id string) error // ErrNotFound
	Webhook(ctx context.Context, id string) (Webhook, error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	// Subscribed are the active and inactive webhooks of eventType.
	Subscribed(ctx context.Context, eventType string) ([]Webhook, error)
	// AddDeliveries stores ds; one already stored for its (webhook,
	// event) is skipped, which makes a redelivered event harmless.
	AddDeliveries(ctx context.Context, ds []Delivery) error
	// ClaimDue leases up to limit due deliveries of active webhooks, each
	// the oldest pending one of its (webhook, entity).
	ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error)
	// RecordAttempt stores an attempt's outcome; it returns the webhook's
	// failed attempts in a row and since when.
	RecordAttempt(ctx context.Context, d Delivery, o Outcome) (failures int, since time.Time, err error)
	// Disable turns the webhook off with a reason, reporting whether it
	// was on.
	Disable(ctx context.Context, id, reason string) (bool, error)
	Deliveries(ctx context.Context, webhookID string, limit int) ([]Delivery, error)
	Delivery(ctx context.Context, id string) (Delivery, error) // ErrNotFound
}

// ErrNotFound is returned by Store lookups.
var ErrNotFound = errors.New("not found")

// Config is how webhooks behave on this deployment.
type Config struct {
	// AllowPrivate lets URLs reach private, loopback and link-local
	// addresses (a local receiver in development and tests); off, such a
	// URL is refused when saved and its connection when sent.
	AllowPrivate bool
	Timeout      time.Duration
}

// Service manages and delivers webhooks.
type Service struct {
	store   Store
	cfg     Config
	client  *http.Client
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	notify  func(ctx context.Context, e events.Event) error // tells staff
	newID   func(string) string
	now     func() time.Time
}

// NewService returns the webhooks service; notify hands it the events it
// raises itself (webhook.disabled), for the notifications that tell staff.
func NewService(store Store, cfg Config, notify func(context.Context, events.Event) error, newID func(string) string) *Service {
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	s := &Service{store: store, cfg: cfg, notify: notify, newID: newID, now: time.Now,
		resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}}
	s.client = egress.Client(cfg.Timeout, cfg.AllowPrivate)
	return s
}

// checkURL accepts an absolute https URL (http too when private addresses
// are allowed, for local receivers) whose host resolves only to public
// addresses.
func (s *Service) checkURL(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return "", &errs.Problem{Field: errs.Field("url"), Code: CodeInvalidURL, Message: "give an absolute https URL, such as https://erp.example.com/hooks/myshop"}
	}
	if u.Scheme == "http" && !s.cfg.AllowPrivate {
		return "", &errs.Problem{Field: errs.Field("url"), Code: CodeInvalidURL, Message: "webhooks are sent over https only"}
	}
	if s.cfg.AllowPrivate {
		return u.String(), nil
	}
	addrs, err := s.resolve(ctx, u.Hostname())
	if err != nil || len(addrs) == 0 {
		return "", &errs.Problem{Field: errs.Field("url"), Code: CodeInvalidURL, Message: fmt.Sprintf("%s does not resolve", u.Hostname())}
	}
	for _, a := range addrs {
		if egress.Private(a) {
			return "", &errs.Problem{Field: errs.Field("url"), Code: CodeURLNotAllowed,
				Message: fmt.Sprintf("%s resolves to %s, an address inside the network; webhooks go to public addresses only", u.Hostname(), a)}
		}
	}
	return u.String(), nil
}

func checkEventTypes(types []string) ([]string, error) {
	if len(types) == 0 {
		return nil, &errs.Problem{Field: errs.Field("eventTypes"), Code: CodeRequired, Message: "subscribe to at least one event type"}
	}
	out := []string{}
	for _, t := range types {
		if !slices.Contains(EventTypes, t) {
			return nil, &errs.Problem{Field: errs.Field("eventTypes"), Code: CodeUnknownEventType,
				Message: fmt.Sprintf("%q is not an event type webhooks can subscribe to; known: %s", t, strings.Join(EventTypes, ", "))}
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Create subscribes url to eventTypes. The returned webhook carries its
// secret: the only time it is shown.
func (s *Service) Create(ctx context.Context, name, rawURL string, eventTypes []string) (Webhook, error) {
	if _, err := auth.Require(ctx, ManageApps); err != nil {
		return Webhook{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return Webhook{}, &errs.Problem{Field: errs.Field("name"), Code: CodeRequired, Message: "a name is required"}
	}
	u, err := s.checkURL(ctx, rawURL)
	if err != nil {
		return Webhook{}, err
	}
	types, err := checkEventTypes(eventTypes)
	if err != nil {
		return Webhook{}, err
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	w := Webhook{ID: s.newID("whk"), Name: name, URL: u, EventTypes: types, Active: true, Secret: "whsec_" + hex.EncodeToString(b), CreatedAt: s.now()}
	if err := s.store.CreateWebhook(ctx, w); err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// Change is what Update changes; nil leaves a field as it is.
type Change struct {
	Name       *string
	URL        *string
	EventTypes []string
	Active     *bool
}

// Update changes a webhook. Turning it on again resumes its pending
// deliveries, oldest first.
func (s *Service) Update(ctx context.Context, id string, c Change) (Webhook, error) {
	if _, err := auth.Require(ctx, ManageApps); err != nil {
		return Webhook{}, err
	}
	w, err := s.store.Webhook(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Webhook{}, &errs.Problem{Field: errs.Field("id"), Code: CodeNotFound, Message: "no such webhook"}
	}
	if err != nil {
		return Webhook{}, err
	}
	if c.Name != nil {
		if w.Name = strings.TrimSpace(*c.Name); w.Name == "" {
			return Webhook{}, &errs.Problem{Field: errs.Field("name"), Code: CodeRequired, Message: "a name is required"}
		}
	}
	if c.URL != nil {
		if w.URL, err = s.checkURL(ctx, *c.URL); err != nil {
			return Webhook{}, err
		}
	}
	if c.EventTypes != nil {
		if w.EventTypes, err = checkEventTypes(c.EventTypes); err != nil {
			return Webhook{}, err
		}
	}
	if c.Active != nil {
		w.Active = *c.Active
		if w.Active {
			w.DisabledReason = ""
		} else if w.DisabledReason == "" {
			w.DisabledReason = "turned off by staff"
		}
	}
	if err := s.store.UpdateWebhook(ctx, w); err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// Delete removes a webhook and its delivery log.
func (s *Service) Delete(ctx context.Context, id string) (Webhook, error) {
	if _, err := auth.Require(ctx, ManageApps); err != nil {
		return Webhook{}, err
	}
	w, err := s.store.Webhook(ctx, id)
	if err == nil {
		err = s.store.DeleteWebhook(ctx, id)
	}
	if errors.Is(err, ErrNotFound) {
		return Webhook{}, &errs.Problem{Field: errs.Field("id"), Code: CodeNotFound, Message: "no such webhook"}
	}
	return w, err
}

// List is every webhook.
func (s *Service) List(ctx context.Context) ([]Webhook, error) {
	if _, err := auth.Require(ctx, ManageApps); err != nil {
		return nil, err
	}
	return s.store.Webhooks(ctx)
}

// Deliveries are a webhook's latest limit deliveries with their attempts.
func (s *Service) Deliveries(ctx context.Context, webhookID string, limit int) ([]Delivery, error) {
	if _, err := auth.Require(ctx, ManageApps); err != nil {
		return nil, err
	}
	return s.store.Deliveries(ctx, webhookID, limit)
}

// Replay sends a delivery's event again, as a new delivery (its own id and
// log) after the entity's pending ones.
func (s *Service) Replay(ctx context.Context, deliveryID string) (Delivery, error) {
	if _, err := auth.Require(ctx, ManageApps); err != nil {
		return Delivery{}, err
	}
	d, err := s.store.Delivery(ctx, deliveryID)
	if errors.Is(err, ErrNotFound) {
		return Delivery{}, &errs.Problem{Field: errs.Field("id"), Code: CodeNotFound, Message: "no such delivery"}
	}
	if err != nil {
		return Delivery{}, err
	}
	replay := Delivery{ID: s.newID("whd"), WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType, EntityKey: d.EntityKey,
		Body: d.Body, Status: Pending, CreatedAt: s.now(), NextAt: s.now(), ReplayOf: d.ID}
	if err := s.store.AddDeliveries(ctx, []Delivery{replay}); err != nil {
		return Delivery{}, err
	}
	return replay, nil
}

// entityKey orders deliveries: those of one order (or stock item) go in
// the order their events happened; others need no order among
// themselves.
func entityKey(e events.Event) string {
	for _, k := range []string{"orderId", "paymentId"} {
		if v, ok := e.Payload[k].(string); ok && v != "" {
			return k + ":" + v
		}
	}
	if w, ok := e.Payload["warehouseId"].(string); ok {
		v, _ := e.Payload["variantId"].(string)
		return "stock:" + w + "/" + v
	}
	return "event:" + e.ID
}

// Handle stores a delivery of e for each webhook subscribed to its type,
// inactive ones included: they get it when turned on again.
func (s *Service) Handle(ctx context.Context, e events.Event) error {
	if !slices.Contains(EventTypes, e.Type) {
		return nil
	}
	ws, err := s.store.Subscribed(ctx, e.Type)
	if err != nil || len(ws) == 0 {
		return err
	}
	body, err := json.Marshal(map[string]any{"id": e.ID, "type": e.Type, "occurredAt": e.OccurredAt.UTC().Format(time.RFC3339Nano), "data": e.Payload})
	if err != nil {
		return fmt.Errorf("webhook body: %w", err)
	}
	ds := make([]Delivery, len(ws))
	for i, w := range ws {
		ds[i] = Delivery{ID: s.newID("whd"), WebhookID: w.ID, EventID: e.ID, EventType: e.Type, EntityKey: entityKey(e), Body: body,
			Status: Pending, CreatedAt: s.now(), NextAt: s.now()}
	}
	return s.store.AddDeliveries(ctx, ds)
}

// DeliverDue sends what is due and records each attempt.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	ds, err := s.store.ClaimDue(ctx, 20, 2*s.cfg.Timeout+time.Minute)
	if err != nil {
		return 0, err
	}
	secrets := map[string]Webhook{}
	for _, d := range ds {
		w, ok := secrets[d.WebhookID]
		if !ok {
			if w, err = s.store.Webhook(ctx, d.WebhookID); err != nil {
				return 0, err
			}
			secrets[d.WebhookID] = w
		}
		o := s.attempt(ctx, w, d)
		failures, since, err := s.store.RecordAttempt(ctx, d, o)
		if err != nil {
			return 0, err
		}
		if o.Status != Succeeded && failures >= DisableAfter && o.Attempt.At.Sub(since) >= DisableAfterFor {
			if err := s.disable(ctx, w, failures, o.Attempt); err != nil {
				return 0, err
			}
		}
	}
	return len(ds), nil
}

func (s *Service) attempt(ctx context.Context, w Webhook, d Delivery) Outcome {
	start := s.now()
	o := Outcome{Attempt: Attempt{At: start}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(d.Body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "MyShop-Webhooks/1")
		req.Header.Set(HeaderID, d.ID)
		req.Header.Set(HeaderEvent, d.EventType)
		req.Header.Set(HeaderSignature, webhook.Sign(w.Secret, start, d.Body))
		var resp *http.Response
		if resp, err = s.client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			o.Attempt.StatusCode = resp.StatusCode
			if resp.StatusCode/100 != 2 {
				err = fmt.Errorf("answered %s", resp.Status)
			}
		}
	}
	o.Attempt.Duration = time.Since(start)
	switch {
	case err == nil:
		o.Status = Succeeded
	case start.Sub(d.CreatedAt) >= RetryFor:
		o.Status, o.Attempt.Error = Failed, err.Error()+fmt.Sprintf(" (retried for %s)", RetryFor)
	default:
		o.Status, o.Attempt.Error, o.NextAt = Pending, err.Error(), start.Add(Backoff(d.Attempts+1))
	}
	return o
}

// disable turns a failing webhook off and tells staff, once.
func (s *Service) disable(ctx context.Context, w Webhook, failures int, last Attempt) error {
	reason := fmt.Sprintf("%d failed attempts in a row; the last: %s", failures, last.Error)
	was, err := s.store.Disable(ctx, w.ID, reason)
	if err != nil || !was || s.notify == nil {
		return err
	}
	return s.notify(ctx, events.Event{ID: "evt_" + w.ID + "_disabled_" + last.At.UTC().Format("20060102T150405"), Type: EventDisabled,
		Source: "notifications", OccurredAt: last.At, Payload: map[string]any{"webhookId": w.ID, "webhookName": w.Name, "url": w.URL, "reason": reason}})
}

// EventDisabled is raised when a webhook is turned off for failing.
const EventDisabled = "webhook.disabled"

// RunDelivery delivers due deliveries every interval until ctx ends.
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
