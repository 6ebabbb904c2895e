package payments_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/platform/webhook"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/subgraphs/payments"
	"github.com/myshop/supergraph/subgraphs/payments/payment"
	pgstore "github.com/myshop/supergraph/subgraphs/payments/postgres"
	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

const secret = "whsec_test"

type env struct {
	h          http.Handler
	tokens     *authtest.Issuer
	statements *postgres.StatementCounter
	shopper    string // Ada's token
	staff      string // a token with every payment permission
	payouts    *payment.Payouts
}

func newEnv(t *testing.T, provider payment.Provider) *env {
	t.Helper()
	counter := &postgres.StatementCounter{}
	pool, err := postgres.Open(context.Background(), pgtest.NewDatabase(t, pgstore.Migrations), counter)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if provider == nil {
		provider = testcard.New()
	}
	issuer := authtest.New(t)
	h := payments.NewHandler(subgraph.Deps{Pool: pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LoaderWait: subgraph.DefaultLoaderWait, Verifier: issuer.Verifier()}, provider, secret)
	return &env{h: h, tokens: issuer, statements: counter, payouts: payment.NewPayouts(pgstore.New(pool), ids.New),
		shopper: issuer.Token("usr_0001"),
		staff:   issuer.Token("usr_staff", payment.ManageOrders, payment.RefundPayments, payment.ReadOrders)}
}

type paymentResult struct {
	Payment *struct {
		ID, Status         string
		Captured, Refunded struct{ Amount string }
		Transactions       []struct{ Kind, Outcome string }
	}
	Errors []struct{ Code string }
}

const paymentFields = `payment { id status captured { amount } refunded { amount } transactions { kind outcome } } errors { code }`

func (e *env) do(t *testing.T, token, mutation, field string, vars map[string]any) paymentResult {
	t.Helper()
	resp := gqltest.DoAs(t, e.h, token, mutation, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("%s: %+v", field, resp.Errors)
	}
	var out map[string]paymentResult
	gqltest.Decode(t, resp.Data, &out)
	return out[field]
}

func (e *env) authorize(t *testing.T, token, key, amount, card string) paymentResult {
	t.Helper()
	return e.do(t, token, `mutation($k: String!, $a: Decimal!, $t: String) { authorizePayment(input: {orderId: "ord_1", amount: {amount: $a, currencyCode: USD}, token: $t, idempotencyKey: $k}) { `+paymentFields+` } }`,
		"authorizePayment", map[string]any{"k": key, "a": amount, "t": card})
}

func (e *env) follow(t *testing.T, op, paymentID, key string, amount any) paymentResult {
	t.Helper()
	input := `{paymentId: $p, idempotencyKey: $k}`
	vars := map[string]any{"p": paymentID, "k": key}
	decl := `$p: ID!, $k: String!`
	if amount != nil {
		input = `{paymentId: $p, idempotencyKey: $k, amount: {amount: $a, currencyCode: USD}}`
		decl += `, $a: Decimal!`
		vars["a"] = amount
	}
	return e.do(t, e.staff, `mutation(`+decl+`) { `+op+`(input: `+input+`) { `+paymentFields+` } }`, op, vars)
}

func code(r paymentResult) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code
}

func TestPaymentLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.authorize(t, e.shopper, "k1", "100.00", testcard.Visa)
	if code(a) != "" || a.Payment.Status != "AUTHORIZED" {
		t.Fatalf("authorize: %+v", a)
	}
	id := a.Payment.ID
	steps := []struct {
		op, amount, status, code, captured, refunded string
	}{
		{"capturePayment", "30.00", "PARTIALLY_PAID", "", "30.00", "0.00"},
		{"capturePayment", "80.00", "PARTIALLY_PAID", "CAPTURE_EXCEEDS_AUTHORIZED", "30.00", "0.00"},
		{"capturePayment", "", "PAID", "", "100.00", "0.00"},
		{"refundPayment", "25.50", "PARTIALLY_REFUNDED", "", "100.00", "25.50"},
		{"refundPayment", "74.51", "PARTIALLY_REFUNDED", "REFUND_EXCEEDS_CAPTURED", "100.00", "25.50"},
		{"refundPayment", "74.50", "REFUNDED", "", "100.00", "100.00"},
		{"voidPayment", "", "REFUNDED", "INVALID_STATE", "100.00", "100.00"},
	}
	for i, s := range steps {
		var amount any
		if s.amount != "" {
			amount = s.amount
		}
		r := e.follow(t, s.op, id, fmt.Sprintf("step-%d", i), amount)
		if code(r) != s.code {
			t.Fatalf("step %d %s %s: code %q, want %q", i, s.op, s.amount, code(r), s.code)
		}
		if s.code != "" {
			continue
		}
		if r.Payment.Status != s.status || r.Payment.Captured.Amount != s.captured || r.Payment.Refunded.Amount != s.refunded {
			t.Fatalf("step %d %s: %+v", i, s.op, r.Payment)
		}
	}
}

func TestDeclinedAnd3DSecure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	d := e.authorize(t, e.shopper, "k-decline", "10.00", testcard.Declined)
	if code(d) != "DECLINED" || d.Payment.Status != "FAILED" {
		t.Fatalf("decline: %+v", d)
	}
	r := e.authorize(t, e.shopper, "k-3ds", "10.00", testcard.ThreeDSecure)
	if code(r) != "" || r.Payment.Status != "REQUIRES_ACTION" {
		t.Fatalf("3ds: %+v", r)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	first := e.authorize(t, e.shopper, "same-key", "42.00", testcard.Visa)
	again := e.authorize(t, e.shopper, "same-key", "42.00", testcard.Visa)
	if again.Payment == nil || again.Payment.ID != first.Payment.ID || len(again.Payment.Transactions) != 1 {
		t.Fatalf("replay made something new: %+v vs %+v", first, again)
	}
	if other := e.authorize(t, e.shopper, "same-key", "43.00", testcard.Visa); code(other) != "IDEMPOTENCY_KEY_REUSED" {
		t.Fatalf("other input with the same key: %+v", other)
	}
	// Keys belong to who sent them: another shopper's same key is theirs.
	if mine := e.authorize(t, e.tokens.Token("usr_0002"), "same-key", "43.00", testcard.Visa); code(mine) != "" || mine.Payment.ID == first.Payment.ID {
		t.Fatalf("another user's key collided: %+v", mine)
	}
	c1 := e.follow(t, "capturePayment", first.Payment.ID, "cap", "10.00")
	c2 := e.follow(t, "capturePayment", first.Payment.ID, "cap", "10.00")
	if c2.Payment.Captured.Amount != "10.00" || len(c2.Payment.Transactions) != len(c1.Payment.Transactions) {
		t.Fatalf("capture replay captured twice: %+v", c2.Payment)
	}
}

func TestConcurrentRefundsNeverExceedTheCapture(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.authorize(t, e.shopper, "k", "100.00", testcard.Visa)
	e.follow(t, "capturePayment", a.Payment.ID, "cap", nil)
	var wg sync.WaitGroup
	codes := make([]string, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = code(e.follow(t, "refundPayment", a.Payment.ID, fmt.Sprintf("refund-%d", i), "30.00"))
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case "REFUND_EXCEEDS_CAPTURED":
		default:
			t.Fatalf("unexpected code %q", c)
		}
	}
	if ok != 3 {
		t.Fatalf("%d refunds of 30.00 out of 100.00 succeeded, want 3 (codes %v)", ok, codes)
	}
}

// flakyCapture plays a provider that does the capture but whose answer is
// lost (a timeout): the retry must learn the outcome, not capture again.
type flakyCapture struct {
	*testcard.Provider
	mu       sync.Mutex
	lost     bool
	captures int
}

func (f *flakyCapture) Capture(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	res, err := f.Provider.Capture(ctx, r)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.captures++
	if !f.lost {
		f.lost = true
		return payment.ProviderResult{}, context.DeadlineExceeded
	}
	return res, err
}

func TestCaptureTimeoutIsReconciledNotRepeated(t *testing.T) {
	t.Parallel()
	p := &flakyCapture{Provider: testcard.New()}
	e := newEnv(t, p)
	a := e.authorize(t, e.shopper, "k", "50.00", testcard.Visa)
	first := e.follow(t, "capturePayment", a.Payment.ID, "cap", nil)
	if code(first) != "PROVIDER_UNAVAILABLE" {
		t.Fatalf("lost answer: %+v", first)
	}
	// Meanwhile nothing else may be captured on top of the pending one.
	if more := e.follow(t, "capturePayment", a.Payment.ID, "cap-2", "0.01"); code(more) != "CAPTURE_EXCEEDS_AUTHORIZED" {
		t.Fatalf("captured beside a pending capture: %+v", more)
	}
	retry := e.follow(t, "capturePayment", a.Payment.ID, "cap", nil)
	if code(retry) != "" || retry.Payment.Status != "PAID" || retry.Payment.Captured.Amount != "50.00" {
		t.Fatalf("retry: %+v", retry)
	}
	captures := 0
	for _, tx := range retry.Payment.Transactions {
		if tx.Kind == "CAPTURE" {
			captures++
		}
	}
	if captures != 1 {
		t.Fatalf("ledger has %d captures", captures)
	}
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.authorize(t, e.shopper, "k", "10.00", testcard.ThreeDSecure)
	resp := gqltest.DoAs(t, e.h, e.staff, `query($id: ID!) { payment(id: $id) { transactions { id } } }`, map[string]any{"id": r.Payment.ID})
	var got struct {
		Payment struct{ Transactions []struct{ ID string } }
	}
	gqltest.Decode(t, resp.Data, &got)
	txID := got.Payment.Transactions[0].ID

	body := []byte(`{"id":"evt_1","type":"transaction.settled","data":{"transaction_id":"` + txID + `","outcome":"SUCCEEDED","ref":"tc_3ds_done"}}`)
	post := func(b []byte, sig string) int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/testcard", bytes.NewReader(b))
		req.Header.Set(payments.SignatureHeader, sig)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec.Code
	}
	now := time.Now()
	if c := post(body, "t=1,v1=00"); c != 400 {
		t.Fatalf("garbage signature: %d", c)
	}
	if c := post(body, webhook.Sign("wrong secret", now, body)); c != 400 {
		t.Fatalf("wrong secret: %d", c)
	}
	if c := post(body, webhook.Sign(secret, now.Add(-6*time.Minute), body)); c != 400 {
		t.Fatalf("old timestamp: %d", c)
	}
	tampered := bytes.Replace(body, []byte("SUCCEEDED"), []byte("FAILED"), 1)
	if c := post(tampered, webhook.Sign(secret, now, body)); c != 400 {
		t.Fatalf("tampered body: %d", c)
	}
	// The same event twice at the same moment: applied once.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = post(body, webhook.Sign(secret, now, body)) }()
	}
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Fatalf("deliveries: %v", codes)
	}
	// A late, out-of-order event about the same transaction changes nothing.
	late := []byte(`{"id":"evt_0","type":"transaction.settled","data":{"transaction_id":"` + txID + `","outcome":"FAILED"}}`)
	if c := post(late, webhook.Sign(secret, now, late)); c != 200 {
		t.Fatalf("late event: %d", c)
	}
	after := gqltest.DoAs(t, e.h, e.staff, `query($id: ID!) { payment(id: $id) { status transactions { outcome providerReference } } }`, map[string]any{"id": r.Payment.ID})
	gqltest.JSONEq(t, after.Data, `{"payment":{"status":"AUTHORIZED","transactions":[{"outcome":"SUCCEEDED","providerReference":"tc_3ds_done"}]}}`)
}

func TestPermissionsAndPrivacy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.authorize(t, e.shopper, "k", "10.00", testcard.Visa)
	resp := gqltest.DoAs(t, e.h, e.shopper, `mutation($p: ID!) { capturePayment(input: {paymentId: $p, idempotencyKey: "x"}) { errors { code } } }`, map[string]any{"p": a.Payment.ID})
	if len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("shopper captured: %s %+v", resp.Data, resp.Errors)
	}
	q := `query($id: ID!) { payment(id: $id) { id } }`
	for who, tok := range map[string]string{"anonymous": "", "another shopper": e.tokens.Token("usr_0002")} {
		if r := gqltest.DoAs(t, e.h, tok, q, map[string]any{"id": a.Payment.ID}); !strings.Contains(string(r.Data), `"payment":null`) {
			t.Fatalf("%s saw the payment: %s", who, r.Data)
		}
	}
	ents := gqltest.DoAs(t, e.h, e.tokens.Token("usr_0002"), `query($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { id } } }`,
		map[string]any{"r": []any{map[string]any{"__typename": "Payment", "id": a.Payment.ID}}})
	gqltest.JSONEq(t, ents.Data, `{"_entities":[null]}`)
	if r := gqltest.DoAs(t, e.h, e.shopper, q, map[string]any{"id": a.Payment.ID}); strings.Contains(string(r.Data), "null") {
		t.Fatalf("payer cannot see the payment: %s", r.Data)
	}
	if bad := e.authorize(t, e.shopper, "k2", "10.001", testcard.Visa); code(bad) != "INVALID_AMOUNT" {
		t.Fatalf("three decimals in USD: %+v", bad)
	}
}

func TestPaymentMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	add := func(tok, card string) (string, string) {
		resp := gqltest.DoAs(t, e.h, tok, `mutation($t: String!) { addPaymentMethod(token: $t) { paymentMethod { id } errors { code } } }`, map[string]any{"t": card})
		var out struct {
			AddPaymentMethod struct {
				PaymentMethod *struct{ ID string }
				Errors        []struct{ Code string }
			}
		}
		gqltest.Decode(t, resp.Data, &out)
		if len(out.AddPaymentMethod.Errors) > 0 {
			return "", out.AddPaymentMethod.Errors[0].Code
		}
		return out.AddPaymentMethod.PaymentMethod.ID, ""
	}
	visa, _ := add(e.shopper, testcard.Visa)
	mc, _ := add(e.shopper, testcard.Mastercard)
	if _, c := add(e.shopper, "tok_made_up"); c != "NOT_FOUND" {
		t.Fatalf("unknown token: %q", c)
	}
	list := `{ myPaymentMethods { id brand last4 isDefault } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.shopper, list, nil).Data, `{"myPaymentMethods":[
		{"id":"`+visa+`","brand":"visa","last4":"4242","isDefault":true},{"id":"`+mc+`","brand":"mastercard","last4":"4444","isDefault":false}]}`)
	gqltest.DoAs(t, e.h, e.shopper, `mutation($id: ID!) { setDefaultPaymentMethod(id: $id) { errors { code } } }`, map[string]any{"id": mc})
	gqltest.DoAs(t, e.h, e.shopper, `mutation($id: ID!) { removePaymentMethod(id: $id) { errors { code } } }`, map[string]any{"id": visa})
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.shopper, list, nil).Data, `{"myPaymentMethods":[{"id":"`+mc+`","brand":"mastercard","last4":"4444","isDefault":true}]}`)

	// Paying with a saved method, and someone else's refused.
	pay := `mutation($m: ID!, $k: String!) { authorizePayment(input: {orderId: "ord_9", amount: {amount: "5.00", currencyCode: USD}, paymentMethodId: $m, idempotencyKey: $k}) { payment { status } errors { code } } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.shopper, pay, map[string]any{"m": mc, "k": "a"}).Data, `{"authorizePayment":{"payment":{"status":"AUTHORIZED"},"errors":[]}}`)
	other := gqltest.DoAs(t, e.h, e.tokens.Token("usr_0002"), pay, map[string]any{"m": mc, "k": "b"})
	if !strings.Contains(string(other.Data), "NOT_FOUND") {
		t.Fatalf("paid with another user's card: %s", other.Data)
	}
}

// TestLedgerReadsAreConstant: many payments with their ledgers and status
// cost the same statements as one.
func TestLedgerReadsAreConstant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	var reps []any
	for i := range 12 {
		a := e.authorize(t, e.shopper, fmt.Sprintf("k%d", i), "10.00", testcard.Visa)
		e.follow(t, "capturePayment", a.Payment.ID, fmt.Sprintf("c%d", i), nil)
		reps = append(reps, map[string]any{"__typename": "Payment", "id": a.Payment.ID})
	}
	count := func(n int) int64 {
		e.statements.Reset()
		resp := gqltest.DoAs(t, e.h, e.staff, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { status captured { amount } transactions { kind } } } }`,
			map[string]any{"r": reps[:n]})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
		return e.statements.Count()
	}
	if one, all := count(1), count(12); one != all || one != 2 {
		t.Fatalf("statements: %d for 1 payment, %d for 12; want 2 (payments, ledgers)", one, all)
	}
}

func TestPaymentsByOrderIsForStaff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.authorize(t, e.shopper, "k1", "10.00", testcard.Visa)
	e.authorize(t, e.shopper, "k2", "10.00", testcard.Declined)
	q := `{ paymentsByOrder(orderId: "ord_1") { status } }`
	if r := gqltest.DoAs(t, e.h, e.shopper, q, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("shopper listed an order's payments: %s", r.Data)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, e.staff, q, nil).Data, `{"paymentsByOrder":[{"status":"AUTHORIZED"},{"status":"FAILED"}]}`)
}
