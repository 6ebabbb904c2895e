package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// WebhookEvent is a provider's notice that one of our operations settled
// (a capture that timed out, a 3-D Secure authorization the customer
// finished).
type WebhookEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		// TransactionID is our ledger entry: the idempotency key we sent.
		TransactionID string  `json:"transaction_id"`
		Outcome       Outcome `json:"outcome"`
		Ref           string  `json:"ref"`
		ErrorCode     string  `json:"error_code"`
	} `json:"data"`
}

// Event is the event in the terms every provider's events are applied in.
func (e WebhookEvent) Event() ProviderEvent {
	return ProviderEvent{ID: e.ID, Type: e.Type, Entries: []EntryResult{{TransactionID: e.Data.TransactionID,
		Result: ProviderResult{Outcome: e.Data.Outcome, Ref: e.Data.Ref, ErrorCode: e.Data.ErrorCode}}}}
}

// ProviderEvent is what a provider's webhook event reports, in our terms.
type ProviderEvent struct {
	ID, Type string
	// Entries are ledger entries the provider names (by the id we gave
	// it) with how they ended.
	Entries []EntryResult
	// PaymentRef names a payment by the provider's reference, for what
	// the provider reports without naming our entries:
	PaymentRef string
	// CapturesSucceeded: every capture of the payment still pending succeeded.
	CapturesSucceeded bool
	// Refunded, when set, is the total the provider has refunded on the
	// payment: pending refunds, oldest first, succeeded as far as it covers.
	Refunded *int64
	// Payout is money the provider paid to the shop's bank account.
	Payout *ProviderPayout
}

// EntryResult is how one ledger entry ended.
type EntryResult struct {
	TransactionID string
	Result        ProviderResult
}

// ProviderPayout is a provider's payout to the shop's bank account.
type ProviderPayout struct {
	ID          string
	Amount      money.Money
	Status      string
	ArrivalDate time.Time
}

// WebhookStore records processed webhook events.
type WebhookStore interface {
	// ApplyWebhook records the event and applies what it reports in one
	// transaction; ErrDuplicateWebhook when the event was seen before.
	ApplyWebhook(ctx context.Context, provider string, e ProviderEvent) error
}

// ParseWebhook reads a verified webhook body.
func ParseWebhook(body []byte) (WebhookEvent, error) {
	var e WebhookEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return WebhookEvent{}, fmt.Errorf("webhook body: %w", err)
	}
	if e.ID == "" || e.Data.TransactionID == "" {
		return WebhookEvent{}, errors.New("webhook body: id and data.transaction_id are required")
	}
	switch e.Data.Outcome {
	case Succeeded, Failed, RequiresAction:
	default:
		return WebhookEvent{}, fmt.Errorf("webhook body: outcome %q is not one we know", e.Data.Outcome)
	}
	return e, nil
}
