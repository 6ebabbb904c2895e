// Package payment is the payments domain: payments as append-only ledgers
// of provider transactions, their derived status, refunds that never
// exceed captures, and idempotent operations.
package payment

import (
	"context"
	"errors"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Payment is one order's payment: what was asked, and its ledger.
type Payment struct {
	ID          string
	OrderID     string
	UserID      string
	Amount      money.Money
	Provider    string
	ProviderRef string // the provider's id of the authorization
	CreatedAt   time.Time
}

// Kind of a ledger entry.
type Kind string

// Ledger entry kinds.
const (
	Authorize Kind = "AUTHORIZE"
	Capture   Kind = "CAPTURE"
	Void      Kind = "VOID"
	Refund    Kind = "REFUND"
)

// Outcome of a ledger entry.
type Outcome string

// Outcomes. Pending is an entry whose provider call did not answer (a
// timeout): the outcome is learnt later from a retry with the same
// idempotency key or from a webhook, and until then it counts as possibly
// done, so nothing is charged or refunded twice.
const (
	Succeeded      Outcome = "SUCCEEDED"
	Failed         Outcome = "FAILED"
	Pending        Outcome = "PENDING"
	RequiresAction Outcome = "REQUIRES_ACTION"
)

// Transaction is one ledger entry. Entries are only ever added, except
// that a Pending entry gets its final outcome once.
type Transaction struct {
	ID          string
	PaymentID   string
	Kind        Kind
	Outcome     Outcome
	Amount      money.Money
	ProviderRef string
	ErrorCode   string
	// Action is what the customer must do, for an authorization that
	// REQUIRES_ACTION.
	Action    *Action
	CreatedAt time.Time
}

// Action is a step only the customer can take (3-D Secure): open
// RedirectURL, or let the provider's client library finish it with
// ClientSecret.
type Action struct {
	Type         ActionType
	RedirectURL  string
	ClientSecret string
}

// ActionType says how the customer takes an Action.
type ActionType string

// Action types.
const (
	ActionRedirect ActionType = "REDIRECT"
	ActionSDK      ActionType = "SDK"
)

// NextAction is what the customer must do before the payment can go on:
// the last authorization's action while the payment REQUIRES_ACTION, else nil.
func NextAction(txs []Transaction) *Action {
	if StatusOf(txs) != StatusRequiresAction {
		return nil
	}
	for i := len(txs) - 1; i >= 0; i-- {
		if txs[i].Kind == Authorize && txs[i].Outcome == RequiresAction {
			return txs[i].Action
		}
	}
	return nil
}

// Status is derived from the ledger, never stored.
type Status string

// Statuses.
const (
	StatusPending           Status = "PENDING"
	StatusRequiresAction    Status = "REQUIRES_ACTION"
	StatusFailed            Status = "FAILED"
	StatusAuthorized        Status = "AUTHORIZED"
	StatusPartiallyPaid     Status = "PARTIALLY_PAID"
	StatusPaid              Status = "PAID"
	StatusPartiallyRefunded Status = "PARTIALLY_REFUNDED"
	StatusRefunded          Status = "REFUNDED"
	StatusVoided            Status = "VOIDED"
)

// Totals are the sums a ledger implies.
type Totals struct {
	Authorized int64
	Captured   int64
	Refunded   int64
	// PendingCapture and PendingRefund are in flight: they may yet succeed.
	PendingCapture int64
	PendingRefund  int64
	Voided         bool
	Action         bool // the last authorization needs the customer (3-D Secure)
	AuthFailed     bool
}

// Sum adds up a payment's ledger.
func Sum(txs []Transaction) Totals {
	var t Totals
	for _, tx := range txs {
		switch {
		case tx.Kind == Authorize && tx.Outcome == Succeeded:
			t.Authorized += tx.Amount.Minor
			t.Action = false
		case tx.Kind == Authorize && tx.Outcome == RequiresAction:
			t.Action = true
		case tx.Kind == Authorize && tx.Outcome == Failed:
			t.AuthFailed = true
		case tx.Kind == Capture && tx.Outcome == Succeeded:
			t.Captured += tx.Amount.Minor
		case tx.Kind == Capture && tx.Outcome == Pending:
			t.PendingCapture += tx.Amount.Minor
		case tx.Kind == Refund && tx.Outcome == Succeeded:
			t.Refunded += tx.Amount.Minor
		case tx.Kind == Refund && tx.Outcome == Pending:
			t.PendingRefund += tx.Amount.Minor
		case tx.Kind == Void && tx.Outcome == Succeeded:
			t.Voided = true
		}
	}
	return t
}

// StatusOf derives a payment's status from its ledger.
func StatusOf(txs []Transaction) Status {
	t := Sum(txs)
	switch {
	case t.Voided:
		return StatusVoided
	case t.Refunded > 0 && t.Refunded >= t.Captured:
		return StatusRefunded
	case t.Refunded > 0:
		return StatusPartiallyRefunded
	case t.Captured > 0 && t.Captured >= t.Authorized:
		return StatusPaid
	case t.Captured > 0:
		return StatusPartiallyPaid
	case t.Authorized > 0:
		return StatusAuthorized
	case t.Action:
		return StatusRequiresAction
	case t.AuthFailed:
		return StatusFailed
	}
	return StatusPending
}

// Errors the store and service return.
var (
	ErrNotFound         = errors.New("payment not found")
	ErrKeyReused        = errors.New("idempotency key reused with another request")
	ErrDuplicateWebhook = errors.New("webhook event already processed")
)

// Provider is a payment service provider: a card network's front door.
// Every call carries an idempotency key, so a retry after a timeout can
// never charge twice: the provider answers it with the first outcome.
type Provider interface {
	Name() string
	Authorize(ctx context.Context, r ProviderRequest) (ProviderResult, error)
	Capture(ctx context.Context, r ProviderRequest) (ProviderResult, error)
	Void(ctx context.Context, r ProviderRequest) (ProviderResult, error)
	Refund(ctx context.Context, r ProviderRequest) (ProviderResult, error)
	// Card describes the card behind a token the client got from the
	// provider's own form; we never see card numbers.
	Card(ctx context.Context, token string) (Card, error)
}

// Card is what may be shown of a saved card.
type Card struct {
	Brand    string
	Last4    string
	ExpMonth int
	ExpYear  int
}

// ErrUnknownToken is returned by Card for a token the provider never issued.
var ErrUnknownToken = errors.New("unknown payment method token")

// ProviderRequest is one call to a provider.
type ProviderRequest struct {
	IdempotencyKey string
	Amount         money.Money
	Token          string // payment method token, for Authorize
	Ref            string // the authorization's reference, for the others
}

// ProviderResult is a provider's answer. An error from the call itself
// (timeout, connection) means the outcome is unknown.
type ProviderResult struct {
	Outcome   Outcome // Succeeded, Failed or RequiresAction
	Ref       string
	ErrorCode string  // e.g. card_declined
	Action    *Action // with RequiresAction: what the customer must do
}

type publicURLKey struct{}

// WithPublicURL says at which base URL the customer's browser reaches
// this service, for providers that serve their own pages (the test
// provider's 3-D Secure challenge).
func WithPublicURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, publicURLKey{}, base)
}

// PublicURL is the base WithPublicURL set, or "".
func PublicURL(ctx context.Context) string {
	s, _ := ctx.Value(publicURLKey{}).(string)
	return s
}
