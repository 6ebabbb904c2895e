package notifications_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/myshop/supergraph/subgraphs/notifications"
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "0123456789abcdef0123456789abcdef"
	publicURL   = "https://shop.example/notifications"
)

// fakeTwilio stands in for Twilio's Messages API: it checks the account's
// credentials and keeps what it was asked to send. answer, when set,
// replaces the success for the next requests.
type fakeTwilio struct {
	*httptest.Server
	mu     sync.Mutex
	sent   []url.Values
	answer func(w http.ResponseWriter, r *http.Request) bool // true: answered
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+twilioSID+"/Messages.json" || user != twilioSID || pass != twilioToken {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"code":20003,"message":"Authenticate","status":401}`)
			return
		}
		f.mu.Lock()
		answer := f.answer
		f.mu.Unlock()
		if answer != nil && answer(w, r) {
			return
		}
		_ = r.ParseForm()
		f.mu.Lock()
		f.sent = append(f.sent, r.PostForm)
		sid := fmt.Sprintf("SM%032d", len(f.sent))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"sid": sid, "status": "queued", "to": r.PostForm.Get("To"), "body": r.PostForm.Get("Body")})
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTwilio) Sent() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.sent...)
}

func twilioEnv(t *testing.T, tw *fakeTwilio, more ...string) *env {
	settings := map[string]string{
		"NOTIFICATIONS_TWILIO_ACCOUNT_SID": twilioSID, "NOTIFICATIONS_TWILIO_AUTH_TOKEN": twilioToken,
		"NOTIFICATIONS_TWILIO_FROM": "+15005550006", "NOTIFICATIONS_TWILIO_API_URL": tw.URL, "NOTIFICATIONS_PUBLIC_URL": publicURL,
	}
	for i := 0; i+1 < len(more); i += 2 {
		settings[more[i]] = more[i+1]
	}
	return newEnvWith(t, "", settings)
}

// twilioSignature is Twilio's X-Twilio-Signature: base64 HMAC-SHA1 over
// the URL and the sorted parameters, each name followed by its value.
func twilioSignature(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := u
	for _, k := range keys {
		b += k + form.Get(k)
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (e *env) twilioCallback(t *testing.T, form url.Values, signature string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, notifications.TwilioCallbackPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", signature)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code
}

// A shopper's number gets SMS only once confirmed with the code sent to
// it, and only for the categories they opted into; Twilio's status
// callbacks, signed, move the message on.
func TestSMSThroughTwilio(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	e := twilioEnv(t, tw)
	ada := e.tokens.Token("usr_1")
	e.publish(t, "evt_u", "user.email_verification_requested", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "token": "t", "expiresAt": "x"})
	e.drain(t)

	start := `mutation($p: String!) { startPhoneVerification(phone: $p) { phone { number verified } errors { field code } } }`
	confirm := `mutation($c: String!) { confirmPhoneVerification(code: $c) { phone { number verified } errors { field code } } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, start, map[string]any{"p": "0151 1234567"}).Data,
		`{"startPhoneVerification":{"phone":null,"errors":[{"field":["phone"],"code":"INVALID_PHONE"}]}}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, start, map[string]any{"p": "+49 (151) 1234-5678"}).Data,
		`{"startPhoneVerification":{"phone":{"number":"+4915112345678","verified":false},"errors":[]}}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, start, map[string]any{"p": "+4915112345678"}).Data,
		`{"startPhoneVerification":{"phone":null,"errors":[{"field":["phone"],"code":"TOO_SOON"}]}}`)
	e.drain(t)
	sent := tw.Sent()
	if len(sent) != 1 || sent[0].Get("To") != "+4915112345678" || sent[0].Get("From") != "+15005550006" ||
		sent[0].Get("StatusCallback") != publicURL+notifications.TwilioCallbackPath {
		t.Fatalf("verification SMS: %v", sent)
	}
	code := regexp.MustCompile(`\d{6}`).FindString(sent[0].Get("Body"))
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, confirm, map[string]any{"c": "000000"}).Data,
		`{"confirmPhoneVerification":{"phone":null,"errors":[{"field":["code"],"code":"INVALID_CODE"}]}}`)
	// Expired, then too many wrong guesses: refused even with the right code.
	if _, err := e.pool.Exec(context.Background(), `UPDATE phone_verifications SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, confirm, map[string]any{"c": code}).Data,
		`{"confirmPhoneVerification":{"phone":null,"errors":[{"field":["code"],"code":"CODE_EXPIRED"}]}}`)
	if _, err := e.pool.Exec(context.Background(), `UPDATE phone_verifications SET expires_at = now() + interval '5 minutes', attempts = $1`, notify.PhoneCodeAttempts); err != nil {
		t.Fatal(err)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, confirm, map[string]any{"c": code}).Data,
		`{"confirmPhoneVerification":{"phone":null,"errors":[{"field":["code"],"code":"TOO_MANY_ATTEMPTS"}]}}`)
	if _, err := e.pool.Exec(context.Background(), `UPDATE phone_verifications SET attempts = 1`); err != nil {
		t.Fatal(err)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, confirm, map[string]any{"c": code}).Data,
		`{"confirmPhoneVerification":{"phone":{"number":"+4915112345678","verified":true},"errors":[]}}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, `{ myPhone { number verified } }`, nil).Data, `{"myPhone":{"number":"+4915112345678","verified":true}}`)

	// No consent yet: the placed order's SMS is suppressed, not sent.
	e.publish(t, "evt_p", "order.placed", map[string]any{"orderId": "ord_1", "number": 1001, "userId": "usr_1", "status": "CONFIRMED"})
	e.drain(t)
	gqltest.DoAs(t, e.h, ada, `mutation { setNotificationPreference(category: ORDERS, channel: SMS, enabled: true) { enabled } }`, nil)
	for i, to := range []string{"CONFIRMED", "SHIPPED", "DELIVERED"} {
		e.publish(t, fmt.Sprintf("evt_s%d", i), "order.status_changed", map[string]any{"orderId": "ord_1", "number": 1001, "userId": "usr_1", "from": "x", "to": to})
	}
	e.drain(t)
	sent = tw.Sent()
	if len(sent) != 3 || sent[1].Get("Body") != "MyShop: order 1001 is on its way. Reply STOP to opt out." ||
		sent[2].Get("Body") != "MyShop: order 1001 is delivered. Reply STOP to opt out." {
		t.Fatalf("order SMS: %v", sent)
	}
	var sms []struct{ ID, EventType, Status, LastError string }
	resp := gqltest.DoAs(t, e.h, ada, `{ myNotifications(first: 20) { id eventType channel status lastError } }`, nil)
	var out struct {
		MyNotifications []struct{ ID, EventType, Channel, Status, LastError string }
	}
	gqltest.Decode(t, resp.Data, &out)
	for _, m := range out.MyNotifications {
		if m.Channel == "SMS" {
			sms = append(sms, struct{ ID, EventType, Status, LastError string }{m.ID, m.EventType, m.Status, m.LastError})
		}
	}
	if len(sms) != 4 || sms[3].EventType != notify.EventPhoneVerification || sms[2].Status != "SUPPRESSED" ||
		!strings.HasPrefix(sms[2].LastError, "no consent") || sms[0].Status != "SENT" || sms[1].Status != "SENT" {
		t.Fatalf("SMS messages: %+v", sms)
	}

	// Twilio reports delivery; a forged or altered report changes nothing.
	delivered := url.Values{"MessageSid": {"SM00000000000000000000000000000003"}, "MessageStatus": {"delivered"}, "AccountSid": {twilioSID}}
	if c := e.twilioCallback(t, delivered, twilioSignature("wrong-token", publicURL+notifications.TwilioCallbackPath, delivered)); c != http.StatusBadRequest {
		t.Fatalf("forged callback: %d", c)
	}
	sig := twilioSignature(twilioToken, publicURL+notifications.TwilioCallbackPath, delivered)
	altered := url.Values{"MessageSid": {"SM00000000000000000000000000000002"}, "MessageStatus": {"delivered"}, "AccountSid": {twilioSID}}
	if c := e.twilioCallback(t, altered, sig); c != http.StatusBadRequest {
		t.Fatalf("altered callback: %d", c)
	}
	for range 2 { // Twilio may report twice
		if c := e.twilioCallback(t, delivered, sig); c != http.StatusNoContent {
			t.Fatalf("callback: %d", c)
		}
	}
	var status string
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT m.status, (SELECT count(*) FROM message_events WHERE message_id = m.id)
FROM messages m WHERE provider_ref = 'SM00000000000000000000000000000003'`).Scan(&status, &n); err != nil || status != "DELIVERED" || n != 3 {
		t.Fatalf("after the callback: %s with %d history entries (%v)", status, n, err)
	}
	if err := e.pool.QueryRow(context.Background(), `SELECT status FROM messages WHERE provider_ref = 'SM00000000000000000000000000000002'`).Scan(&status); err != nil || status != "SENT" {
		t.Fatalf("the altered callback's message: %s (%v)", status, err)
	}
}

// Twilio down (5xx) or hanging: retried with backoff, then FAILED with
// the reason; a number Twilio refuses (4xx) fails at once.
func TestSMSProviderFaults(t *testing.T) {
	t.Parallel()
	tw := newFakeTwilio(t)
	e := twilioEnv(t, tw, "NOTIFICATIONS_PROVIDER_TIMEOUT", "200ms")
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `INSERT INTO contacts (user_id, email, phone, name) VALUES ('usr_1', 'a@example.com', '+4915112345678', 'Ada'), ('usr_2', 'b@example.com', '+15005550001', 'Bo'),
('usr_3', 'c@example.com', '+15005550009', 'Cy')`); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"usr_1", "usr_2", "usr_3"} {
		gqltest.DoAs(t, e.h, e.tokens.Token(u), `mutation { setNotificationPreference(category: ORDERS, channel: SMS, enabled: true) { enabled } }`, nil)
	}
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	tw.mu.Lock()
	tw.answer = func(w http.ResponseWriter, r *http.Request) bool {
		_ = r.ParseForm()
		if r.PostForm.Get("To") == "+15005550009" { // answered STOP
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}`)
			return true
		}
		if r.PostForm.Get("To") == "+15005550001" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","status":400}`)
			return true
		}
		if calls.Add(1)%2 == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"code":20500,"message":"Internal Server Error","status":503}`)
			return true
		}
		select { // hang past the client's timeout
		case <-r.Context().Done():
		case <-release:
		}
		return true
	}
	tw.mu.Unlock()
	e.publish(t, "evt_1", "order.placed", map[string]any{"orderId": "ord_1", "number": 1001, "userId": "usr_1"})
	e.publish(t, "evt_2", "order.placed", map[string]any{"orderId": "ord_2", "number": 1002, "userId": "usr_2"})
	e.publish(t, "evt_3", "order.placed", map[string]any{"orderId": "ord_3", "number": 1003, "userId": "usr_3"})
	e.drain(t)
	for i := 1; i < notify.MaxAttempts; i++ {
		if _, err := e.pool.Exec(ctx, `UPDATE messages SET next_attempt_at = now()`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := e.pool.Query(ctx, `SELECT recipient, status, attempts, last_error, (SELECT array_agg(status ORDER BY id) FROM message_events WHERE message_id = m.id)
FROM messages m ORDER BY recipient`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var who, status, last string
		var attempts int
		var history []string
		if err := rows.Scan(&who, &status, &attempts, &last, &history); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %d %s %v", who, status, attempts, last, history))
	}
	if len(got) != 3 || !strings.HasPrefix(got[2], "usr_3 FAILED 1 permanent delivery failure: the recipient opted out at the provider") {
		t.Fatalf("STOP: %s", strings.Join(got, "\n"))
	}
	prefs := gqltest.DoAs(t, e.h, e.tokens.Token("usr_3"), `{ myNotificationPreferences { category channel enabled } }`, nil)
	gqltest.JSONEq(t, prefs.Data, `{"myNotificationPreferences":[{"category":"MARKETING","channel":"SMS","enabled":false},{"category":"ORDERS","channel":"SMS","enabled":false}]}`)
	got = got[:2]
	if len(got) != 2 || !strings.HasPrefix(got[0], "usr_1 FAILED 5 twilio:") || !strings.Contains(got[0], "[QUEUED RETRYING RETRYING RETRYING RETRYING FAILED]") ||
		!strings.Contains(got[1], "usr_2 FAILED 1 permanent delivery failure: twilio 400") || !strings.Contains(got[1], "21211") {
		t.Fatalf("after %d attempts:\n%s", notify.MaxAttempts, strings.Join(got, "\n"))
	}
	if n := calls.Load(); n != notify.MaxAttempts {
		t.Fatalf("%d calls to Twilio, want %d", n, notify.MaxAttempts)
	}
}
