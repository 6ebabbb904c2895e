package payments

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/platform/webhook"
)

// SignatureHeader carries a webhook's signature.
const SignatureHeader = "Payments-Signature"

// devWebhookSecret is used when PAYMENTS_WEBHOOK_SECRET is unset, so the
// test provider's webhooks work out of the box in development.
const devWebhookSecret = "whsec_dev_only"

func webhookSecret(d subgraph.Deps) string {
	return d.Setting("PAYMENTS_WEBHOOK_SECRET", devWebhookSecret)
}

// webhookHandler verifies, dedupes and applies provider events. It answers
// 2xx for events it has applied or applied before (so the provider stops
// resending) and 4xx for ones it does not believe.
func webhookHandler(store payment.WebhookStore, provider, secret string, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(SignatureHeader), body, time.Now()); err != nil {
			log.WarnContext(r.Context(), "webhook refused", "provider", provider, "err", err)
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		e, err := payment.ParseWebhook(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		switch err := store.ApplyWebhook(r.Context(), provider, e.Event()); {
		case errors.Is(err, payment.ErrDuplicateWebhook):
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("already processed\n"))
		case err != nil:
			log.ErrorContext(r.Context(), "webhook", "provider", provider, "event", e.ID, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError) // the provider retries
		default:
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("ok\n"))
		}
	})
}
