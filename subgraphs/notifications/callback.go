package notifications

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	"github.com/myshop/supergraph/subgraphs/notifications/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/webhook"
)

// CallbackPath receives delivery reports from email, SMS and push
// providers: POST {"reference": <message id or provider id>, "status":
// "DELIVERED"|"OPENED"|"BOUNCED", "detail": "..."}, signed in the
// CallbackSignatureHeader like payments' webhooks.
const CallbackPath = "/callbacks/delivery"

// CallbackSignatureHeader carries the callback's signature.
const CallbackSignatureHeader = "Notifications-Signature"

func callbackHandler(store *postgres.Store, secret string, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(CallbackSignatureHeader), body, time.Now()); err != nil {
			log.WarnContext(r.Context(), "delivery callback refused", "err", err)
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		var report struct {
			Reference string        `json:"reference"`
			Status    notify.Status `json:"status"`
			Detail    string        `json:"detail"`
		}
		if err := json.Unmarshal(body, &report); err != nil || report.Reference == "" {
			http.Error(w, "reference and status are required", http.StatusBadRequest)
			return
		}
		switch report.Status {
		case notify.Delivered, notify.Opened, notify.Bounced:
		default:
			http.Error(w, "status must be DELIVERED, OPENED or BOUNCED", http.StatusBadRequest)
			return
		}
		found, err := store.Callback(r.Context(), report.Reference, report.Status, report.Detail)
		switch {
		case err != nil:
			log.ErrorContext(r.Context(), "delivery callback", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError) // the provider retries
		case !found:
			http.Error(w, "no such message", http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
}
