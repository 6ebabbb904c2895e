package notifications_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/subgraphs/notifications"
	"github.com/myshop/supergraph/subgraphs/notifications/hooks"
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	pgstore "github.com/myshop/supergraph/subgraphs/notifications/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/outbox"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	"github.com/myshop/supergraph/subgraphs/platform/smtptest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/platform/webhook"
)

type env struct {
	h        http.Handler
	pool     *pgxpool.Pool
	rdb      *redis.Client
	prefix   string
	svc      *notify.Service
	hooks    *hooks.Service
	consumer *events.Consumer
	tokens   *authtest.Issuer
	mail     *smtptest.Server
}

// noProvider as newEnv's smtpAddr configures no email provider.
const noProvider = "none"

func newEnv(t *testing.T, smtpAddr string) *env {
	t.Helper()
	return newEnvWith(t, smtpAddr, nil)
}

// newEnvWith is newEnv with more of the subgraph's settings.
func newEnvWith(t *testing.T, smtpAddr string, settings map[string]string) *env {
	t.Helper()
	pool := pgtest.NewPool(t, pgstore.Migrations)
	rdb, prefix := redistest.New(t)
	issuer := authtest.New(t)
	e := &env{pool: pool, rdb: rdb, prefix: prefix, tokens: issuer}
	switch smtpAddr {
	case "":
		e.mail = smtptest.New(t)
		smtpAddr = e.mail.Addr
	case noProvider:
		smtpAddr = ""
	}
	cfg := map[string]string{"NOTIFICATIONS_SMTP_ADDR": smtpAddr, "NOTIFICATIONS_STAFF_EMAIL": "ops@shop.example"}
	for k, v := range settings {
		cfg[k] = v
	}
	d := subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Redis: rdb, RedisPrefix: prefix,
		Verifier: issuer.Verifier(), Getenv: func(k string) string { return cfg[k] }}
	e.h = notifications.Handler(d)
	svc, err := notifications.Service(d)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.hooks = notifications.Hooks(d, svc)
	e.consumer = events.NewConsumer(rdb, prefix, "notifications", "test", d.Log)
	return e
}

// publish puts an event on the stream the way the outbox relay does.
func (e *env) publish(t *testing.T, id, typ string, payload map[string]any) {
	t.Helper()
	b, _ := json.Marshal(payload)
	err := e.rdb.XAdd(context.Background(), &redis.XAddArgs{Stream: e.prefix + outbox.Stream, Values: map[string]any{
		"id": id, "type": typ, "source": "test", "occurred_at": time.Now().UTC().Format(time.RFC3339Nano), "payload": string(b)}}).Err()
	if err != nil {
		t.Fatal(err)
	}
}

// drain consumes what was published and delivers what is due.
func (e *env) drain(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.consumer.Poll(ctx, ">", 10*time.Millisecond, notifications.Handle(e.svc, e.hooks)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEventsBecomeEmailsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	reset := map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "token": "tok123", "expiresAt": "soon"}
	e.publish(t, "evt_1", "user.password_reset_requested", reset)
	e.publish(t, "evt_1", "user.password_reset_requested", reset) // delivered twice
	e.publish(t, "evt_2", "inventory.low_stock", map[string]any{"warehouseId": "wh_a", "variantId": "var_1", "available": 3, "threshold": 5})
	e.publish(t, "evt_3", "some.event_nobody_mails", map[string]any{})
	e.drain(t)

	mail := e.mail.Received()
	if len(mail) != 2 {
		t.Fatalf("%d mails, want 2: %+v", len(mail), mail)
	}
	byTo := map[string]string{}
	for _, m := range mail {
		byTo[m.To] = m.Data
	}
	if !strings.Contains(byTo["ada@example.com"], "Subject: Reset your password") || !strings.Contains(byTo["ada@example.com"], "tok123") {
		t.Fatalf("reset mail: %s", byTo["ada@example.com"])
	}
	if !strings.Contains(byTo["ops@shop.example"], "var_1 is down to 3 in wh_a") {
		t.Fatalf("staff mail: %s", byTo["ops@shop.example"])
	}

	// Ada sees her message and its history; another user sees nothing.
	resp := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), `{ myNotifications { eventType status to history { status } } }`, nil)
	gqltest.JSONEq(t, resp.Data, `{"myNotifications":[{"eventType":"user.password_reset_requested","status":"SENT","to":"ada@example.com","history":[{"status":"QUEUED"},{"status":"SENT"}]}]}`)
	other := gqltest.DoAs(t, e.h, e.tokens.Token("usr_2"), `{ myNotifications { id } }`, nil)
	gqltest.JSONEq(t, other.Data, `{"myNotifications":[]}`)
}

func TestPreferencesAndUnsubscribe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	ada := e.tokens.Token("usr_1")
	e.publish(t, "evt_v", "user.email_verification_requested", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "token": "t", "expiresAt": "x"})
	e.drain(t)
	set := `mutation($c: NotificationCategory!, $e: Boolean!) { setNotificationPreference(category: $c, channel: EMAIL, enabled: $e) { enabled } }`
	if r := gqltest.DoAs(t, e.h, ada, set, map[string]any{"c": "SECURITY", "e": false}); len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("security turned off: %s", r.Data)
	}
	gqltest.DoAs(t, e.h, ada, set, map[string]any{"c": "ORDERS", "e": false})

	refund := map[string]any{"userId": "usr_1", "orderId": "ord_1", "paymentId": "pay_1", "kind": "REFUND", "outcome": "SUCCEEDED", "amountMinor": 500, "errorCode": ""}
	e.publish(t, "evt_r", "payment.transaction_settled", refund)
	e.publish(t, "evt_p", "user.password_reset_requested", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "token": "t2", "expiresAt": "x"})
	e.drain(t)
	resp := gqltest.DoAs(t, e.h, ada, `{ myNotifications { eventType status lastError } }`, nil)
	if !strings.Contains(string(resp.Data), `{"eventType":"payment.transaction_settled","status":"SUPPRESSED","lastError":"opted out"}`) ||
		!strings.Contains(string(resp.Data), `{"eventType":"user.password_reset_requested","status":"SENT","lastError":""}`) {
		t.Fatalf("preferences not applied: %s", resp.Data)
	}

	// The one-click link, signed; a forged one is refused.
	link := e.svc.UnsubscribeURL("usr_1", notify.Orders, notify.Push)
	token := link[strings.Index(link, "token=")+6:]
	unsub := `mutation($t: String!) { unsubscribe(token: $t) { category channel enabled } }`
	gqltest.JSONEq(t, gqltest.Do(t, e.h, unsub, map[string]any{"t": token}).Data, `{"unsubscribe":{"category":"ORDERS","channel":"PUSH","enabled":false}}`)
	forged := strings.Replace(token, token[:4], "dXNy", 1) + "x"
	if r := gqltest.Do(t, e.h, unsub, map[string]any{"t": forged}); len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Fatalf("forged token: %s", r.Data)
	}
}

func TestFailedDeliveriesAreRetriedThenFailedNeverLost(t *testing.T) {
	t.Parallel()
	// Nothing listens here: every attempt is refused at once.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	e := newEnv(t, dead)
	e.publish(t, "evt_1", "user.password_reset_requested", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "token": "t", "expiresAt": "x"})
	e.drain(t)
	for i := 1; i < notify.MaxAttempts; i++ {
		// Skip the backoff instead of waiting for it.
		if _, err := e.pool.Exec(context.Background(), `UPDATE messages SET next_attempt_at = now()`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	resp := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), `{ myNotifications { status attempts history { status } } }`, nil)
	var out struct {
		MyNotifications []struct {
			Status   string
			Attempts int
			History  []struct{ Status string }
		}
	}
	gqltest.Decode(t, resp.Data, &out)
	n := out.MyNotifications[0]
	if n.Status != "FAILED" || n.Attempts != notify.MaxAttempts || len(n.History) != notify.MaxAttempts+1 || n.History[1].Status != "RETRYING" {
		t.Fatalf("after %d attempts: %+v", notify.MaxAttempts, n)
	}
}

func TestRefusedAddressFailsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.publish(t, "evt_1", "user.password_reset_requested", map[string]any{"userId": "usr_1", "email": "nobody@refused.example", "name": "X", "token": "t", "expiresAt": "x"})
	e.drain(t)
	resp := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), `{ myNotifications { status attempts lastError } }`, nil)
	if !strings.Contains(string(resp.Data), `"status":"FAILED","attempts":1`) || !strings.Contains(string(resp.Data), "550") {
		t.Fatalf("550 not permanent: %s", resp.Data)
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	staff := e.tokens.Token("usr_staff", notify.ManageNotifications)
	save := `mutation($b: String!) { saveNotificationTemplate(input: {eventType: "inventory.low_stock", channel: EMAIL, subject: "Restock {{.variantId}}", bodyText: $b}) { version } }`
	for name, body := range map[string]string{"syntax error": "{{.variantId", "unknown variable": "{{.password}}"} {
		if r := gqltest.DoAs(t, e.h, staff, save, map[string]any{"b": body}); len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("%s accepted: %s", name, r.Data)
		}
	}
	if r := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), save, map[string]any{"b": "x"}); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("customer saved a template: %s", r.Data)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, save, map[string]any{"b": "Only {{.available}} left"}).Data, `{"saveNotificationTemplate":{"version":1}}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, staff, save, map[string]any{"b": "Only {{.available}} of {{.variantId}} left"}).Data, `{"saveNotificationTemplate":{"version":2}}`)
	preview := gqltest.DoAs(t, e.h, staff, `mutation { previewNotificationTemplate(input: {eventType: "inventory.low_stock", channel: EMAIL, subject: "S", bodyText: "{{.available}}", bodyHtml: "<b>{{.variantId}}</b>"}, data: "{\"variantId\": \"<i>\"}") { bodyText bodyHtml } }`, nil)
	gqltest.JSONEq(t, preview.Data, `{"previewNotificationTemplate":{"bodyText":"sample available","bodyHtml":"<b>&lt;i&gt;</b>"}}`)

	e.publish(t, "evt_1", "inventory.low_stock", map[string]any{"warehouseId": "wh_a", "variantId": "var_9", "available": 2, "threshold": 5})
	e.drain(t)
	if mail := e.mail.Received(); len(mail) != 1 || !strings.Contains(mail[0].Data, "Subject: Restock var_9") || !strings.Contains(mail[0].Data, "Only 2 of var_9 left") {
		t.Fatalf("saved template not used: %+v", mail)
	}
}

func TestOrderStatusMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.publish(t, "evt_u", "user.email_verification_requested", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "token": "t", "expiresAt": "x"})
	e.publish(t, "evt_o1", "order.status_changed", map[string]any{"orderId": "ord_1", "number": 1001, "userId": "usr_1", "from": "CONFIRMED", "to": "PROCESSING", "version": 2})
	e.publish(t, "evt_o2", "order.status_changed", map[string]any{"orderId": "ord_1", "number": 1001, "userId": "usr_1", "from": "PROCESSING", "to": "SHIPPED", "version": 3})
	e.drain(t)
	resp := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), `{ myNotifications { eventType channel subject bodyText status } }`, nil)
	gqltest.JSONEq(t, resp.Data, `{"myNotifications":[
		{"eventType":"order.status_changed","channel":"PUSH","subject":"","bodyText":"Order 1001 is now SHIPPED","status":"CAPTURED"},
		{"eventType":"order.status_changed","channel":"EMAIL","subject":"Order 1001: SHIPPED","bodyText":"Hello Ada,\n\nyour order 1001 is now SHIPPED.\n\nManage emails: `+e.svc.UnsubscribeURL("usr_1", notify.Orders, notify.Email)+`\n","status":"SENT"},
		{"eventType":"user.email_verification_requested","channel":"EMAIL","subject":"Confirm your email","bodyText":"Hello Ada,\n\nconfirm your email with this code: t\nIt is valid until x.\n","status":"SENT"}]}`)
}

func TestDeliveryCallbacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	e.publish(t, "evt_1", "user.password_reset_requested", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada", "token": "t", "expiresAt": "x"})
	e.drain(t)
	var id string
	if err := e.pool.QueryRow(context.Background(), `SELECT id FROM messages`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	post := func(body, secret string, at time.Time) int {
		req := httptest.NewRequest(http.MethodPost, notifications.CallbackPath, strings.NewReader(body))
		req.Header.Set(notifications.CallbackSignatureHeader, webhook.Sign(secret, at, []byte(body)))
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec.Code
	}
	now := time.Now()
	opened := `{"reference":"` + id + `","status":"OPENED"}`
	delivered := `{"reference":"` + id + `","status":"DELIVERED","detail":"250 ok"}`
	if c := post(delivered, "wrong", now); c != http.StatusBadRequest {
		t.Fatalf("bad signature: %d", c)
	}
	if c := post(delivered, "dev-only-callback-secret", now.Add(-10*time.Minute)); c != http.StatusBadRequest {
		t.Fatalf("stale signature: %d", c)
	}
	if c := post(`{"reference":"msg_nope","status":"DELIVERED"}`, "dev-only-callback-secret", now); c != http.StatusNotFound {
		t.Fatalf("unknown message: %d", c)
	}
	for _, b := range []string{delivered, opened, delivered /* late and out of order: ignored */} {
		if c := post(b, "dev-only-callback-secret", now); c != http.StatusNoContent {
			t.Fatalf("callback %s: %d", b, c)
		}
	}
	resp := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), `{ myNotifications { status history { status } } }`, nil)
	gqltest.JSONEq(t, resp.Data, `{"myNotifications":[{"status":"OPENED","history":[{"status":"QUEUED"},{"status":"SENT"},{"status":"DELIVERED"},{"status":"OPENED"}]}]}`)
}

// With no provider configured nothing claims to be sent: the messages are
// CAPTURED in the development outbox and readable on its page.
func TestNoProviderCapturesInTheDevelopmentOutbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noProvider)
	e.publish(t, "evt_1", "user.password_reset_requested", map[string]any{"userId": "usr_1", "email": "ada@example.com", "name": "Ada <script>", "token": "tok123", "expiresAt": "soon"})
	e.drain(t)
	resp := gqltest.DoAs(t, e.h, e.tokens.Token("usr_1"), `{ myNotifications { status lastError history { status } } }`, nil)
	gqltest.JSONEq(t, resp.Data, `{"myNotifications":[{"status":"CAPTURED","lastError":"no email provider configured: kept in the development outbox","history":[{"status":"QUEUED"},{"status":"CAPTURED"}]}]}`)

	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, notifications.DevOutboxPath, nil))
	page := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(page, "Reset your password") || !strings.Contains(page, "tok123") ||
		!strings.Contains(page, "ada@example.com") || strings.Contains(page, "<script>") {
		t.Fatalf("outbox page %d:\n%s", rec.Code, page)
	}
	stats := gqltest.DoAs(t, e.h, e.tokens.Token("usr_staff", notify.ManageNotifications), `{ notificationStats { status count } }`, nil)
	if !strings.Contains(string(stats.Data), `{"status":"CAPTURED","count":1}`) || !strings.Contains(string(stats.Data), `{"status":"SENT","count":0}`) {
		t.Fatalf("stats: %s", stats.Data)
	}
}
