package notifications_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// The locale chosen at registration or in the profile is used for every
// message, the phone verification code's SMS too: an event that carries
// none keeps it.
func TestLocaleIsKeptAndUsed(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	e := twilioEnv(t, tw)
	staff := e.tokens.Token("usr_staff", notify.ManageNotifications)
	save := `mutation { saveNotificationTemplate(input: {eventType: "user.password_reset_requested", channel: EMAIL, locale: "de",
		subject: "Passwort zurücksetzen", bodyText: "Hallo {{.name}}, dein Code: {{.token}}"}) { version } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, save, nil).Data, `{"saveNotificationTemplate":{"version":1}}`)
	e.publish(t, "evt_r", "user.registered", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "locale": "de"})
	e.publish(t, "evt_v", "user.email_verified", map[string]any{"userId": "usr_1", "email": "ada@example.com"}) // no locale
	e.publish(t, "evt_p", "user.password_reset_requested", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "token": "tok1", "expiresAt": "x"})
	e.drain(t)
	mail := e.mail.Received()
	if len(mail) != 1 || !strings.Contains(mail[0].Data, "Hallo Ada, dein Code: tok1") {
		t.Fatalf("not in German: %+v", mail)
	}
	saveSMS := `mutation { saveNotificationTemplate(input: {eventType: "phone.verification_requested", channel: SMS, locale: "de",
		bodyText: "Dein MyShop-Code: {{.code}}. Gültig {{.minutes}} Minuten."}) { version } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, saveSMS, nil).Data, `{"saveNotificationTemplate":{"version":1}}`)
	start := `mutation { startPhoneVerification(phone: "+4915112345678") { errors { code } } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), start, nil).Data, `{"startPhoneVerification":{"errors":[]}}`)
	e.drain(t)
	if sms := tw.Sent(); len(sms) != 1 || !regexp.MustCompile(`^Dein MyShop-Code: \d{6}\. Gültig 10 Minuten\.$`).MatchString(sms[0].Get("Body")) {
		t.Fatalf("the code's SMS is not in German: %v", sms)
	}
	e.publish(t, "evt_u", "user.profile_updated", map[string]any{"userId": "usr_1", "name": "Ada L.", "locale": "en-GB"})
	e.drain(t)
	var locale, name, email string
	if err := e.pool.QueryRow(context.Background(), `SELECT locale, name, email FROM contacts WHERE user_id = 'usr_1'`).Scan(&locale, &name, &email); err != nil ||
		locale != "en-GB" || name != "Ada L." || email != "ada@example.com" {
		t.Fatalf("after the profile update: %s %s %s %v", locale, name, email, err)
	}
}

// A newsletter reaches those who consented to marketing email, and only
// them, each with a link that withdraws the consent.
func TestNewsletterGoesToThoseWhoConsented(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	staff := e.tokens.Token("usr_staff", notify.ManageNotifications)
	e.publish(t, "evt_1", "user.registered", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "locale": "en"})
	e.publish(t, "evt_2", "user.registered", map[string]any{"userId": "usr_2", "email": "bo@example.com", "name": "Bo", "locale": "en"})
	e.publish(t, "evt_3", "user.profile_updated", map[string]any{"userId": "usr_1", "name": "Ada", "locale": "en", "marketingEmails": true, "marketingSms": false})
	e.drain(t)
	send := `mutation($t: String!) { sendNewsletter(input: {subject: "Spring sale", bodyText: $t}) { recipients errors { field code } } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, send, map[string]any{"t": "Hello {{.name}}"}).Data,
		`{"sendNewsletter":{"recipients":0,"errors":[{"field":["bodyText"],"code":"INVALID_TEMPLATE"}]}}`)
	if r := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), send, map[string]any{"t": "x {{.unsubscribeUrl}}"}); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("a customer sent a newsletter: %s", r.Data)
	}
	body := "Hello {{.name}}, 20% off.\nUnsubscribe: {{.unsubscribeUrl}}\n"
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, send, map[string]any{"t": body}).Data, `{"sendNewsletter":{"recipients":1,"errors":[]}}`)
	e.drain(t)
	mail := e.mail.Received()
	link := e.svc.UnsubscribeURL("usr_1", notify.Marketing, notify.Email)
	if len(mail) != 1 || mail[0].To != "ada@example.com" || !strings.Contains(mail[0].Data, "Hello Ada, 20% off.") || !strings.Contains(mail[0].Data, link) {
		t.Fatalf("newsletter mail: %+v", mail)
	}
	token := link[strings.Index(link, "token=")+6:]
	var announced int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox`).Scan(&announced); err != nil || announced != 0 {
		t.Fatalf("consent learnt from the profile was announced back: %d %v", announced, err)
	}
	gqltest.Do(t, e.h, `mutation($t: String!) { unsubscribe(token: $t) { enabled } }`, map[string]any{"t": token})
	gqltest.Do(t, e.h, `mutation($t: String!) { unsubscribe(token: $t) { enabled } }`, map[string]any{"t": token}) // a second click
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, send, map[string]any{"t": body}).Data, `{"sendNewsletter":{"recipients":0,"errors":[]}}`)
	// The withdrawal is announced once, for users' profile (marketingEmails).
	var events []string
	rows, err := e.pool.Query(context.Background(), `SELECT type || ' ' || payload::text FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var ev string
		if err := rows.Scan(&ev); err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	if len(events) != 1 || events[0] != notify.EventMarketingConsentChanged+` {"userId": "usr_1", "channel": "EMAIL", "enabled": false}` {
		t.Fatalf("outbox: %q", events)
	}
}
