package notifications

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/myshop/supergraph/subgraphs/notifications/channel"
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

// TwilioCallbackPath receives Twilio's message status callbacks
// (form-encoded, signed in X-Twilio-Signature with the account's auth
// token over the URL and the parameters).
const TwilioCallbackPath = "/callbacks/twilio"

// twilioCallbackHandler checks the signature with Twilio's own request
// validator against publicURL, the address Twilio was given (the request's
// own when ""), then records delivered or undelivered. Twilio signs no
// timestamp, so a replayed report is harmless instead: a message never
// moves back.
func twilioCallbackHandler(store *postgres.Store, authToken, publicURL string, log *slog.Logger) http.Handler {
	validator := client.NewRequestValidator(authToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "a form body is required", http.StatusBadRequest)
			return
		}
		params := map[string]string{}
		for k, v := range r.PostForm {
			params[k] = v[0]
		}
		u := publicURL
		if u == "" {
			u = "http://" + r.Host + r.URL.RequestURI()
		}
		if authToken == "" || !validator.Validate(u, params, r.Header.Get("X-Twilio-Signature")) {
			log.WarnContext(r.Context(), "twilio callback refused: bad signature", "url", u)
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		sid := params["MessageSid"]
		if sid == "" {
			http.Error(w, "MessageSid is required", http.StatusBadRequest)
			return
		}
		status, ok := channel.TwilioStatus(params["MessageStatus"])
		if !ok {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		detail := "twilio: " + params["MessageStatus"]
		if code := params["ErrorCode"]; code != "" {
			detail += " (error " + code + ")"
		}
		found, err := store.Callback(r.Context(), sid, status, detail)
		switch {
		case err != nil:
			log.ErrorContext(r.Context(), "twilio callback", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
		case !found:
			http.Error(w, "no such message", http.StatusNotFound)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
}
