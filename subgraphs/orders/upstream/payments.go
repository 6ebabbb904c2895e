package upstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Payments is order.Payments over the payments subgraph: authorizations
// as the customer (their forwarded token), the rest as the orders service.
type Payments struct {
	c      *Client
	tokens TokenSource
}

// NewPayments returns the payments client.
func NewPayments(c *Client, tokens TokenSource) *Payments { return &Payments{c: c, tokens: tokens} }

var _ order.Payments = (*Payments)(nil)

// ErrNoCustomer: an authorization needs the customer's own token.
var ErrNoCustomer = errors.New("no customer token to authorize the payment with")

type paymentPayload struct {
	Payment *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"payment"`
	Errors []payloadError `json:"errors"`
}

// Authorize asks payments to hold the order's amount on the customer's
// card. A replay of the same key answers with the first outcome.
func (p *Payments) Authorize(ctx context.Context, r order.AuthorizeRequest) (order.PaymentResult, error) {
	authz := Caller(ctx)
	if r.Guest {
		// A guest has no token: the orders service pays on their behalf.
		var err error
		if authz, err = bearer(ctx, p.tokens); err != nil {
			return order.PaymentResult{}, err
		}
	}
	if authz == "" {
		return order.PaymentResult{}, ErrNoCustomer
	}
	in := map[string]any{"orderId": r.OrderID, "idempotencyKey": r.IdempotencyKey,
		"amount": map[string]any{"amount": r.Amount.Amount(), "currencyCode": string(r.Amount.Currency)}}
	if r.PaymentMethodID != "" {
		in["paymentMethodId"] = r.PaymentMethodID
	} else {
		in["token"] = r.Token
	}
	var out struct{ AuthorizePayment paymentPayload }
	err := p.c.Do(ctx, authz, `mutation($in: AuthorizePaymentInput!) { authorizePayment(input: $in) { payment { id status } errors { code message } } }`,
		map[string]any{"in": in}, &out)
	if err != nil {
		return order.PaymentResult{}, err
	}
	pp := out.AuthorizePayment
	res := order.PaymentResult{}
	if pp.Payment != nil {
		res.ID, res.Status = pp.Payment.ID, pp.Payment.Status
	}
	if len(pp.Errors) > 0 {
		switch e := pp.Errors[0]; e.Code {
		case "DECLINED":
			if res.ID == "" {
				return res, &order.StateError{Message: e.Message}
			}
			res.Status, res.Declined = order.PaymentFailed, e.Message
			return res, nil
		case "PROVIDER_UNAVAILABLE":
			return res, fmt.Errorf("%w: payments: %s", order.ErrUnavailable, e.Message)
		default:
			return res, &order.StateError{Message: e.Message}
		}
	}
	if res.ID == "" {
		return res, fmt.Errorf("%w: authorizePayment gave no payment", order.ErrUnavailable)
	}
	return res, nil
}

// Status is the payment's status as payments derives it from its ledger.
func (p *Payments) Status(ctx context.Context, id string) (string, error) {
	var out struct {
		Payment *struct{ Status string } `json:"payment"`
	}
	if err := p.do(ctx, `query($id: ID!) { payment(id: $id) { status } }`, map[string]any{"id": id}, &out); err != nil {
		return "", err
	}
	if out.Payment == nil {
		return "", &order.StateError{Message: "payment " + id + " not found"}
	}
	return out.Payment.Status, nil
}

// NextAction is what the customer must do for the payment, as payments
// says now.
func (p *Payments) NextAction(ctx context.Context, id string) (*order.PaymentAction, error) {
	var out struct {
		Payment *struct {
			NextAction *struct{ Type, RedirectURL, ClientSecret *string } `json:"nextAction"`
		} `json:"payment"`
	}
	if err := p.do(ctx, `query($id: ID!) { payment(id: $id) { nextAction { type redirectUrl clientSecret } } }`, map[string]any{"id": id}, &out); err != nil {
		return nil, err
	}
	if out.Payment == nil || out.Payment.NextAction == nil {
		return nil, nil
	}
	a := out.Payment.NextAction
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	return &order.PaymentAction{Type: deref(a.Type), RedirectURL: deref(a.RedirectURL), ClientSecret: deref(a.ClientSecret)}, nil
}

// ByOrder lists an order's payments (the orders service token may).
func (p *Payments) ByOrder(ctx context.Context, orderID string) ([]order.PaymentRef, error) {
	var out struct {
		PaymentsByOrder []struct{ ID, Status string } `json:"paymentsByOrder"`
	}
	if err := p.do(ctx, `query($o: ID!) { paymentsByOrder(orderId: $o) { id status } }`, map[string]any{"o": orderID}, &out); err != nil {
		return nil, err
	}
	refs := make([]order.PaymentRef, len(out.PaymentsByOrder))
	for i, x := range out.PaymentsByOrder {
		refs[i] = order.PaymentRef{ID: x.ID, Status: x.Status}
	}
	return refs, nil
}

// Capture takes all that is authorized.
func (p *Payments) Capture(ctx context.Context, id, key string) error {
	return p.follow(ctx, "capturePayment", "CapturePaymentInput", id, key)
}

// Void releases the authorization.
func (p *Payments) Void(ctx context.Context, id, key string) error {
	return p.follow(ctx, "voidPayment", "VoidPaymentInput", id, key)
}

// Refund gives back all that was captured.
func (p *Payments) Refund(ctx context.Context, id, key string) error {
	return p.follow(ctx, "refundPayment", "RefundPaymentInput", id, key)
}

// RefundAmount gives back amount (nil: all that is left) and returns the
// payment's status after.
func (p *Payments) RefundAmount(ctx context.Context, id, key string, amount *money.Money) (string, error) {
	in := map[string]any{"paymentId": id, "idempotencyKey": key}
	if amount != nil {
		in["amount"] = map[string]any{"amount": amount.Amount(), "currencyCode": string(amount.Currency)}
	}
	return p.send(ctx, "refundPayment", "RefundPaymentInput", in)
}

func (p *Payments) follow(ctx context.Context, field, input, id, key string) error {
	_, err := p.send(ctx, field, input, map[string]any{"paymentId": id, "idempotencyKey": key})
	return err
}

// send runs one of payments' money mutations and returns the payment's
// status after it.
func (p *Payments) send(ctx context.Context, field, input string, in map[string]any) (string, error) {
	var out map[string]paymentPayload
	err := p.do(ctx, `mutation($in: `+input+`!) { `+field+`(input: $in) { payment { id status } errors { code message } } }`,
		map[string]any{"in": in}, &out)
	if err != nil {
		return "", err
	}
	pp := out[field]
	if len(pp.Errors) == 0 {
		if pp.Payment == nil {
			return "", fmt.Errorf("%w: %s gave no payment", order.ErrUnavailable, field)
		}
		return pp.Payment.Status, nil
	}
	if pp.Errors[0].Code == "PROVIDER_UNAVAILABLE" {
		return "", fmt.Errorf("%w: payments: %s", order.ErrUnavailable, pp.Errors[0].Message)
	}
	status := ""
	if pp.Payment != nil {
		status = pp.Payment.Status
	}
	return "", &order.StateError{Status: status, Message: pp.Errors[0].Message}
}

func (p *Payments) do(ctx context.Context, query string, vars map[string]any, out any) error {
	authz, err := bearer(ctx, p.tokens)
	if err != nil {
		return err
	}
	return p.c.Do(ctx, authz, query, vars, out)
}
