// Package notify is the notifications domain: which domain events become
// which messages to whom, on which channel, rendered from which template,
// and what the recipient allowed.
package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/events"
)

// Event is a domain event read from the event stream.
type Event = events.Event

// Category groups messages for preferences. SECURITY messages (a password
// reset) go out whatever the user opted out of.
type Category string

// Categories.
const (
	Orders    Category = "ORDERS"
	Marketing Category = "MARKETING"
	Security  Category = "SECURITY"
)

// Channel is how a message travels.
type Channel string

// Channels.
const (
	Email Channel = "EMAIL"
	SMS   Channel = "SMS"
	Push  Channel = "PUSH"
)

// Staff is the recipient of messages meant for the shop's staff.
const Staff = "staff"

// Trigger says what an event type sends.
type Trigger struct {
	Category Category
	Channels []Channel
	// Variables are what its templates may use; anything else is refused
	// when a template is saved.
	Variables []string
	// Recipient picks the user to notify (Staff for the shop's staff); ""
	// means this event sends nothing (e.g. a settled payment that is not a
	// failure or a refund).
	Recipient func(Event) string
	// Skip, when set, leaves a channel out for some events: an SMS costs
	// money and interrupts, so it goes only at the moments worth it.
	Skip func(e Event, ch Channel) bool
}

func payloadUser(e Event) string { s, _ := e.Payload["userId"].(string); return s }

// Triggers are every event type that sends something.
var Triggers = map[string]Trigger{
	"user.email_verification_requested": {Category: Security, Channels: []Channel{Email},
		Variables: []string{"name", "email", "token", "expiresAt"}, Recipient: payloadUser},
	"user.password_reset_requested": {Category: Security, Channels: []Channel{Email},
		Variables: []string{"name", "email", "token", "expiresAt"}, Recipient: payloadUser},
	"inventory.low_stock": {Category: Orders, Channels: []Channel{Email},
		Variables: []string{"warehouseId", "variantId", "available", "threshold"}, Recipient: func(Event) string { return Staff }},
	"payment.transaction_settled": {Category: Orders, Channels: []Channel{Email},
		Variables: []string{"name", "orderId", "paymentId", "kind", "outcome", "amountMinor", "errorCode"},
		Recipient: func(e Event) string {
			kind, _ := e.Payload["kind"].(string)
			outcome, _ := e.Payload["outcome"].(string)
			if (kind == "AUTHORIZE" && outcome == "FAILED") || (kind == "REFUND" && outcome == "SUCCEEDED") {
				return payloadUser(e)
			}
			return ""
		}},
	"order.status_changed": {Category: Orders, Channels: []Channel{Email, Push, SMS},
		Variables: []string{"name", "orderId", "number", "from", "to"},
		Recipient: func(e Event) string {
			switch e.Payload["to"] {
			case "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELED":
				return payloadUser(e)
			}
			return ""
		},
		// A placed order's SMS goes with order.placed.
		Skip: func(e Event, ch Channel) bool {
			return ch == SMS && e.Payload["to"] != "SHIPPED" && e.Payload["to"] != "DELIVERED"
		}},
	// Raised by the webhooks worker (package hooks), not read from the stream.
	"webhook.disabled": {Category: Orders, Channels: []Channel{Email},
		Variables: []string{"webhookId", "webhookName", "url", "reason"}, Recipient: func(Event) string { return Staff }},
	"order.placed": {Category: Orders, Channels: []Channel{SMS},
		Variables: []string{"name", "orderId", "number", "status"}, Recipient: payloadUser},
	// Sent by Phones.Start when a shopper adds a number, not read from the
	// stream; listed so its text is a template staff can translate.
	EventPhoneVerification: {Category: Security, Channels: []Channel{SMS},
		Variables: []string{"name", "code", "minutes"}, Recipient: func(Event) string { return "" }},
}

// DefaultEnabled is whether a category is on for a channel until the user
// chooses: marketing needs an opt-in on every channel (GDPR consent, given
// in the profile or here), SMS per category (as carriers and the TCPA
// ask); the rest is on until turned off.
func DefaultEnabled(cat Category, ch Channel) bool {
	switch {
	case cat == Security:
		return true
	case cat == Marketing:
		return false
	}
	return ch != SMS
}

// Message is one notification to one recipient on one channel.
type Message struct {
	ID        string
	EventID   string
	EventType string
	Recipient string
	Channel   Channel
	Category  Category
	To        string
	Subject   string
	BodyText  string
	BodyHTML  string
	Status    Status
	Attempts  int
	LastError string
	CreatedAt time.Time
	History   []StatusChange
}

// Status of a message.
type Status string

// Statuses: QUEUED until sent; SENT when the provider took it; DELIVERED,
// OPENED or BOUNCED when its callback says so; FAILED after MaxAttempts
// (the dead letter); SUPPRESSED when the recipient opted out; CAPTURED
// when no provider is configured for the channel: the message stays in the
// development outbox, where developers read it, and never leaves the machine.
const (
	Queued     Status = "QUEUED"
	Sent       Status = "SENT"
	Delivered  Status = "DELIVERED"
	Opened     Status = "OPENED"
	Failed     Status = "FAILED"
	Bounced    Status = "BOUNCED"
	Suppressed Status = "SUPPRESSED"
	Captured   Status = "CAPTURED"
)

// StatusChange is one entry of a message's history.
type StatusChange struct {
	Status Status
	At     time.Time
	Detail string
}

// MaxAttempts is how many times a message is tried before it is failed.
const MaxAttempts = 5

// Backoff is the wait before attempt n+1 (n ≥ 1): 2s, 4s, 8s, … capped.
func Backoff(n int) time.Duration {
	d := time.Second << min(n, 10)
	return min(d, 10*time.Minute)
}

// Sender delivers a message on one channel and returns the provider's
// reference. An error means "not sent, try again".
type Sender interface {
	Send(ctx context.Context, m Message) (ref string, err error)
}

// ErrPermanent marks a send error retrying cannot fix (a refused address).
var ErrPermanent = errors.New("permanent delivery failure")

// ErrOptedOut is a permanent failure because the recipient withdrew
// consent at the provider (an SMS answered STOP): the channel is turned
// off for them here too, so nothing more is tried.
var ErrOptedOut = fmt.Errorf("%w: the recipient opted out at the provider", ErrPermanent)

// Contact is where a user can be reached.
type Contact struct {
	UserID string
	Email  string
	Phone  string
	Name   string
	Locale string
	// PushDevices is how many browsers subscribed to push for the user.
	PushDevices int
}

// Address is the contact's address on channel, "" when unknown.
func (c Contact) Address(ch Channel) string {
	switch ch {
	case Email:
		return c.Email
	case SMS:
		return c.Phone // only ever a verified number (Phones.Confirm)
	case Push:
		return c.UserID // push goes to the user's devices, by user id
	}
	return ""
}

func checkChannel(ch Channel) error {
	switch ch {
	case Email, SMS, Push:
		return nil
	}
	return fmt.Errorf("unknown channel %q", ch)
}

func checkCategory(c Category) error {
	switch c {
	case Orders, Marketing, Security:
		return nil
	}
	return fmt.Errorf("unknown category %q", strings.ToLower(string(c)))
}
