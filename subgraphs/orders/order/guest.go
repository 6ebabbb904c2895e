package order

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

type cartTokenKey struct{}

// WithCartToken returns ctx carrying the guest cart token of the request
// (the cartToken argument, else the X-Cart-Token header).
func WithCartToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, cartTokenKey{}, token)
}

func cartToken(ctx context.Context) string {
	s, _ := ctx.Value(cartTokenKey{}).(string)
	return s
}

// HashCartToken is what the store keeps of a guest cart's token: holding
// the table is not holding the carts.
func HashCartToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newCartToken makes an unguessable guest cart token (256 random bits).
func newCartToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "ct_" + base64.RawURLEncoding.EncodeToString(b)
}

// cartOpener is the cart an add goes to, found or opened on first use, so
// nothing is created for an add that fails its checks.
type cartOpener struct {
	channel string
	open    func(context.Context) (Cart, error)
}

// opener picks the cart an add goes to (see Add) and returns its guest
// token, if it is a guest's.
func (c *Carts) opener(ctx context.Context, channel string) (cartOpener, string, error) {
	if tok := cartToken(ctx); tok != "" {
		cart, err := c.store.CartByToken(ctx, HashCartToken(tok))
		if errors.Is(err, ErrNotFound) {
			return cartOpener{}, "", errs.Problemf(errs.Field("cartToken"), CodeNotFound, "no open guest cart for this token")
		}
		if err != nil {
			return cartOpener{}, "", err
		}
		if channel != "" && channel != cart.Channel {
			return cartOpener{}, "", errs.Problemf(errs.Field("channel"), CodeInvalidChannel, "this guest cart is in channel %s", cart.Channel)
		}
		return cartOpener{cart.Channel, func(context.Context) (Cart, error) { return cart, nil }}, tok, nil
	}
	ch, err := c.shipping.Channel(ctx, channel)
	if err != nil {
		return cartOpener{}, "", err
	}
	channel = ch.Code
	if cl, err := auth.SignedIn(ctx); err == nil {
		userID := cl.UserID()
		return cartOpener{channel, func(ctx context.Context) (Cart, error) {
			return c.store.OpenCart(ctx, userID, channel, c.newID("cart"))
		}}, "", nil
	}
	tok := newCartToken()
	return cartOpener{channel, func(ctx context.Context) (Cart, error) {
		return c.store.CreateGuestCart(ctx, c.newID("cart"), channel, HashCartToken(tok))
	}}, tok, nil
}

// Merge moves the guest cart of token into the signed-in caller's open
// cart in its channel (see Store.MergeCart) and returns that cart.
func (c *Carts) Merge(ctx context.Context, token string) (Cart, error) {
	cl, err := auth.SignedIn(ctx)
	if err != nil {
		return Cart{}, errs.Problemf(nil, CodeSignInRequired, "sign in to merge a guest cart into your own")
	}
	guest, err := c.store.CartByToken(ctx, HashCartToken(token))
	if errors.Is(err, ErrNotFound) {
		return Cart{}, errs.Problemf(errs.Field("cartToken"), CodeNotFound, "no open guest cart for this token")
	}
	if err != nil {
		return Cart{}, err
	}
	mine, err := c.store.OpenCart(ctx, cl.UserID(), guest.Channel, c.newID("cart"))
	if err != nil {
		return Cart{}, err
	}
	if err := c.store.MergeCart(ctx, guest.ID, mine.ID); errors.Is(err, ErrNotFound) {
		return Cart{}, errs.Problemf(errs.Field("cartToken"), CodeNotFound, "no open guest cart for this token")
	} else if err != nil {
		return Cart{}, err
	}
	return c.store.CartByID(ctx, mine.ID)
}
