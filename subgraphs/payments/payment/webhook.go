package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// WebhookStore records processed webhook events.
type WebhookStore interface {
	// ApplyWebhook records the event and settles the entry in one
	// transaction; ErrDuplicateWebhook when the event was seen before.
	ApplyWebhook(ctx context.Context, provider string, e WebhookEvent) error
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
