// Package stripeapi is a payment provider speaking a Stripe-style HTTP
// API: payment intents with manual capture, refunds, and idempotency keys
// on every write. The base URL is configurable, so it can point at the
// real provider, its test mode, or the stand-in the tests run.
package stripeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/myshop/supergraph/subgraphs/payments/payment"
)

// Provider calls the API at BaseURL with the secret key.
type Provider struct {
	baseURL string
	key     string
	client  *http.Client
}

// New returns a provider for the API at baseURL. A call that takes longer
// than timeout counts as unanswered: its entry stays pending until a retry
// with the same key or a webhook says how it ended.
func New(baseURL, key string, timeout time.Duration) *Provider {
	return &Provider{baseURL: strings.TrimRight(baseURL, "/"), key: key, client: &http.Client{Timeout: timeout}}
}

// Name is the provider's name in payments and in its webhook path.
func (p *Provider) Name() string { return "stripe" }

type intent struct {
	ID               string `json:"id"`
	Status           string `json:"status"`
	LatestCharge     string `json:"latest_charge"`
	LastPaymentError *struct {
		Code string `json:"code"`
	} `json:"last_payment_error"`
}

type apiError struct {
	Error struct {
		Code        string `json:"code"`
		DeclineCode string `json:"decline_code"`
		Message     string `json:"message"`
	} `json:"error"`
}

// errDeclined carries a card error (HTTP 402): a definite "no", unlike a
// timeout.
type errDeclined struct{ code string }

func (e errDeclined) Error() string { return "declined: " + e.code }

// Authorize creates and confirms a payment intent for manual capture.
func (p *Provider) Authorize(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	form := url.Values{
		"amount": {strconv.FormatInt(r.Amount.Minor, 10)}, "currency": {strings.ToLower(string(r.Amount.Currency))},
		"payment_method": {r.Token}, "capture_method": {"manual"}, "confirm": {"true"},
		"metadata[transaction_id]": {r.IdempotencyKey},
	}
	return p.intentCall(ctx, "/v1/payment_intents", form, r.IdempotencyKey, map[string]payment.Outcome{
		"requires_capture": payment.Succeeded, "requires_action": payment.RequiresAction,
	})
}

// Capture captures part or all of an intent.
func (p *Provider) Capture(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	form := url.Values{"amount_to_capture": {strconv.FormatInt(r.Amount.Minor, 10)}}
	res, err := p.intentCall(ctx, "/v1/payment_intents/"+url.PathEscape(r.Ref)+"/capture", form, r.IdempotencyKey,
		map[string]payment.Outcome{"succeeded": payment.Succeeded, "requires_capture": payment.Succeeded})
	return res, err
}

// Void cancels an uncaptured intent.
func (p *Provider) Void(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	return p.intentCall(ctx, "/v1/payment_intents/"+url.PathEscape(r.Ref)+"/cancel", url.Values{}, r.IdempotencyKey,
		map[string]payment.Outcome{"canceled": payment.Succeeded})
}

// Refund refunds part or all of what an intent captured.
func (p *Provider) Refund(ctx context.Context, r payment.ProviderRequest) (payment.ProviderResult, error) {
	form := url.Values{"payment_intent": {r.Ref}, "amount": {strconv.FormatInt(r.Amount.Minor, 10)}}
	var out struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := p.post(ctx, "/v1/refunds", form, r.IdempotencyKey, &out); err != nil {
		var d errDeclined
		if errors.As(err, &d) {
			return payment.ProviderResult{Outcome: payment.Failed, ErrorCode: d.code}, nil
		}
		return payment.ProviderResult{}, err
	}
	switch out.Status {
	case "succeeded":
		return payment.ProviderResult{Outcome: payment.Succeeded, Ref: out.ID}, nil
	case "pending":
		return payment.ProviderResult{Outcome: payment.Pending, Ref: out.ID}, nil
	default:
		return payment.ProviderResult{Outcome: payment.Failed, Ref: out.ID, ErrorCode: "refund_" + out.Status}, nil
	}
}

// Card reads what may be shown of a tokenised card.
func (p *Provider) Card(ctx context.Context, token string) (payment.Card, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.baseURL+"/v1/payment_methods/"+url.PathEscape(token), nil)
	if err != nil {
		return payment.Card{}, err
	}
	req.Header.Set("Authorization", "Bearer "+p.key)
	resp, err := p.client.Do(req)
	if err != nil {
		return payment.Card{}, fmt.Errorf("stripe: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return payment.Card{}, payment.ErrUnknownToken
	}
	if resp.StatusCode != http.StatusOK {
		return payment.Card{}, fmt.Errorf("stripe: payment method: %s", resp.Status)
	}
	var pm struct {
		Card struct {
			Brand    string `json:"brand"`
			Last4    string `json:"last4"`
			ExpMonth int    `json:"exp_month"`
			ExpYear  int    `json:"exp_year"`
		} `json:"card"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&pm); err != nil {
		return payment.Card{}, fmt.Errorf("stripe: payment method: %w", err)
	}
	return payment.Card{Brand: pm.Card.Brand, Last4: pm.Card.Last4, ExpMonth: pm.Card.ExpMonth, ExpYear: pm.Card.ExpYear}, nil
}

func (p *Provider) intentCall(ctx context.Context, path string, form url.Values, key string, ok map[string]payment.Outcome) (payment.ProviderResult, error) {
	var in intent
	if err := p.post(ctx, path, form, key, &in); err != nil {
		var d errDeclined
		if errors.As(err, &d) {
			return payment.ProviderResult{Outcome: payment.Failed, ErrorCode: d.code}, nil
		}
		return payment.ProviderResult{}, err
	}
	ref := in.ID
	if in.LatestCharge != "" && strings.HasSuffix(path, "/capture") {
		ref = in.LatestCharge
	}
	if o, found := ok[in.Status]; found {
		return payment.ProviderResult{Outcome: o, Ref: ref}, nil
	}
	code := "unexpected_status_" + in.Status
	if in.LastPaymentError != nil && in.LastPaymentError.Code != "" {
		code = in.LastPaymentError.Code
	}
	return payment.ProviderResult{Outcome: payment.Failed, Ref: ref, ErrorCode: code}, nil
}

// post sends a form with the idempotency key. A card error (402) is a
// definite answer; anything else that is not 2xx, and any transport
// failure, is "unknown outcome".
func (p *Provider) post(ctx context.Context, path string, form url.Values, key string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.baseURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.key)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Idempotency-Key", key)
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("stripe %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("stripe %s: %w", path, err)
	}
	if resp.StatusCode == http.StatusPaymentRequired {
		var e apiError
		_ = json.Unmarshal(body, &e)
		code := e.Error.DeclineCode
		if code == "" {
			code = e.Error.Code
		}
		return errDeclined{code: code}
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("stripe %s: %s", path, resp.Status)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("stripe %s: %w", path, err)
	}
	return nil
}
