package testcard

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
)

// ChallengeHandler serves the provider's 3-D Secure page at
// ChallengePath+ref, as a bank's would: GET shows it, POST answers it
// (decision=approve or fail). The answer goes to apply as the provider's
// event, the same way a real provider's webhook settles the payment, so
// the customer's order confirms whether or not their tab stays open.
func ChallengeHandler(p *Provider, apply func(context.Context, payment.WebhookEvent) error, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref := strings.TrimPrefix(r.URL.Path, ChallengePath)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		switch r.Method {
		case http.MethodGet:
			p.mu.Lock()
			_, waiting := p.challenges[ref]
			p.mu.Unlock()
			if !waiting {
				w.WriteHeader(http.StatusNotFound)
				_ = page.Execute(w, view{Done: true, Message: "Nothing to confirm: this check was answered or cancelled."})
				return
			}
			_ = page.Execute(w, view{Ref: ref})
		case http.MethodPost:
			decision := r.PostFormValue("decision")
			if decision != "approve" && decision != "fail" {
				w.WriteHeader(http.StatusBadRequest)
				_ = page.Execute(w, view{Done: true, Message: "Choose approve or fail."})
				return
			}
			err := p.Complete(r.Context(), ref, decision == "approve", apply)
			if errors.Is(err, ErrNoChallenge) {
				w.WriteHeader(http.StatusConflict)
				_ = page.Execute(w, view{Done: true, Message: "Nothing to confirm: this check was answered or cancelled."})
				return
			}
			if err != nil {
				log.ErrorContext(r.Context(), "3-D Secure answer", "ref", ref, "err", err)
				w.WriteHeader(http.StatusInternalServerError)
				_ = page.Execute(w, view{Ref: ref, Message: "That did not go through; try again."})
				return
			}
			msg, outcome := "Payment approved. You can return to the shop.", "approved"
			if decision == "fail" {
				msg, outcome = "Payment not approved.", "failed"
			}
			_ = page.Execute(w, view{Done: true, Message: msg, Outcome: outcome})
		default:
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

type view struct {
	Ref, Message, Outcome string
	Done                  bool
}

// page tells the frame's parent (the storefront) how it ended, so it can
// stop showing the frame; the order itself confirms from the event.
var page = template.Must(template.New("3ds").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test bank: confirm your payment</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}</style></head>
<body>
<h1>Test bank</h1>
{{if .Message}}<p role="status" id="message">{{.Message}}</p>{{end}}
{{if not .Done}}
<p>Your bank asks you to confirm this payment (3-D Secure, test mode).</p>
<form method="post">
<button name="decision" value="approve" id="approve">Approve</button>
<button name="decision" value="fail" id="fail">Fail</button>
</form>
{{end}}
{{if .Outcome}}<script>window.parent !== window && window.parent.postMessage({type: "payment-action", outcome: "{{.Outcome}}"}, "*");</script>{{end}}
</body></html>
`))
