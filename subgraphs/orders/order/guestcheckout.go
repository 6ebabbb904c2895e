package order

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
)

// GuestTokenTTL is how long a guest's order token opens the order.
const GuestTokenTTL = 90 * 24 * time.Hour

// CodeInvalidEmail: a guest's checkout without a usable email.
const CodeInvalidEmail = "INVALID_EMAIL"

// GuestInput is a guest's request to turn their cart into an order.
type GuestInput struct {
	CartID       string
	CartToken    string // the guest cart's token; "" takes the request's (X-Cart-Token)
	Email        string
	PaymentToken string // a fresh card token: guests have no saved methods
	// PaymentMethodID is refused: saved methods need an account.
	PaymentMethodID string
	IdempotencyKey  string
}

// OrderToken is a guest order's access token: derived from the guest
// cart's token (256 random bits only the guest holds) and the order id,
// so a replay of placeOrder, which must carry the cart token, gets the
// same token back, while the store keeps only its hash.
func OrderToken(cartToken, orderID string) string {
	m := hmac.New(sha256.New, []byte(cartToken))
	m.Write([]byte("order-token:" + orderID))
	return "ot_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// normalEmail is a bare address, lower-cased, or "".
func normalEmail(s string) string {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || a.Address != strings.TrimSpace(s) || !strings.Contains(a.Address, "@") || len(a.Address) > 254 {
		return ""
	}
	return strings.ToLower(a.Address)
}

// PlaceGuest checks out a guest cart: the cart is the guest's by its
// token, the payment is authorized by the orders service on the guest's
// behalf (with a fresh card token: a guest has no saved methods), and the
// answer carries the order's token, the only key to it. The same key and
// cart token give the same order and token however often they are sent.
func (c *Checkout) PlaceGuest(ctx context.Context, in GuestInput) (Order, string, error) {
	if in.CartToken == "" {
		in.CartToken = cartToken(ctx)
	}
	if in.CartToken == "" {
		return Order{}, "", errs.Problemf(errs.Field("cartToken"), CodeSignInRequired, "sign in, or give the guest cart's token")
	}
	if in.PaymentMethodID != "" {
		return Order{}, "", errs.Problemf(errs.Field("paymentMethodId"), CodeSignInRequired, "saved payment methods need an account")
	}
	email := normalEmail(in.Email)
	if email == "" {
		return Order{}, "", errs.Problemf(errs.Field("email"), CodeInvalidEmail, "a guest checkout needs an email address to send the order to")
	}
	if err := idempotency.CheckKey(in.IdempotencyKey); err != nil {
		return Order{}, "", err
	}
	if in.PaymentToken == "" {
		return Order{}, "", errs.Problemf(errs.Field("paymentToken"), CodePaymentRequired, "a guest pays with a card token (saved methods need an account)")
	}
	// The key is the guest's: scoped to their cart token, as a customer's
	// is to their account.
	key := "guest:" + HashCartToken(in.CartToken) + ":" + in.IdempotencyKey
	s, err := c.store.SagaByKey(ctx, "", key)
	if errors.Is(err, ErrNotFound) {
		cart, cerr := c.store.CartByToken(ctx, HashCartToken(in.CartToken))
		if errors.Is(cerr, ErrNotFound) || (cerr == nil && cart.ID != in.CartID) {
			return Order{}, "", errs.Problemf(errs.Field("cartId"), CodeNotFound, "no open guest cart %s for this token", in.CartID)
		}
		if cerr != nil {
			return Order{}, "", cerr
		}
		s, err = c.start(ctx, "", PlaceInput{CartID: cart.ID, PaymentToken: in.PaymentToken, IdempotencyKey: key,
			guestEmail: email, cartToken: in.CartToken})
	}
	if err != nil {
		return Order{}, "", err
	}
	if s.CartID != in.CartID {
		return Order{}, "", errs.Problemf(errs.Field("idempotencyKey"), CodeKeyReused, "this idempotency key was used for another cart")
	}
	tok := OrderToken(in.CartToken, s.ID)
	if s.GuestTokenHash != HashCartToken(tok) {
		// The cart's live saga belongs to another key of the same guest,
		// or to nobody's token: it is not this caller's to open.
		return Order{}, "", errs.Problemf(errs.Field("cartId"), CodeNotFound, "no open guest cart %s for this token", in.CartID)
	}
	o, err := c.drive(ctx, s.ID, true)
	if err != nil {
		return Order{}, "", err
	}
	return o, tok, nil
}

// GuestOrders is a guest's read access to their order by its token.
type GuestOrders struct {
	store interface {
		OrderByGuestToken(ctx context.Context, tokenHash string) (Order, error)
	}
	limit Limiter
}

// Limiter counts failures per key and says how long a key must wait
// (the platform's ratelimit.FailureWindow).
type Limiter interface {
	Blocked(ctx context.Context, key string) (time.Duration, error)
	Fail(ctx context.Context, key string) error
}

// NewGuestOrders returns the guest order reader; limit (nil: none) counts
// wrong tokens per client.
func NewGuestOrders(store interface {
	OrderByGuestToken(ctx context.Context, tokenHash string) (Order, error)
}, limit Limiter) *GuestOrders {
	return &GuestOrders{store: store, limit: limit}
}

// ByToken is the order a guest token opens; false for a wrong, expired or
// unknown token alike. A client that sent too many wrong tokens is
// RATE_LIMIT_EXCEEDED for a while, whatever it sends.
func (g *GuestOrders) ByToken(ctx context.Context, client, token string) (Order, bool, error) {
	if g.limit != nil {
		wait, err := g.limit.Blocked(ctx, client)
		if err != nil {
			return Order{}, false, err
		}
		if wait > 0 {
			return Order{}, false, errs.New(errs.RateLimited, "too many wrong order tokens; try again in %d seconds", int(wait.Seconds()+0.5))
		}
	}
	o, err := g.store.OrderByGuestToken(ctx, HashCartToken(token))
	if errors.Is(err, ErrNotFound) {
		if g.limit != nil {
			if err := g.limit.Fail(ctx, client); err != nil {
				return Order{}, false, err
			}
		}
		return Order{}, false, nil
	}
	if err != nil {
		return Order{}, false, err
	}
	return o, true, nil
}
