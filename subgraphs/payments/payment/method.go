package payment

import (
	"context"
	"errors"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// Method is a saved payment method: the provider's token and what may be
// shown of the card.
type Method struct {
	ID        string
	UserID    string
	Provider  string
	Token     string
	Card      Card
	IsDefault bool
}

// MethodStore keeps saved payment methods.
type MethodStore interface {
	MethodsByUsers(ctx context.Context, userIDs []string) ([]Method, error)
	// AddMethod saves m; the user's first method becomes the default.
	AddMethod(ctx context.Context, m Method) (Method, error)
	// RemoveMethod and SetDefaultMethod act only on the user's own
	// methods; ErrNotFound otherwise.
	RemoveMethod(ctx context.Context, userID, id string) error
	SetDefaultMethod(ctx context.Context, userID, id string) error
}

// Methods is the saved-payment-methods use cases.
type Methods struct {
	store    MethodStore
	provider Provider
	newID    func(prefix string) string
}

// NewMethods returns the payment methods service.
func NewMethods(store MethodStore, provider Provider, newID func(string) string) *Methods {
	return &Methods{store: store, provider: provider, newID: newID}
}

// Add saves a token from the provider's card form for the caller.
func (m *Methods) Add(ctx context.Context, token string) (Method, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return Method{}, err
	}
	card, err := m.provider.Card(ctx, token)
	if errors.Is(err, ErrUnknownToken) {
		return Method{}, &errs.Problem{Field: errs.Field("token"), Code: CodeNotFound, Message: "the provider does not know this token"}
	}
	if err != nil {
		return Method{}, err
	}
	return m.store.AddMethod(ctx, Method{ID: m.newID("pm"), UserID: c.UserID(), Provider: m.provider.Name(), Token: token, Card: card})
}

// Remove deletes one of the caller's methods.
func (m *Methods) Remove(ctx context.Context, id string) error {
	return m.own(ctx, id, m.store.RemoveMethod)
}

// SetDefault makes one of the caller's methods the default.
func (m *Methods) SetDefault(ctx context.Context, id string) error {
	return m.own(ctx, id, m.store.SetDefaultMethod)
}

func (m *Methods) own(ctx context.Context, id string, f func(context.Context, string, string) error) error {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return err
	}
	if err := f(ctx, c.UserID(), id); errors.Is(err, ErrNotFound) {
		return &errs.Problem{Field: errs.Field("id"), Code: CodeNotFound, Message: "no such payment method"}
	} else if err != nil {
		return err
	}
	return nil
}

// Token returns the token of one of the caller's methods.
func (m *Methods) Token(ctx context.Context, id string) (string, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return "", err
	}
	ms, err := m.store.MethodsByUsers(ctx, []string{c.UserID()})
	if err != nil {
		return "", err
	}
	for _, x := range ms {
		if x.ID == id {
			return x.Token, nil
		}
	}
	return "", &errs.Problem{Field: errs.Field("paymentMethodId"), Code: CodeNotFound, Message: "no such payment method"}
}

// Mine are the signed-in customer's saved methods.
func (m *Methods) Mine(ctx context.Context) ([]Method, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	return m.store.MethodsByUsers(ctx, []string{c.UserID()})
}
