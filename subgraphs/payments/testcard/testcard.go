// Package testcard is a payment provider that behaves like a card network
// in test mode, in process: fixed test tokens succeed, decline, ask for
// 3-D Secure or fail on capture, and every call is idempotent by key, as a
// real provider's is. It is the default provider for development and the
// demo; production configures a real one (see stripeapi).
package testcard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
)

// Test tokens, as a provider's client-side form would return them.
const (
	Visa              = "tok_visa"               // succeeds
	Mastercard        = "tok_mastercard"         // succeeds
	Declined          = "tok_decline"            // authorization declined
	InsufficientFunds = "tok_insufficient_funds" // authorization declined
	ThreeDSecure      = "tok_3ds"                // authorization needs the customer
	CaptureFails      = "tok_capture_fail"       // authorizes, then every capture fails
)

var cards = map[string]payment.Card{
	Visa:              {Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2034},
	Mastercard:        {Brand: "mastercard", Last4: "4444", ExpMonth: 6, ExpYear: 2033},
	Declined:          {Brand: "visa", Last4: "0002", ExpMonth: 12, ExpYear: 2034},
	InsufficientFunds: {Brand: "visa", Last4: "9995", ExpMonth: 12, ExpYear: 2034},
	ThreeDSecure:      {Brand: "visa", Last4: "3155", ExpMonth: 12, ExpYear: 2034},
	CaptureFails:      {Brand: "visa", Last4: "0119", ExpMonth: 12, ExpYear: 2034},
}

// Provider is the test card network.
type Provider struct {
	mu      sync.Mutex
	answers map[string]payment.ProviderResult // by idempotency key
	tokens  map[string]string                 // authorization ref → token
	// challenges are the 3-D Secure checks waiting for the customer, by
	// authorization ref: the ledger entry (our idempotency key) each
	// settles. Completing or voiding one removes it.
	challenges map[string]string
}

// New returns a test provider with no history.
func New() *Provider {
	return &Provider{answers: map[string]payment.ProviderResult{}, tokens: map[string]string{}, challenges: map[string]string{}}
}

// ChallengePath is where the provider's 3-D Secure page is served, below
// the payments service's public URL; the authorization ref follows it.
const ChallengePath = "/3ds/testcard/"

// ErrNoChallenge: the authorization is not waiting for the customer (it
// was completed, voided, or never asked for 3-D Secure).
var ErrNoChallenge = errors.New("no 3-D Secure check is waiting for this payment")

// Complete is the customer's answer on the challenge page. The provider
// sends the event about it (as its webhook would) to deliver, for the
// payments service to apply; only once that succeeded is the challenge
// answered, so a failed delivery can be answered again. Once answered,
// or once the authorization is voided, a challenge is gone.
func (p *Provider) Complete(ctx context.Context, ref string, approve bool, deliver func(context.Context, payment.WebhookEvent) error) error {
	p.mu.Lock()
	defer p.mu.Unlock() // one answer at a time: the test provider is small
	key, ok := p.challenges[ref]
	if !ok {
		return ErrNoChallenge
	}
	e := payment.WebhookEvent{ID: "evt_3ds_" + short(ref), Type: "authentication.completed"}
	e.Data.TransactionID, e.Data.Ref = key, ref
	e.Data.Outcome = payment.Succeeded
	if !approve {
		e.Data.Outcome, e.Data.ErrorCode = payment.Failed, "authentication_failed"
	}
	if err := deliver(ctx, e); err != nil && !errors.Is(err, payment.ErrDuplicateWebhook) {
		return err
	}
	delete(p.challenges, ref)
	// A retry of the authorization with the same key now learns the outcome.
	p.answers[key] = payment.ProviderResult{Outcome: e.Data.Outcome, Ref: ref, ErrorCode: e.Data.ErrorCode}
	return nil
}

// Name is the provider's name in payments.
func (p *Provider) Name() string { return "testcard" }

// Card describes a test token.
func (p *Provider) Card(_ context.Context, token string) (payment.Card, error) {
	c, ok := cards[token]
	if !ok {
		return payment.Card{}, payment.ErrUnknownToken
	}
	return c, nil
}

// Authorize approves, declines or asks for 3-D Secure by token. A 3-D
// Secure authorization sends the customer to the provider's challenge
// page, at the public URL the context carries (payment.WithPublicURL).
func (p *Provider) Authorize(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	return p.once(r.IdempotencyKey, func() payment.ProviderResult {
		ref := "tc_" + short(r.IdempotencyKey)
		p.tokens[ref] = r.Token
		switch r.Token {
		case Visa, Mastercard, CaptureFails:
			return payment.ProviderResult{Outcome: payment.Succeeded, Ref: ref}
		case ThreeDSecure:
			p.challenges[ref] = r.IdempotencyKey
			return payment.ProviderResult{Outcome: payment.RequiresAction, Ref: ref, Action: &payment.Action{Type: payment.ActionRedirect,
				RedirectURL:  strings.TrimRight(payment.PublicURL(ctx), "/") + ChallengePath + ref,
				ClientSecret: ref + "_secret_" + short("secret:"+ref)}}
		case InsufficientFunds:
			return payment.ProviderResult{Outcome: payment.Failed, Ref: ref, ErrorCode: "insufficient_funds"}
		default:
			return payment.ProviderResult{Outcome: payment.Failed, Ref: ref, ErrorCode: "card_declined"}
		}
	}), nil
}

// Capture succeeds unless the card is the capture-failing one.
func (p *Provider) Capture(_ context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	return p.once(r.IdempotencyKey, func() payment.ProviderResult {
		if p.tokens[r.Ref] == CaptureFails {
			return payment.ProviderResult{Outcome: payment.Failed, Ref: "ch_" + short(r.IdempotencyKey), ErrorCode: "processing_error"}
		}
		return payment.ProviderResult{Outcome: payment.Succeeded, Ref: "ch_" + short(r.IdempotencyKey)}
	}), nil
}

// Void always succeeds; a challenge still waiting can no longer be answered.
func (p *Provider) Void(_ context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	return p.once(r.IdempotencyKey, func() payment.ProviderResult {
		delete(p.challenges, r.Ref)
		return payment.ProviderResult{Outcome: payment.Succeeded, Ref: r.Ref}
	}), nil
}

// Refund always succeeds: the amount rules are ours to keep.
func (p *Provider) Refund(_ context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	return p.once(r.IdempotencyKey, func() payment.ProviderResult {
		return payment.ProviderResult{Outcome: payment.Succeeded, Ref: "re_" + short(r.IdempotencyKey)}
	}), nil
}

// once answers a key the first time and repeats that answer ever after.
func (p *Provider) once(key string, f func() payment.ProviderResult) payment.ProviderResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.answers[key]; ok {
		return r
	}
	r := f()
	p.answers[key] = r
	return r
}

func short(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}
