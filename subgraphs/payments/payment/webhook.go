package payment

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureTolerance is how old a webhook's timestamp may be: older ones
// are replays.
const SignatureTolerance = 5 * time.Minute

// ErrBadSignature covers every reason a webhook is not believed.
var ErrBadSignature = errors.New("webhook signature invalid")

// Sign returns the signature header value for body at time t: what the
// provider sends, "t=<unix>,v1=<hex HMAC-SHA256 of "<unix>.<body>">".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

// VerifySignature checks header against body: a known signature over the
// timestamp and the exact bytes, and a timestamp within the tolerance.
func VerifySignature(secret, header string, body []byte, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: malformed header", ErrBadSignature)
	}
	if age := now.Sub(time.Unix(unix, 0)); age > SignatureTolerance || age < -SignatureTolerance {
		return fmt.Errorf("%w: timestamp outside the tolerance", ErrBadSignature)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no signature matches", ErrBadSignature)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

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
