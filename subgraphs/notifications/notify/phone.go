package notify

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// Problem codes of phone verification (NotificationErrorCode).
const (
	CodeInvalidPhone    = "INVALID_PHONE"
	CodeInvalidCode     = "INVALID_CODE"
	CodeExpired         = "CODE_EXPIRED"
	CodeTooManyAttempts = "TOO_MANY_ATTEMPTS"
	CodeTooSoon         = "TOO_SOON"
	CodeNotFound        = "NOT_FOUND"
)

// Phone verification limits: a code lives PhoneCodeTTL, may be guessed
// PhoneCodeAttempts times, and a new one is sent at most every
// PhoneResendAfter (each costs an SMS).
const (
	PhoneCodeTTL      = 10 * time.Minute
	PhoneCodeAttempts = 5
	PhoneResendAfter  = 30 * time.Second
)

// EventPhoneVerification is the event type of the messages that carry a
// verification code. Its SMS is a template like every other message's
// (variables name, code, minutes), so staff translate it with
// saveNotificationTemplate and each shopper gets it in their locale.
const EventPhoneVerification = "phone.verification_requested"

// PendingPhone is a number being confirmed.
type PendingPhone struct {
	Phone     string
	CodeHash  string
	Attempts  int
	SentAt    time.Time
	ExpiresAt time.Time
}

// PhoneStore is what phone verification needs from storage.
type PhoneStore interface {
	Contact(ctx context.Context, userID string) (Contact, error)           // ErrNotFound
	PendingPhone(ctx context.Context, userID string) (PendingPhone, error) // ErrNotFound
	// StartPhone replaces the user's pending number and enqueues the
	// message with its code, in one transaction.
	StartPhone(ctx context.Context, userID string, p PendingPhone, m Message) error
	// PhoneCodeTried counts a wrong guess.
	PhoneCodeTried(ctx context.Context, userID string) error
	// ConfirmPhone makes the pending number the user's SMS number.
	ConfirmPhone(ctx context.Context, userID, phone string) error
	RemovePhone(ctx context.Context, userID string) error
}

// Phones verifies the numbers SMS go to: a number is used only after its
// owner typed the code sent to it.
type Phones struct {
	store  PhoneStore
	texts  *Service // renders the code's SMS from the recipient's locale template
	secret []byte   // keys the code hashes
	newID  func(string) string
	now    func() time.Time
}

// NewPhones returns phone verification over store; texts renders the
// code's SMS, secret keys the stored code hashes.
func NewPhones(store PhoneStore, texts *Service, secret string, newID func(string) string) *Phones {
	return &Phones{store: store, texts: texts, secret: []byte(secret), newID: newID, now: time.Now}
}

// Phone is the caller's number: verified, or pending confirmation.
type Phone struct {
	Number   string
	Verified bool
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// NormalizePhone returns the number in E.164 (+4915112345678): spaces,
// dots, dashes and brackets people type are dropped, a leading 00 becomes
// +; anything else must already be international.
func NormalizePhone(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '\u00a0':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if strings.HasPrefix(s, "00") {
		s = "+" + s[2:]
	}
	if !e164.MatchString(s) {
		return "", &errs.Problem{Field: errs.Field("phone"), Code: CodeInvalidPhone,
			Message: "give the number in international form with its country code, such as +4915112345678"}
	}
	return s, nil
}

// Mine is the caller's verified number, else the one being confirmed;
// nil when there is neither.
func (p *Phones) Mine(ctx context.Context) (*Phone, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	contact, err := p.store.Contact(ctx, c.UserID())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if contact.Phone != "" {
		return &Phone{Number: contact.Phone, Verified: true}, nil
	}
	pending, err := p.store.PendingPhone(ctx, c.UserID())
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Phone{Number: pending.Phone}, nil
}

// Start sends a code by SMS to phone, which becomes the caller's number
// once Confirm gets the code back.
func (p *Phones) Start(ctx context.Context, phone string) (*Phone, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	number, err := NormalizePhone(phone)
	if err != nil {
		return nil, err
	}
	now := p.now()
	prev, err := p.store.PendingPhone(ctx, c.UserID())
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return nil, err
	case now.Sub(prev.SentAt) < PhoneResendAfter:
		wait := PhoneResendAfter - now.Sub(prev.SentAt)
		return nil, &errs.Problem{Field: errs.Field("phone"), Code: CodeTooSoon,
			Message: fmt.Sprintf("a code was just sent; ask for another in %d seconds", int(wait.Seconds()+0.5))}
	}
	code, err := newCode()
	if err != nil {
		return nil, err
	}
	contact, err := p.store.Contact(ctx, c.UserID())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	text, err := p.texts.Render(ctx, EventPhoneVerification, SMS, contact.Locale, map[string]any{
		"name": contact.Name, "code": code, "minutes": fmt.Sprint(int(PhoneCodeTTL.Minutes()))})
	if err != nil {
		return nil, fmt.Errorf("phone code text: %w", err)
	}
	m := Message{ID: p.newID("msg"), EventID: p.newID("phv"), EventType: EventPhoneVerification, Recipient: c.UserID(),
		Channel: SMS, Category: Security, To: number, Status: Queued, BodyText: text.Text}
	pending := PendingPhone{Phone: number, CodeHash: p.hash(c.UserID(), number, code), SentAt: now, ExpiresAt: now.Add(PhoneCodeTTL)}
	if err := p.store.StartPhone(ctx, c.UserID(), pending, m); err != nil {
		return nil, err
	}
	return &Phone{Number: number}, nil
}

// Confirm checks the code sent by Start; the number then receives SMS
// (for the categories the caller opted into).
func (p *Phones) Confirm(ctx context.Context, code string) (*Phone, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	pending, err := p.store.PendingPhone(ctx, c.UserID())
	if errors.Is(err, ErrNotFound) {
		return nil, &errs.Problem{Field: errs.Field("code"), Code: CodeNotFound, Message: "no number is waiting for a code; start again"}
	}
	if err != nil {
		return nil, err
	}
	switch {
	case p.now().After(pending.ExpiresAt):
		return nil, &errs.Problem{Field: errs.Field("code"), Code: CodeExpired, Message: "this code has expired; ask for a new one"}
	case pending.Attempts >= PhoneCodeAttempts:
		return nil, &errs.Problem{Field: errs.Field("code"), Code: CodeTooManyAttempts, Message: "too many wrong codes; ask for a new one"}
	}
	want := p.hash(c.UserID(), pending.Phone, strings.TrimSpace(code))
	if !hmac.Equal([]byte(want), []byte(pending.CodeHash)) {
		if err := p.store.PhoneCodeTried(ctx, c.UserID()); err != nil {
			return nil, err
		}
		return nil, &errs.Problem{Field: errs.Field("code"), Code: CodeInvalidCode, Message: "this is not the code we sent"}
	}
	if err := p.store.ConfirmPhone(ctx, c.UserID(), pending.Phone); err != nil {
		return nil, err
	}
	return &Phone{Number: pending.Phone, Verified: true}, nil
}

// Remove forgets the caller's number, verified or pending: no SMS follow.
func (p *Phones) Remove(ctx context.Context) error {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return err
	}
	return p.store.RemovePhone(ctx, c.UserID())
}

// hash binds a code to its user and number, keyed so a leaked table does
// not give the codes away by brute force over a million values.
func (p *Phones) hash(userID, phone, code string) string {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(userID + "|" + phone + "|" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("phone code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}
