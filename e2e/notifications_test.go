package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/smtptest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// TestEventsReachTheMailbox follows one fact through the whole stack: a
// password reset asked through the router is recorded by users in its
// outbox, relayed to the Redis stream, consumed by notifications, rendered
// and sent over SMTP to a real (in-test) mail server. Then the other way:
// one click on a newsletter's unsubscribe link, taken by notifications,
// reaches the profile in users (me.marketingEmails), and consent given
// again in the profile brings the newsletter back.
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
	mailed := func(subject string) *smtptest.Mail {
		for _, m := range mail.Received() {
			if m.To == "ada.allen.1@example.com" && strings.Contains(m.Data, "Subject: "+subject) {
				return &m
			}
		}
		return nil
	}
	eventually(t, "the reset mail", func() bool { return mailed("Reset your password") != nil })

	adminPassword, err := userstore.EnsureAdmin(context.Background(), st.Subgraphs["users"].Pool)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, st.Router.URL, userstore.AdminEmail, adminPassword)
	ada := login(t, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)
	do := func(token, q string, vars map[string]any) []byte {
		t.Helper()
		_, r := queryAs(t, st.Router.URL, token, q, vars)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %+v", q, r.Errors)
		}
		return r.Data
	}
	consent := func(on bool) {
		t.Helper()
		do(ada, `mutation($on: Boolean) { updateProfile(input: {name: "Ada Allen", marketingEmails: $on}) { errors { code } } }`, map[string]any{"on": on})
		eventually(t, "notifications learning the consent", func() bool {
			return strings.Contains(string(do(ada, `{ myNotificationPreferences { category channel enabled } }`, nil)),
				`{"category":"MARKETING","channel":"EMAIL","enabled":`+map[bool]string{true: "true", false: "false"}[on]+`}`)
		})
	}
	newsletter := func(subject string) bool { // whether Ada is among the recipients
		t.Helper()
		do(admin, `mutation($s: String!) { sendNewsletter(input: {subject: $s, bodyText: "Hello {{.name}}\nUnsubscribe: {{.unsubscribeUrl}}\n"}) { errors { code } } }`,
			map[string]any{"s": subject})
		var out struct{ MyNotifications []struct{ Subject string } }
		gqltest.Decode(t, do(ada, `{ myNotifications(first: 50) { subject } }`, nil), &out) // queued by sendNewsletter itself
		for _, m := range out.MyNotifications {
			if m.Subject == subject {
				return true
			}
		}
		return false
	}
	consent(true)
	if !newsletter("Spring sale") {
		t.Fatal("the first newsletter did not go to Ada")
	}
	eventually(t, "the newsletter mail", func() bool { return mailed("Spring sale") != nil })
	link := regexp.MustCompile(`unsubscribe\?token=([A-Za-z0-9_.=-]+)`).FindStringSubmatch(mailed("Spring sale").Data)
	if link == nil {
		t.Fatalf("no unsubscribe link in %s", mailed("Spring sale").Data)
	}
	do("", `mutation($t: String!) { unsubscribe(token: $t) { enabled } }`, map[string]any{"t": link[1]})
	eventually(t, "the profile showing the unsubscribe", func() bool {
		return string(do(ada, `{ me { marketingEmails } }`, nil)) == `{"me":{"marketingEmails":false}}`
	})
	if newsletter("Summer sale") {
		t.Fatal("a newsletter went to Ada after she unsubscribed")
	}
	consent(true)
	if !newsletter("Autumn sale") {
		t.Fatal("consent given again in the profile did not bring the newsletter back")
	}
}
