package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/smtptest"
)

// TestEventsReachTheMailbox follows one fact through the whole stack: a
// password reset asked through the router is recorded by users in its
// outbox, relayed to the Redis stream, consumed by notifications, rendered
// and sent over SMTP to a real (in-test) mail server.
func TestEventsReachTheMailbox(t *testing.T) {
	t.Parallel()
	mail := smtptest.New(t)
	st := stack.Start(t, stack.Options{Background: true, Env: map[string]string{"NOTIFICATIONS_SMTP_ADDR": mail.Addr}})
	_, resp := queryAs(t, st.Router.URL, "", `mutation { requestPasswordReset(email: "ada.allen.1@example.com") { ok } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	// Eventual by design (relay, stream, consumer, delivery): wait for it,
	// up to a bound that only a broken pipeline exceeds.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range mail.Received() {
			if m.To == "ada.allen.1@example.com" && strings.Contains(m.Data, "Subject: Reset your password") {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no reset mail arrived; the server got %+v", mail.Received())
}
