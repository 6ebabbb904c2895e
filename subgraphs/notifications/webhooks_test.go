package notifications_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/notifications/hooks"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/webhook"
)

// receiver is a shop's ERP: it keeps what it got and answers with
// status(body) (200 when nil).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	status func(body string) int
}

type received struct {
	ID, Event, Signature, Body string
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		code := http.StatusOK
		if rc.status != nil {
			code = rc.status(string(b))
		}
		if code == http.StatusOK {
			rc.got = append(rc.got, received{r.Header.Get(hooks.HeaderID), r.Header.Get(hooks.HeaderEvent), r.Header.Get(hooks.HeaderSignature), string(b)})
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) answer(f func(body string) int) { rc.mu.Lock(); rc.status = f; rc.mu.Unlock() }

func (rc *receiver) Got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// order lists "<orderId> <event type>" of what arrived, in order.
func (rc *receiver) order(t *testing.T) []string {
	var out []string
	for _, g := range rc.Got() {
		var b struct {
			Type string
			Data map[string]any
		}
		if err := json.Unmarshal([]byte(g.Body), &b); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(b.Data["orderId"], " ", b.Type))
	}
	return out
}

const createHook = `mutation($u: String!, $t: [String!]!) { createWebhook(input: {name: "erp", url: $u, eventTypes: $t}) {
  webhook { id url eventTypes active } secret errors { field code } } }`

func (e *env) createWebhook(t *testing.T, token, u string, types ...string) (id, secret string, errs []struct {
	Field []string
	Code  string
}) {
	t.Helper()
	var out struct {
		CreateWebhook struct {
			Webhook *struct{ ID string }
			Secret  *string
			Errors  []struct {
				Field []string
				Code  string
			}
		}
	}
	r := gqltest.DoAs(t, e.h, token, createHook, map[string]any{"u": u, "t": types})
	if len(r.Errors) > 0 {
		t.Fatalf("createWebhook: %+v", r.Errors)
	}
	gqltest.Decode(t, r.Data, &out)
	if out.CreateWebhook.Webhook != nil {
		id, secret = out.CreateWebhook.Webhook.ID, *out.CreateWebhook.Secret
	}
	return id, secret, out.CreateWebhook.Errors
}

func (e *env) skipBackoff(t *testing.T) {
	t.Helper()
	if _, err := e.pool.Exec(context.Background(), `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'PENDING'`); err != nil {
		t.Fatal(err)
	}
}

// Events reach a subscribed URL signed, each order's in the order they
// happened even when one fails and is retried, logged, and replayable.
func TestWebhooksDeliverSignedAndInOrder(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "", map[string]string{"NOTIFICATIONS_WEBHOOKS_ALLOW_PRIVATE": "true"})
	rc := newReceiver(t)
	staff := e.tokens.Token("usr_admin", hooks.ManageApps)
	if r := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), createHook, map[string]any{"u": rc.URL, "t": []string{"order.placed"}}); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("a customer made a webhook: %s", r.Data)
	}
	for _, bad := range []struct{ url, typ, code string }{
		{"ftp://erp.example/x", "order.placed", "INVALID_URL"},
		{rc.URL, "user.password_reset_requested", "UNKNOWN_EVENT_TYPE"},
	} {
		if _, _, errs := e.createWebhook(t, staff, bad.url, bad.typ); len(errs) != 1 || errs[0].Code != bad.code {
			t.Fatalf("%s %s: %+v", bad.url, bad.typ, errs)
		}
	}
	id, secret, errs := e.createWebhook(t, staff, rc.URL, "order.placed", "order.status_changed", "order.placed")
	if len(errs) > 0 || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create: %v %q", errs, secret)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, `{ webhooks { id eventTypes active disabledReason } }`, nil).Data,
		`{"webhooks":[{"id":"`+id+`","eventTypes":["order.placed","order.status_changed"],"active":true,"disabledReason":""}]}`)

	// ord_2's first delivery fails: its second waits; ord_1's go on.
	rc.answer(func(body string) int {
		if strings.Contains(body, `"orderId":"ord_2"`) && strings.Contains(body, `"order.placed"`) {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	e.publish(t, "evt_1", "order.placed", map[string]any{"orderId": "ord_1", "number": 1})
	e.publish(t, "evt_2", "order.placed", map[string]any{"orderId": "ord_2", "number": 2})
	e.publish(t, "evt_3", "order.status_changed", map[string]any{"orderId": "ord_2", "to": "CANCELED"})
	e.publish(t, "evt_4", "order.status_changed", map[string]any{"orderId": "ord_1", "to": "SHIPPED"})
	e.publish(t, "evt_4", "order.status_changed", map[string]any{"orderId": "ord_1", "to": "SHIPPED"})  // redelivered
	e.publish(t, "evt_5", "inventory.low_stock", map[string]any{"warehouseId": "wh", "variantId": "v"}) // not subscribed
	e.drain(t)
	e.drain(t) // ord_1's second event, after its first
	if got := strings.Join(rc.order(t), ", "); got != "ord_1 order.placed, ord_1 order.status_changed" {
		t.Fatalf("first round: %s", got)
	}
	rc.answer(nil)
	e.skipBackoff(t)
	e.drain(t)
	e.drain(t)
	if got := strings.Join(rc.order(t), ", "); got != "ord_1 order.placed, ord_1 order.status_changed, ord_2 order.placed, ord_2 order.status_changed" {
		t.Fatalf("after the retry: %s", got)
	}
	first := rc.Got()[0]
	if err := webhook.Verify(secret, first.Signature, []byte(first.Body), time.Now()); err != nil || first.Event != "order.placed" || first.ID == "" {
		t.Fatalf("delivery %+v: %v", first, err)
	}
	if err := webhook.Verify("whsec_other", first.Signature, []byte(first.Body), time.Now()); err == nil {
		t.Fatal("another secret verified the signature")
	}

	var log struct {
		Webhooks []struct {
			Deliveries []struct {
				ID, EventID, Status string
				Attempts            []struct {
					StatusCode     *int
					ResponseTimeMs int
					Error          string
				}
			}
		}
	}
	gqltest.Decode(t, gqltest.DoAs(t, e.h, staff, `{ webhooks { deliveries { id eventId status attempts { statusCode responseTimeMs error } } } }`, nil).Data, &log)
	ds := log.Webhooks[0].Deliveries
	if len(ds) != 4 {
		t.Fatalf("deliveries: %+v", ds)
	}
	var retried string
	for _, d := range ds {
		if d.EventID == "evt_2" {
			retried = d.ID
			if d.Status != "SUCCEEDED" || len(d.Attempts) != 2 || *d.Attempts[0].StatusCode != 503 || d.Attempts[0].Error != "answered 503 Service Unavailable" || *d.Attempts[1].StatusCode != 200 {
				t.Fatalf("retried delivery: %+v", d)
			}
		}
	}

	replay := gqltest.DoAs(t, e.h, staff, `mutation($id: ID!) { replayWebhookDelivery(id: $id) { delivery { eventId status replayOf } errors { code } } }`, map[string]any{"id": retried})
	gqltest.JSONEq(t, replay.Data, `{"replayWebhookDelivery":{"delivery":{"eventId":"evt_2","status":"PENDING","replayOf":"`+retried+`"},"errors":[]}}`)
	e.drain(t)
	got := rc.Got()
	if len(got) != 5 || got[4].Body != got[2].Body || got[4].ID == got[2].ID {
		t.Fatalf("replay: %+v", got)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, `mutation { deleteWebhook(id: "whk_nope") { webhook { id } errors { code } } }`, nil).Data,
		`{"deleteWebhook":{"webhook":null,"errors":[{"code":"NOT_FOUND"}]}}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, `mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } errors { code } } }`, map[string]any{"id": id}).Data,
		`{"deleteWebhook":{"webhook":{"id":"`+id+`"},"errors":[]}}`)
}

// A webhook may not reach inside the shop's network: such a URL is
// refused when saved, and a connection to such an address when sent.
func TestWebhookURLsInsideTheNetworkAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	staff := e.tokens.Token("usr_admin", hooks.ManageApps)
	for u, code := range map[string]string{
		"https://127.0.0.1/hook":                    "URL_NOT_ALLOWED",
		"https://localhost:8443/hook":               "URL_NOT_ALLOWED",
		"https://10.1.2.3/hook":                     "URL_NOT_ALLOWED",
		"https://169.254.169.254/latest/meta-data/": "URL_NOT_ALLOWED",
		"https://[::1]/hook":                        "URL_NOT_ALLOWED",
		"https://[::ffff:192.168.0.1]/hook":         "URL_NOT_ALLOWED",
		"http://93.184.215.14/hook":                 "INVALID_URL", // https only
		"https://user:pw@93.184.215.14/hook":        "INVALID_URL",
	} {
		if _, _, errs := e.createWebhook(t, staff, u, "order.placed"); len(errs) != 1 || errs[0].Code != code || errs[0].Field[0] != "url" {
			t.Errorf("%s: %+v, want %s", u, errs, code)
		}
	}
	// Saved another way (or a name that later resolves inside): the
	// connection itself is refused.
	rc := newReceiver(t)
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO webhooks (id, name, url, event_types, secret) VALUES ('whk_in', 'in', $1, '{order.placed}', 's')`, rc.URL); err != nil {
		t.Fatal(err)
	}
	e.publish(t, "evt_1", "order.placed", map[string]any{"orderId": "ord_1"})
	e.drain(t)
	var status, last string
	if err := e.pool.QueryRow(context.Background(), `SELECT status, last_error FROM webhook_deliveries`).Scan(&status, &last); err != nil {
		t.Fatal(err)
	}
	if status != "PENDING" || !strings.Contains(last, "127.0.0.1 is a private address") || len(rc.Got()) != 0 {
		t.Fatalf("delivery to a loopback address: %s %q, received %d", status, last, len(rc.Got()))
	}
}

// A receiver that keeps failing: the webhook is disabled and staff are
// told; a delivery failing for 24 hours is FAILED; turned on again, what
// waited goes out.
func TestFailingWebhookIsDisabledAndStaffTold(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "", map[string]string{"NOTIFICATIONS_WEBHOOKS_ALLOW_PRIVATE": "true"})
	rc := newReceiver(t)
	rc.answer(func(string) int { return http.StatusInternalServerError })
	staff := e.tokens.Token("usr_admin", hooks.ManageApps)
	id, _, _ := e.createWebhook(t, staff, rc.URL, "order.placed")
	ctx := context.Background()
	e.publish(t, "evt_old", "order.placed", map[string]any{"orderId": "ord_old"})
	e.drain(t)
	// Fast-forward: the delivery is a day old, the webhook failing for two
	// hours and one attempt short of being disabled.
	if _, err := e.pool.Exec(ctx, `UPDATE webhook_deliveries SET created_at = now() - interval '25 hours', next_attempt_at = now()`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE webhooks SET consecutive_failures = $1, failing_since = now() - interval '2 hours'`, hooks.DisableAfter-2); err != nil {
		t.Fatal(err)
	}
	e.publish(t, "evt_new", "order.placed", map[string]any{"orderId": "ord_new"})
	e.drain(t)
	e.drain(t) // the staff email raised by the disabling
	var w struct {
		Webhooks []struct {
			Active         bool
			DisabledReason string
			Deliveries     []struct{ EventID, Status, LastError string }
		}
	}
	gqltest.Decode(t, gqltest.DoAs(t, e.h, staff, `{ webhooks { active disabledReason deliveries { eventId status lastError } } }`, nil).Data, &w)
	hook := w.Webhooks[0]
	if hook.Active || !strings.Contains(hook.DisabledReason, fmt.Sprintf("%d failed attempts in a row", hooks.DisableAfter)) ||
		len(hook.Deliveries) != 2 || hook.Deliveries[1].Status != "FAILED" || !strings.Contains(hook.Deliveries[1].LastError, "retried for 24h") ||
		hook.Deliveries[0].Status != "PENDING" {
		t.Fatalf("after repeated failure: %+v", hook)
	}
	mail := e.mail.Received()
	if len(mail) != 1 || mail[0].To != "ops@shop.example" || !strings.Contains(mail[0].Data, "Subject: Webhook erp was turned off") {
		t.Fatalf("staff mail: %+v", mail)
	}

	// Disabled, nothing is sent; fixed and turned on, the waiting one is.
	rc.answer(nil)
	e.skipBackoff(t)
	e.drain(t)
	if len(rc.Got()) != 0 {
		t.Fatalf("a disabled webhook delivered: %+v", rc.Got())
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, `mutation($id: ID!) { updateWebhook(id: $id, input: {active: true}) { webhook { active disabledReason } errors { code } } }`, map[string]any{"id": id}).Data,
		`{"updateWebhook":{"webhook":{"active":true,"disabledReason":""},"errors":[]}}`)
	e.skipBackoff(t)
	e.drain(t)
	if got := rc.order(t); len(got) != 1 || got[0] != "ord_new order.placed" {
		t.Fatalf("after turning it on: %v", got)
	}
}
