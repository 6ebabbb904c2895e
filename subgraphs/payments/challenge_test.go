package payments_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/myshop/supergraph/subgraphs/payments/testcard"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

type actionView struct {
	Payment *struct {
		Status     string
		NextAction *struct{ Type, RedirectURL, ClientSecret string }
	}
}

func (e *env) nextAction(t *testing.T, id string) actionView {
	t.Helper()
	var out actionView
	gqltest.Decode(t, gqltest.DoAs(t, e.h, e.shopper, `query($id: ID!) { payment(id: $id) { status nextAction { type redirectUrl clientSecret } } }`,
		map[string]any{"id": id}).Data, &out)
	return out
}

// challenge opens or answers the test provider's 3-D Secure page.
func (e *env) challenge(t *testing.T, redirect, decision string) (int, string) {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, u.Path, nil)
	if decision != "" {
		req = httptest.NewRequest(http.MethodPost, u.Path, strings.NewReader(url.Values{"decision": {decision}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestThreeDSecureChallenge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.authorize(t, e.shopper, "k-3ds", "10.00", testcard.ThreeDSecure)
	a := e.nextAction(t, r.Payment.ID)
	if a.Payment.Status != "REQUIRES_ACTION" || a.Payment.NextAction == nil || a.Payment.NextAction.Type != "REDIRECT" ||
		!strings.HasPrefix(a.Payment.NextAction.RedirectURL, "http://example.com"+testcard.ChallengePath) || a.Payment.NextAction.ClientSecret == "" {
		t.Fatalf("next action: %+v", a.Payment)
	}
	redirect := a.Payment.NextAction.RedirectURL
	if c, body := e.challenge(t, redirect, ""); c != 200 || !strings.Contains(body, `id="approve"`) {
		t.Fatalf("challenge page: %d %s", c, body)
	}
	if c, body := e.challenge(t, redirect, "maybe"); c != 400 {
		t.Fatalf("a bad answer: %d %s", c, body)
	}
	if c, body := e.challenge(t, redirect, "approve"); c != 200 || !strings.Contains(body, "approved") {
		t.Fatalf("approve: %d %s", c, body)
	}
	if a := e.nextAction(t, r.Payment.ID); a.Payment.Status != "AUTHORIZED" || a.Payment.NextAction != nil {
		t.Fatalf("after approval: %+v", a.Payment)
	}
	// Answered once: a second answer, even the other one, changes nothing.
	if c, _ := e.challenge(t, redirect, "fail"); c != http.StatusConflict {
		t.Fatalf("second answer: %d", c)
	}
	if a := e.nextAction(t, r.Payment.ID); a.Payment.Status != "AUTHORIZED" {
		t.Fatalf("after a second answer: %+v", a.Payment)
	}
	// A retry of the authorization with its key learns the outcome.
	if again := e.authorize(t, e.shopper, "k-3ds", "10.00", testcard.ThreeDSecure); again.Payment.Status != "AUTHORIZED" {
		t.Fatalf("replay: %+v", again)
	}
}

func TestThreeDSecureFailedOrVoided(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	failed := e.authorize(t, e.shopper, "k-fail", "10.00", testcard.ThreeDSecure)
	if c, _ := e.challenge(t, e.nextAction(t, failed.Payment.ID).Payment.NextAction.RedirectURL, "fail"); c != 200 {
		t.Fatalf("fail: %d", c)
	}
	if a := e.nextAction(t, failed.Payment.ID); a.Payment.Status != "FAILED" || a.Payment.NextAction != nil {
		t.Fatalf("after failing: %+v", a.Payment)
	}
	// An expired order's payment is voided while it waits: the customer
	// can no longer approve it.
	waiting := e.authorize(t, e.shopper, "k-void", "10.00", testcard.ThreeDSecure)
	redirect := e.nextAction(t, waiting.Payment.ID).Payment.NextAction.RedirectURL
	if v := e.follow(t, "voidPayment", waiting.Payment.ID, "void", nil); code(v) != "" || v.Payment.Status != "VOIDED" {
		t.Fatalf("void: %+v", v)
	}
	if c, _ := e.challenge(t, redirect, ""); c != http.StatusNotFound {
		t.Fatalf("page after void: %d", c)
	}
	if c, _ := e.challenge(t, redirect, "approve"); c != http.StatusConflict {
		t.Fatalf("approve after void: %d", c)
	}
	if a := e.nextAction(t, waiting.Payment.ID); a.Payment.Status != "VOIDED" || a.Payment.NextAction != nil {
		t.Fatalf("after void: %+v", a.Payment)
	}
}
