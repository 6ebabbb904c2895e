// Package stripeapi is the Stripe payment provider, through Stripe's own
// library (stripe-go): PaymentIntents with manual capture, refunds, and an
// idempotency key on every write; and Stripe's webhooks, verified by its
// webhook package. The API's base URL is configurable, so it can point at
// Stripe, or at the stand-in the tests run.
package stripeapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v84"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
)

// Provider calls Stripe's API.
type Provider struct {
	sc        *stripe.Client
	returnURL string
}

// Config is how to reach Stripe.
type Config struct {
	// BaseURL is the API's address; "" is Stripe's own (api.stripe.com).
	BaseURL string
	// Key is the secret API key (sk_live_…, sk_test_…).
	Key string
	// Timeout: a call that takes longer counts as unanswered, and its
	// ledger entry stays pending until a retry with the same key or a
	// webhook says how it ended.
	Timeout time.Duration
	// ReturnURL is where Stripe sends a customer back after a redirect
	// (3-D Secure); with none, Stripe asks for its client library
	// (next action use_stripe_sdk).
	ReturnURL string
}

// New returns a provider for c. The library's own retries are off: our
// ledger retries, with the same idempotency key.
func New(c Config) *Provider {
	bc := &stripe.BackendConfig{
		HTTPClient:        &http.Client{Timeout: c.Timeout},
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		EnableTelemetry:   stripe.Bool(false),
	}
	if c.BaseURL != "" {
		bc.URL = stripe.String(strings.TrimRight(c.BaseURL, "/"))
	}
	b := stripe.GetBackendWithConfig(stripe.APIBackend, bc)
	return &Provider{sc: stripe.NewClient(c.Key, stripe.WithBackends(&stripe.Backends{API: b, Connect: b, Uploads: b, MeterEvents: b})),
		returnURL: c.ReturnURL}
}

// Name is the provider's name in payments and in its webhook path.
func (p *Provider) Name() string { return "stripe" }

// TransactionMetadata is the PaymentIntent and Refund metadata key that
// carries our ledger entry's id, so Stripe's events name the entry they
// settle.
const TransactionMetadata = "transaction_id"

// Authorize creates and confirms a PaymentIntent for manual capture.
func (p *Provider) Authorize(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	params := &stripe.PaymentIntentCreateParams{
		Amount: stripe.Int64(r.Amount.Minor), Currency: stripe.String(strings.ToLower(string(r.Amount.Currency))),
		PaymentMethod: stripe.String(r.Token), CaptureMethod: stripe.String(string(stripe.PaymentIntentCaptureMethodManual)),
		Confirm: stripe.Bool(true), Metadata: map[string]string{TransactionMetadata: r.IdempotencyKey},
		// Cards only: the tokens are card payment methods, and Stripe
		// refuses a server-side confirm without return_url when it may
		// offer redirect-based methods.
		PaymentMethodTypes: stripe.StringSlice([]string{"card"}),
	}
	if p.returnURL != "" {
		params.ReturnURL = stripe.String(p.returnURL)
	}
	params.SetIdempotencyKey(r.IdempotencyKey)
	pi, err := p.sc.V1PaymentIntents.Create(ctx, params)
	if res, ok := declined(err); ok {
		return res, nil
	}
	if err != nil {
		return payment.ProviderResult{}, fmt.Errorf("stripe: create payment intent: %w", err)
	}
	return AuthorizationResult(pi), nil
}

// AuthorizationResult is what a PaymentIntent says of its authorization.
func AuthorizationResult(pi *stripe.PaymentIntent) payment.ProviderResult {
	res := payment.ProviderResult{Ref: pi.ID}
	switch pi.Status {
	case stripe.PaymentIntentStatusRequiresCapture, stripe.PaymentIntentStatusSucceeded:
		res.Outcome = payment.Succeeded
	case stripe.PaymentIntentStatusRequiresAction:
		res.Outcome, res.Action = payment.RequiresAction, nextAction(pi)
	case stripe.PaymentIntentStatusProcessing:
		res.Outcome = payment.Pending // its webhook settles it
	default:
		res.Outcome, res.ErrorCode = payment.Failed, "unexpected_status_"+string(pi.Status)
		if pi.LastPaymentError != nil {
			res.ErrorCode = errorCode(pi.LastPaymentError)
		}
	}
	return res
}

// nextAction maps a PaymentIntent's next_action: a redirect to the bank's
// page, or (use_stripe_sdk and the others) Stripe.js with the client secret.
func nextAction(pi *stripe.PaymentIntent) *payment.Action {
	a := &payment.Action{Type: payment.ActionSDK, ClientSecret: pi.ClientSecret}
	if pi.NextAction != nil && pi.NextAction.Type == stripe.PaymentIntentNextActionTypeRedirectToURL && pi.NextAction.RedirectToURL != nil {
		a.Type, a.RedirectURL = payment.ActionRedirect, pi.NextAction.RedirectToURL.URL
	}
	return a
}

// Capture captures part or all of an intent.
func (p *Provider) Capture(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	params := &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(r.Amount.Minor)}
	params.SetIdempotencyKey(r.IdempotencyKey)
	pi, err := p.sc.V1PaymentIntents.Capture(ctx, r.Ref, params)
	if res, ok := declined(err); ok {
		return res, nil
	}
	if err != nil {
		return payment.ProviderResult{}, fmt.Errorf("stripe: capture: %w", err)
	}
	ref := pi.ID
	if pi.LatestCharge != nil && pi.LatestCharge.ID != "" {
		ref = pi.LatestCharge.ID
	}
	if pi.Status == stripe.PaymentIntentStatusSucceeded || pi.Status == stripe.PaymentIntentStatusRequiresCapture {
		return payment.ProviderResult{Outcome: payment.Succeeded, Ref: ref}, nil
	}
	return payment.ProviderResult{Outcome: payment.Failed, Ref: ref, ErrorCode: "unexpected_status_" + string(pi.Status)}, nil
}

// Void cancels an uncaptured intent, or one still waiting for the customer.
func (p *Provider) Void(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	params := &stripe.PaymentIntentCancelParams{}
	params.SetIdempotencyKey(r.IdempotencyKey)
	pi, err := p.sc.V1PaymentIntents.Cancel(ctx, r.Ref, params)
	if res, ok := declined(err); ok {
		return res, nil
	}
	if err != nil {
		return payment.ProviderResult{}, fmt.Errorf("stripe: cancel: %w", err)
	}
	if pi.Status == stripe.PaymentIntentStatusCanceled {
		return payment.ProviderResult{Outcome: payment.Succeeded, Ref: pi.ID}, nil
	}
	return payment.ProviderResult{Outcome: payment.Failed, Ref: pi.ID, ErrorCode: "unexpected_status_" + string(pi.Status)}, nil
}

// Refund refunds part or all of what an intent captured.
func (p *Provider) Refund(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	params := &stripe.RefundCreateParams{PaymentIntent: stripe.String(r.Ref), Amount: stripe.Int64(r.Amount.Minor),
		Metadata: map[string]string{TransactionMetadata: r.IdempotencyKey}}
	params.SetIdempotencyKey(r.IdempotencyKey)
	re, err := p.sc.V1Refunds.Create(ctx, params)
	if res, ok := declined(err); ok {
		return res, nil
	}
	if err != nil {
		return payment.ProviderResult{}, fmt.Errorf("stripe: refund: %w", err)
	}
	switch re.Status {
	case stripe.RefundStatusSucceeded:
		return payment.ProviderResult{Outcome: payment.Succeeded, Ref: re.ID}, nil
	case stripe.RefundStatusPending:
		return payment.ProviderResult{Outcome: payment.Pending, Ref: re.ID}, nil // charge.refunded settles it
	}
	return payment.ProviderResult{Outcome: payment.Failed, Ref: re.ID, ErrorCode: "refund_" + string(re.Status)}, nil
}

// Card reads what may be shown of a tokenised card.
func (p *Provider) Card(ctx context.Context, token string) (payment.Card, error) {
	pm, err := p.sc.V1PaymentMethods.Retrieve(ctx, token, nil)
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
		return payment.Card{}, payment.ErrUnknownToken
	}
	if err != nil {
		return payment.Card{}, fmt.Errorf("stripe: payment method: %w", err)
	}
	if pm.Card == nil {
		return payment.Card{}, payment.ErrUnknownToken
	}
	return payment.Card{Brand: string(pm.Card.Brand), Last4: pm.Card.Last4, ExpMonth: int(pm.Card.ExpMonth), ExpYear: int(pm.Card.ExpYear)}, nil
}

// declined reads a definite "no" (a card error, or a request Stripe
// refused as invalid) out of err; a timeout, a 5xx or a lost connection is
// no answer at all, and returns false.
func declined(err error) (payment.ProviderResult, bool) {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return payment.ProviderResult{}, false
	}
	switch {
	case se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden ||
		se.HTTPStatusCode == http.StatusTooManyRequests || se.HTTPStatusCode >= 500:
		return payment.ProviderResult{}, false // our key, Stripe's load or Stripe itself: no answer about the card
	case se.Type != stripe.ErrorTypeCard && se.HTTPStatusCode != http.StatusPaymentRequired && se.Type != stripe.ErrorTypeInvalidRequest:
		return payment.ProviderResult{}, false
	}
	res := payment.ProviderResult{Outcome: payment.Failed, ErrorCode: errorCode(se)}
	if se.PaymentIntent != nil {
		res.Ref = se.PaymentIntent.ID
	}
	return res, true
}

func errorCode(e *stripe.Error) string {
	if e.DeclineCode != "" {
		return string(e.DeclineCode)
	}
	if e.Code != "" {
		return string(e.Code)
	}
	return string(e.Type)
}
