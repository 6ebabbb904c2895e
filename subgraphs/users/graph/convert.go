package graph

import (
	"context"
	"errors"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/payload"
	"github.com/myshop/supergraph/subgraphs/users/graph/model"
	"github.com/myshop/supergraph/subgraphs/users/loader"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

func toUser(u user.User) *model.User {
	return &model.User{ID: u.ID, Name: u.Name, Account: u}
}

// userByID loads a user; an unknown id is nil, the honest answer.
func userByID(ctx context.Context, id string) (*model.User, error) {
	u, err := loader.For(ctx).UserByID.Load(ctx, id)()
	if errs.CodeOf(err) == errs.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return toUser(u), nil
}

// mayReadPrivate: a user's private fields are for that user and for staff
// allowed to read users, whatever path the query took to reach the user.
func mayReadPrivate(ctx context.Context, userID string) error {
	c := auth.FromContext(ctx)
	if c == nil {
		return errs.New(errs.Forbidden, "sign in to see this")
	}
	if c.UserID() != userID && !c.HasScope(user.ReadUsers) {
		return errs.New(errs.Forbidden, "only the user and staff may see this")
	}
	return nil
}

// accountErrors turns a rule failure into payload errors; any other error
// is returned for the top-level errors.
func accountErrors(err error) ([]*model.AccountError, error) {
	return payload.Errors(err, func(p *errs.Problem, code model.AccountErrorCode) *model.AccountError {
		return &model.AccountError{Field: p.Field, Message: p.Message, Code: code}
	})
}

func toAuthToken(ctx context.Context, t user.Tokens) (*model.AuthToken, error) {
	u, err := userByID(ctx, t.UserID)
	if err != nil || u == nil {
		return nil, errors.Join(errors.New("signed-in user vanished"), err)
	}
	return &model.AuthToken{
		AccessToken:          t.Access,
		AccessTokenExpiresAt: t.AccessExpires.UTC().Format(time.RFC3339),
		RefreshToken:         t.Refresh,
		User:                 u,
	}, nil
}

const usersList = "users"

func accountPayload(err error) (*model.AccountPayload, error) {
	if err != nil {
		errors, err := accountErrors(err)
		return &model.AccountPayload{Errors: errors}, err
	}
	return &model.AccountPayload{Ok: true, Errors: []*model.AccountError{}}, nil
}

// freshUser reads a user after a change, past the request's loader cache.
func freshUser(ctx context.Context, id string) (*model.User, error) {
	loader.For(ctx).UserByID.Clear(ctx, id)
	loader.For(ctx).AddressesByUser.Clear(ctx, id)
	return userByID(ctx, id)
}

func profilePayload(ctx context.Context, userID string) (*model.ProfilePayload, error) {
	u, err := freshUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &model.ProfilePayload{User: u, Errors: []*model.AccountError{}}, nil
}

func toAddress(a user.Address) *model.Address {
	return &model.Address{ID: a.ID, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
		Street1: a.Street1, Street2: a.Street2, City: a.City, Region: a.Region, PostalCode: a.PostalCode,
		CountryCode: a.CountryCode, Phone: a.Phone}
}

func fromAddressInput(in model.AddressInput) user.Address {
	return user.Address{ID: deref(in.ID), FirstName: in.FirstName, LastName: in.LastName, Company: deref(in.Company),
		Street1: in.Street1, Street2: deref(in.Street2), City: in.City, Region: deref(in.Region),
		PostalCode: deref(in.PostalCode), CountryCode: in.CountryCode, Phone: deref(in.Phone)}
}

// addressByID finds one of the user's addresses through the loader.
func addressByID(ctx context.Context, userID, id string) (*model.Address, error) {
	if id == "" {
		return nil, nil
	}
	as, err := loader.For(ctx).AddressesByUser.Load(ctx, userID)()
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.ID == id {
			return toAddress(a), nil
		}
	}
	return nil, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefBool(b *bool) bool { return b != nil && *b }
