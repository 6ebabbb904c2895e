package payments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stripe/stripe-go/v84/webhook"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/payments"
	"github.com/myshop/supergraph/subgraphs/payments/payment"
	pgstore "github.com/myshop/supergraph/subgraphs/payments/postgres"
	"github.com/myshop/supergraph/subgraphs/payments/stripeapi"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// fakeStripe plays Stripe's HTTP API as stripe-go speaks it (form bodies,
// Bearer key, Idempotency-Key, JSON objects and card errors): the one
// stand-in, since Stripe cannot be reached from here. It keeps intents,
// answers a repeated Idempotency-Key with the first response, as Stripe
// does, and can be made slow to play a timeout.
type fakeStripe struct {
	mu           sync.Mutex
	intents      map[string]map[string]any
	responses    map[string][]byte
	statuses     map[string]int
	captures     int
	slowCapture  bool
	slowCreate   bool
	refundStatus string
	n            int
}

func newFakeStripe(t *testing.T) (*fakeStripe, *httptest.Server) {
	f := &fakeStripe{intents: map[string]map[string]any{}, responses: map[string][]byte{}, statuses: map[string]int{}, refundStatus: "succeeded"}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var fakeCards = map[string]map[string]any{
	"pm_card_visa":                  {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
	"pm_card_decline":               {"brand": "visa", "last4": "0002", "exp_month": 12, "exp_year": 2034},
	"pm_card_threeDSecure2Required": {"brand": "visa", "last4": "3155", "exp_month": 12, "exp_year": 2034},
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer sk_test" {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}`))
		return
	}
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_methods/") {
		id := strings.TrimPrefix(r.URL.Path, "/v1/payment_methods/")
		card, ok := fakeCards[id]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such PaymentMethod"}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "payment_method", "type": "card", "card": card})
		return
	}
	_ = r.ParseForm()
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	if b, ok := f.responses[key]; ok {
		status := f.statuses[key]
		f.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write(b)
		return
	}
	status, body := f.handle(r)
	f.responses[key], f.statuses[key] = body, status
	slow := false
	if strings.HasSuffix(r.URL.Path, "/capture") && f.slowCapture {
		slow, f.slowCapture = true, false
	}
	if r.URL.Path == "/v1/payment_intents" && f.slowCreate {
		slow, f.slowCreate = true, false
	}
	f.mu.Unlock()
	if slow {
		time.Sleep(time.Second) // done, but the answer comes after the client gave up
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (f *fakeStripe) handle(r *http.Request) (int, []byte) {
	f.n++
	path := r.URL.Path
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	switch {
	case path == "/v1/payment_intents":
		if r.Form.Get("payment_method_types[0]") != "card" || r.Form.Get("capture_method") != "manual" || r.Form.Get("confirm") != "true" {
			return 400, js(map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": "want a confirmed card intent for manual capture"}})
		}
		id := fmt.Sprintf("pi_%d", f.n)
		in := map[string]any{"id": id, "object": "payment_intent", "amount": atoi(r.Form.Get("amount")), "currency": r.Form.Get("currency"),
			"capture_method": r.Form.Get("capture_method"), "client_secret": id + "_secret_x",
			"metadata": map[string]string{"transaction_id": r.Form.Get("metadata[transaction_id]")}}
		switch r.Form.Get("payment_method") {
		case "pm_card_decline":
			in["status"] = "requires_payment_method"
			return 402, js(map[string]any{"error": map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
				"message": "Your card was declined.", "payment_intent": in}})
		case "pm_card_threeDSecure2Required":
			in["status"] = "requires_action"
			in["next_action"] = map[string]any{"type": "redirect_to_url", "redirect_to_url": map[string]any{
				"url": "https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=" + id, "return_url": r.Form.Get("return_url")}}
		default:
			in["status"] = "requires_capture"
		}
		f.intents[id] = in
		return 200, js(in)
	case strings.HasSuffix(path, "/capture"), strings.HasSuffix(path, "/cancel"):
		id := strings.TrimPrefix(path, "/v1/payment_intents/")
		id = id[:strings.Index(id, "/")]
		in, ok := f.intents[id]
		if !ok {
			return 404, []byte(`{"error":{"type":"invalid_request_error","code":"resource_missing"}}`)
		}
		if strings.HasSuffix(path, "/cancel") {
			in["status"] = "canceled"
			return 200, js(in)
		}
		f.captures++
		in["status"], in["latest_charge"] = "succeeded", fmt.Sprintf("ch_%d", f.n)
		return 200, js(in)
	case path == "/v1/refunds":
		return 200, js(map[string]any{"id": fmt.Sprintf("re_%d", f.n), "object": "refund", "status": f.refundStatus,
			"amount": atoi(r.Form.Get("amount")), "payment_intent": r.Form.Get("payment_intent")})
	}
	return 404, []byte(`{"error":{"type":"invalid_request_error","code":"resource_missing"}}`)
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

const stripeSecret = "whsec_stripe_test"

type stripeEnv struct {
	*env
	pool *pgxpool.Pool
}

func newStripeEnv(t *testing.T, srv *httptest.Server) *stripeEnv {
	t.Helper()
	pool, err := postgres.Open(context.Background(), pgtest.NewDatabase(t, pgstore.Migrations), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	issuer := authtest.New(t)
	provider := stripeapi.New(stripeapi.Config{BaseURL: srv.URL, Key: "sk_test", Timeout: 300 * time.Millisecond, ReturnURL: "https://shop.example/shop/orders"})
	h := payments.NewHandler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoaderWait: subgraph.DefaultLoaderWait, Verifier: issuer.Verifier()}, provider, stripeSecret)
	return &stripeEnv{pool: pool, env: &env{h: h, tokens: issuer, payouts: payment.NewPayouts(pgstore.New(pool), ids.New),
		shopper: issuer.Token("usr_0001"), staff: issuer.Token("usr_staff", payment.ManageOrders, payment.RefundPayments, payment.ReadOrders)}}
}

// event is a recorded Stripe event from testdata with its placeholders filled.
func event(t *testing.T, name string, fill map[string]string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/stripe/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range fill {
		b = bytes.ReplaceAll(b, []byte("{{"+k+"}}"), []byte(v))
	}
	return b
}

// deliver posts a webhook signed at signedAt (Stripe's scheme, by its
// library) and returns the status.
func (e *stripeEnv) deliver(t *testing.T, body []byte, secret string, signedAt time.Time) int {
	t.Helper()
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: signedAt})
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(body))
	req.Header.Set(stripeapi.SignatureHeader, sig.Header)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code
}

type stripePayment struct {
	Status       string
	NextAction   *struct{ Type, RedirectURL, ClientSecret string }
	Transactions []struct{ ID, Kind, Outcome, ProviderReference string }
}

func (e *stripeEnv) payment(t *testing.T, id string) stripePayment {
	t.Helper()
	var out struct{ Payment stripePayment }
	gqltest.Decode(t, gqltest.DoAs(t, e.h, e.staff, `query($id: ID!) { payment(id: $id) { status nextAction { type redirectUrl clientSecret }
  transactions { id kind outcome providerReference } } }`, map[string]any{"id": id}).Data, &out)
	return out.Payment
}

func (e *stripeEnv) settledEvents(t *testing.T, paymentID, kind, outcome string) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE type = 'payment.transaction_settled'
AND payload->>'paymentId' = $1 AND payload->>'kind' = $2 AND payload->>'outcome' = $3`, paymentID, kind, outcome).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStripeProvider(t *testing.T) {
	t.Parallel()
	fake, srv := newFakeStripe(t)
	e := newStripeEnv(t, srv)

	if d := e.authorize(t, e.shopper, "k-decline", "10.00", "pm_card_decline"); code(d) != "DECLINED" || d.Payment.Status != "FAILED" {
		t.Fatalf("decline: %+v", d)
	}
	a := e.authorize(t, e.shopper, "k", "80.00", "pm_card_visa")
	if code(a) != "" || a.Payment.Status != "AUTHORIZED" {
		t.Fatalf("authorize: %+v", a)
	}
	// Stripe captures but answers after our timeout.
	fake.mu.Lock()
	fake.slowCapture = true
	fake.mu.Unlock()
	if c := e.follow(t, "capturePayment", a.Payment.ID, "cap", nil); code(c) != "PROVIDER_UNAVAILABLE" {
		t.Fatalf("slow capture: %+v", c)
	}
	retry := e.follow(t, "capturePayment", a.Payment.ID, "cap", nil)
	if code(retry) != "" || retry.Payment.Status != "PAID" || retry.Payment.Captured.Amount != "80.00" {
		t.Fatalf("retry: %+v", retry)
	}
	fake.mu.Lock()
	captures := fake.captures
	fake.mu.Unlock()
	if captures != 1 {
		t.Fatalf("Stripe captured %d times", captures)
	}
	if r := e.follow(t, "refundPayment", a.Payment.ID, "ref", "20.00"); code(r) != "" || r.Payment.Status != "PARTIALLY_REFUNDED" {
		t.Fatalf("refund: %+v", r)
	}
	var m struct {
		AddPaymentMethod struct {
			PaymentMethod *struct{ Last4 string }
			Errors        []struct{ Code string }
		}
	}
	gqltest.Decode(t, gqltest.DoAs(t, e.h, e.shopper, `mutation { addPaymentMethod(token: "pm_card_visa") { paymentMethod { last4 } errors { code } } }`, nil).Data, &m)
	if m.AddPaymentMethod.PaymentMethod == nil || m.AddPaymentMethod.PaymentMethod.Last4 != "4242" {
		t.Fatalf("add method: %+v", m)
	}
	gqltest.Decode(t, gqltest.DoAs(t, e.h, e.shopper, `mutation { addPaymentMethod(token: "pm_nope") { paymentMethod { last4 } errors { code } } }`, nil).Data, &m)
	if len(m.AddPaymentMethod.Errors) == 0 || m.AddPaymentMethod.Errors[0].Code != "NOT_FOUND" {
		t.Fatalf("unknown method: %+v", m)
	}
}

func TestStripeThreeDSecureByWebhook(t *testing.T) {
	t.Parallel()
	_, srv := newFakeStripe(t)
	e := newStripeEnv(t, srv)
	a := e.authorize(t, e.shopper, "k-3ds", "45.00", "pm_card_threeDSecure2Required")
	p := e.payment(t, a.Payment.ID)
	if p.Status != "REQUIRES_ACTION" || p.NextAction == nil || p.NextAction.Type != "REDIRECT" ||
		!strings.HasPrefix(p.NextAction.RedirectURL, "https://hooks.stripe.com/3d_secure_2/") || !strings.Contains(p.NextAction.ClientSecret, "_secret_") {
		t.Fatalf("3-D Secure: %+v", p)
	}
	fill := map[string]string{"PAYMENT_INTENT": p.Transactions[0].ProviderReference, "TRANSACTION": p.Transactions[0].ID}
	body := event(t, "payment_intent.amount_capturable_updated", fill)
	now := time.Now()

	// Bad or stale signatures: 400, nothing changes.
	if c := e.deliver(t, body, "whsec_wrong", now); c != 400 {
		t.Fatalf("wrong secret: %d", c)
	}
	if c := e.deliver(t, body, stripeSecret, now.Add(-stripeapi.Tolerance-time.Minute)); c != 400 {
		t.Fatalf("stale timestamp (a replay): %d", c)
	}
	tampered := bytes.Replace(body, []byte(`"requires_capture"`), []byte(`"succeeded"`), 1)
	sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: stripeSecret, Timestamp: now})
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(tampered))
	req.Header.Set(stripeapi.SignatureHeader, sig.Header)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != 400 {
		t.Fatalf("tampered body: %d", rec.Code)
	}
	if p := e.payment(t, a.Payment.ID); p.Status != "REQUIRES_ACTION" {
		t.Fatalf("after refused deliveries: %+v", p)
	}

	// The customer passed 3-D Secure: Stripe says so, twice at once.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Go(func() { codes[i] = e.deliver(t, body, stripeSecret, now) })
	}
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Fatalf("deliveries: %v", codes)
	}
	if p := e.payment(t, a.Payment.ID); p.Status != "AUTHORIZED" || p.NextAction != nil {
		t.Fatalf("after the event: %+v", p)
	}
	// An older requires_action arriving late changes nothing.
	if c := e.deliver(t, event(t, "payment_intent.requires_action", fill), stripeSecret, now); c != 200 {
		t.Fatalf("late requires_action: %d", c)
	}
	if p := e.payment(t, a.Payment.ID); p.Status != "AUTHORIZED" {
		t.Fatalf("after the late event: %+v", p)
	}
	if n := e.settledEvents(t, a.Payment.ID, "AUTHORIZE", "SUCCEEDED"); n != 1 {
		t.Errorf("%d payment.transaction_settled for the authorization", n)
	}

	// Another customer fails 3-D Secure.
	b := e.authorize(t, e.shopper, "k-3ds-fail", "45.00", "pm_card_threeDSecure2Required")
	bp := e.payment(t, b.Payment.ID)
	failed := event(t, "payment_intent.payment_failed", map[string]string{"PAYMENT_INTENT": bp.Transactions[0].ProviderReference, "TRANSACTION": bp.Transactions[0].ID})
	if c := e.deliver(t, failed, stripeSecret, now); c != 200 {
		t.Fatalf("payment_failed: %d", c)
	}
	if p := e.payment(t, b.Payment.ID); p.Status != "FAILED" {
		t.Fatalf("after payment_failed: %+v", p)
	}
}

func TestStripeEventsSettleWhatTimedOut(t *testing.T) {
	t.Parallel()
	fake, srv := newFakeStripe(t)
	e := newStripeEnv(t, srv)
	now := time.Now()

	// An authorization whose answer never came: Stripe's requires_action
	// event tells us the customer must act.
	fake.mu.Lock()
	fake.slowCreate = true
	fake.mu.Unlock()
	if r := e.authorize(t, e.shopper, "k-slow", "45.00", "pm_card_threeDSecure2Required"); code(r) != "PROVIDER_UNAVAILABLE" {
		t.Fatalf("slow authorize: %+v", r)
	}
	var txID, paymentID string
	if err := e.pool.QueryRow(context.Background(), `SELECT id, payment_id FROM transactions WHERE idempotency_key = 'k-slow'`).Scan(&txID, &paymentID); err != nil {
		t.Fatal(err)
	}
	if c := e.deliver(t, event(t, "payment_intent.requires_action", map[string]string{"PAYMENT_INTENT": "pi_slow", "TRANSACTION": txID}), stripeSecret, now); c != 200 {
		t.Fatalf("requires_action: %d", c)
	}
	if p := e.payment(t, paymentID); p.Status != "REQUIRES_ACTION" || p.NextAction == nil || p.NextAction.Type != "REDIRECT" {
		t.Fatalf("after requires_action: %+v", p)
	}

	// A capture whose answer never came: payment_intent.succeeded settles it.
	a := e.authorize(t, e.shopper, "k", "80.00", "pm_card_visa")
	fake.mu.Lock()
	fake.slowCapture = true
	fake.mu.Unlock()
	if c := e.follow(t, "capturePayment", a.Payment.ID, "cap", nil); code(c) != "PROVIDER_UNAVAILABLE" {
		t.Fatalf("slow capture: %+v", c)
	}
	ap := e.payment(t, a.Payment.ID)
	fill := map[string]string{"PAYMENT_INTENT": ap.Transactions[0].ProviderReference, "TRANSACTION": ap.Transactions[0].ID}
	if c := e.deliver(t, event(t, "payment_intent.succeeded", fill), stripeSecret, now); c != 200 {
		t.Fatalf("succeeded: %d", c)
	}
	if p := e.payment(t, a.Payment.ID); p.Status != "PAID" {
		t.Fatalf("after succeeded: %+v", p)
	}

	// Refunds Stripe answers "pending": charge.refunded settles those it covers.
	fake.mu.Lock()
	fake.refundStatus = "pending"
	fake.mu.Unlock()
	for _, k := range []string{"r1", "r2"} {
		if r := e.follow(t, "refundPayment", a.Payment.ID, k, "30.00"); code(r) != "" {
			t.Fatalf("refund: %+v", r)
		}
	}
	fill["AMOUNT_REFUNDED"] = "3000"
	if c := e.deliver(t, event(t, "charge.refunded", fill), stripeSecret, now); c != 200 {
		t.Fatalf("charge.refunded: %d", c)
	}
	if r := e.follow(t, "refundPayment", a.Payment.ID, "r1", "30.00"); r.Payment.Refunded.Amount != "30.00" || r.Payment.Status != "PARTIALLY_REFUNDED" {
		t.Fatalf("after charge.refunded: %+v", r.Payment)
	}

	// payout.paid is recorded once, however often it comes.
	for range 2 {
		if c := e.deliver(t, event(t, "payout.paid", nil), stripeSecret, now); c != 200 {
			t.Fatalf("payout.paid: %d", c)
		}
	}
	var n int
	var amount int64
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*), sum(amount_minor) FROM provider_payouts WHERE provider = 'stripe' AND status = 'paid'`).Scan(&n, &amount); err != nil {
		t.Fatal(err)
	}
	if n != 1 || amount != 123456 {
		t.Errorf("payouts: %d rows, %d", n, amount)
	}
}
