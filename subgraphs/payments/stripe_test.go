package payments_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/payments/stripeapi"
)

// fakeStripe plays the provider's HTTP API: the one stand-in the tests
// use, since the real provider cannot be reached from here. It keeps
// intents, answers a repeated Idempotency-Key with the first response, and
// can be made slow on capture to play a timeout.
type fakeStripe struct {
	mu           sync.Mutex
	intents      map[string]map[string]any
	responses    map[string][]byte
	captures     int
	captureDelay time.Duration
	n            int
}

func newFakeStripe(t *testing.T) (*fakeStripe, *httptest.Server) {
	f := &fakeStripe{intents: map[string]map[string]any{}, responses: map[string][]byte{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var fakeCards = map[string]map[string]any{
	"pm_card_visa":    {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
	"pm_card_decline": {"brand": "visa", "last4": "0002", "exp_month": 12, "exp_year": 2034},
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer sk_test" {
		http.Error(w, `{"error":{"code":"invalid_api_key"}}`, http.StatusUnauthorized)
		return
	}
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payment_methods/") {
		card, ok := fakeCards[strings.TrimPrefix(r.URL.Path, "/v1/payment_methods/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"card": card})
		return
	}
	_ = r.ParseForm()
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	if b, ok := f.responses[key]; ok {
		f.mu.Unlock()
		_, _ = w.Write(b)
		return
	}
	status, body := f.handle(r)
	f.responses[key] = body
	delay := time.Duration(0)
	if strings.HasSuffix(r.URL.Path, "/capture") {
		delay = f.captureDelay
		f.captureDelay = 0 // only the first one is slow
	}
	f.mu.Unlock()
	time.Sleep(delay) // done, but the answer comes too late
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (f *fakeStripe) handle(r *http.Request) (int, []byte) {
	f.n++
	path := r.URL.Path
	switch {
	case path == "/v1/payment_intents":
		if r.Form.Get("payment_method") == "pm_card_decline" {
			return 402, []byte(`{"error":{"code":"card_declined","decline_code":"generic_decline"}}`)
		}
		id := fmt.Sprintf("pi_%d", f.n)
		f.intents[id] = map[string]any{"id": id, "status": "requires_capture", "amount": r.Form.Get("amount")}
		b, _ := json.Marshal(f.intents[id])
		return 200, b
	case strings.HasSuffix(path, "/capture"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/v1/payment_intents/"), "/capture")
		in, ok := f.intents[id]
		if !ok {
			return 404, []byte(`{"error":{"code":"resource_missing"}}`)
		}
		f.captures++
		in["status"], in["latest_charge"] = "succeeded", fmt.Sprintf("ch_%d", f.n)
		b, _ := json.Marshal(in)
		return 200, b
	case path == "/v1/refunds":
		b, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("re_%d", f.n), "status": "succeeded"})
		return 200, b
	}
	return 404, []byte(`{"error":{"code":"resource_missing"}}`)
}

func TestStripeStyleProvider(t *testing.T) {
	t.Parallel()
	fake, srv := newFakeStripe(t)
	e := newEnv(t, stripeapi.New(srv.URL, "sk_test", 300*time.Millisecond))

	if d := e.authorize(t, e.shopper, "k-decline", "10.00", "pm_card_decline"); code(d) != "DECLINED" || d.Payment.Status != "FAILED" {
		t.Fatalf("decline: %+v", d)
	}
	a := e.authorize(t, e.shopper, "k", "80.00", "pm_card_visa")
	if code(a) != "" || a.Payment.Status != "AUTHORIZED" {
		t.Fatalf("authorize: %+v", a)
	}

	// The provider captures but answers after our timeout.
	fake.mu.Lock()
	fake.captureDelay = time.Second
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
		t.Fatalf("the provider captured %d times", captures)
	}
	if r := e.follow(t, "refundPayment", a.Payment.ID, "ref", "20.00"); code(r) != "" || r.Payment.Status != "PARTIALLY_REFUNDED" {
		t.Fatalf("refund: %+v", r)
	}
}
