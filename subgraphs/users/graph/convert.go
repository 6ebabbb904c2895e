package graph

import (
	"context"
	"errors"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/errs"
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
	var fe *user.FieldError
	if !errors.As(err, &fe) {
		return nil, err
	}
	e := &model.AccountError{Message: fe.Message, Code: model.AccountErrorCode(fe.Code)}
	if fe.Field != "" {
		e.Field = []string{fe.Field}
	}
	return []*model.AccountError{e}, nil
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
