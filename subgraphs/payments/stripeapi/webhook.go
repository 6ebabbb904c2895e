package stripeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v84"
	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// SignatureHeader is the header Stripe signs its webhooks in.
const SignatureHeader = "Stripe-Signature"

// Tolerance is how old a signed webhook may be: an older one (a replay of
// a captured request) is refused even with a good signature. Stripe's
// own default.
const Tolerance = webhook.DefaultTolerance

// Event types applied; others are acknowledged and ignored.
const (
	EventIntentSucceeded         = "payment_intent.succeeded"
	EventIntentFailed            = "payment_intent.payment_failed"
	EventIntentRequiresAction    = "payment_intent.requires_action"
	EventIntentCapturableUpdated = "payment_intent.amount_capturable_updated"
	EventChargeRefunded          = "charge.refunded"
	EventPayoutPaid              = "payout.paid"
)

// WebhookHandler verifies Stripe's webhooks with its webhook package
// (signature and timestamp tolerance), and applies each event once (a
// redelivery, even a simultaneous one, finds the event recorded): 2xx for
// an event applied now or before, so Stripe stops resending; 400 for one
// it cannot believe; 500 when applying failed, so Stripe retries.
func WebhookHandler(store payment.WebhookStore, secret string, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		ev, err := webhook.ConstructEventWithOptions(body, r.Header.Get(SignatureHeader), secret,
			webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
		if err != nil {
			log.WarnContext(r.Context(), "stripe webhook refused", "err", err)
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		e, ok, err := Event(ev)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !ok {
			_, _ = w.Write([]byte("ignored\n"))
			return
		}
		switch err := store.ApplyWebhook(r.Context(), "stripe", e); {
		case errors.Is(err, payment.ErrDuplicateWebhook):
			_, _ = w.Write([]byte("already processed\n"))
		case err != nil:
			log.ErrorContext(r.Context(), "stripe webhook", "event", ev.ID, "type", ev.Type, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		default:
			_, _ = w.Write([]byte("ok\n"))
		}
	})
}

// Event reads a verified Stripe event in our terms; false for a type we
// do not act on.
func Event(ev stripe.Event) (payment.ProviderEvent, bool, error) {
	e := payment.ProviderEvent{ID: ev.ID, Type: string(ev.Type)}
	if ev.Data == nil {
		return e, false, errors.New("stripe event without data")
	}
	switch e.Type {
	case EventIntentSucceeded, EventIntentFailed, EventIntentRequiresAction, EventIntentCapturableUpdated:
		var pi stripe.PaymentIntent
		if err := json.Unmarshal(ev.Data.Raw, &pi); err != nil {
			return e, false, fmt.Errorf("stripe event %s: %w", ev.ID, err)
		}
		if id := pi.Metadata[TransactionMetadata]; id != "" {
			e.Entries = []payment.EntryResult{{TransactionID: id, Result: AuthorizationResult(&pi)}}
		}
		if e.Type == EventIntentSucceeded {
			// Captured: the authorization succeeded too, if we had not
			// heard, and so did any capture whose answer we missed.
			e.PaymentRef, e.CapturesSucceeded = pi.ID, true
		}
	case EventChargeRefunded:
		var ch stripe.Charge
		if err := json.Unmarshal(ev.Data.Raw, &ch); err != nil {
			return e, false, fmt.Errorf("stripe event %s: %w", ev.ID, err)
		}
		if ch.PaymentIntent == nil {
			return e, false, nil
		}
		e.PaymentRef, e.Refunded = ch.PaymentIntent.ID, &ch.AmountRefunded
	case EventPayoutPaid:
		var po stripe.Payout
		if err := json.Unmarshal(ev.Data.Raw, &po); err != nil {
			return e, false, fmt.Errorf("stripe event %s: %w", ev.ID, err)
		}
		e.Payout = &payment.ProviderPayout{ID: po.ID, Amount: money.Money{Minor: po.Amount, Currency: money.Currency(strings.ToUpper(string(po.Currency)))},
			Status: string(po.Status), ArrivalDate: time.Unix(po.ArrivalDate, 0).UTC()}
	default:
		return e, false, nil
	}
	return e, true, nil
}
