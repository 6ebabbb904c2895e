package auth_test

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

func TestRequire(t *testing.T) {
	anonymous := context.Background()
	clerk := auth.WithClaims(anonymous, &auth.Claims{RegisteredClaims: jwt.RegisteredClaims{Subject: "usr_clerk"}, Scope: "ADJUST_STOCK READ_ORDERS"})
	for _, tc := range []struct {
		name string
		ctx  context.Context
		call func(context.Context) (*auth.Claims, error)
		want errs.Code // "" for allowed
	}{
		{"anonymous signed in", anonymous, auth.SignedIn, errs.Unauthenticated},
		{"clerk signed in", clerk, auth.SignedIn, ""},
		{"anonymous require", anonymous, func(ctx context.Context) (*auth.Claims, error) { return auth.Require(ctx, "ADJUST_STOCK") }, errs.Unauthenticated},
		{"clerk holds it", clerk, func(ctx context.Context) (*auth.Claims, error) { return auth.Require(ctx, "ADJUST_STOCK") }, ""},
		{"clerk lacks it", clerk, func(ctx context.Context) (*auth.Claims, error) { return auth.Require(ctx, "MANAGE_STAFF") }, errs.Forbidden},
		{"a prefix is not the permission", clerk, func(ctx context.Context) (*auth.Claims, error) { return auth.Require(ctx, "ADJUST") }, errs.Forbidden},
		{"any: one held", clerk, func(ctx context.Context) (*auth.Claims, error) {
			return auth.RequireAny(ctx, "MANAGE_ORDERS", "READ_ORDERS")
		}, ""},
		{"any: none held", clerk, func(ctx context.Context) (*auth.Claims, error) {
			return auth.RequireAny(ctx, "MANAGE_ORDERS", "RESERVE_STOCK")
		}, errs.Forbidden},
		{"any: anonymous", anonymous, func(ctx context.Context) (*auth.Claims, error) { return auth.RequireAny(ctx, "MANAGE_ORDERS") }, errs.Unauthenticated},
	} {
		c, err := tc.call(tc.ctx)
		switch {
		case tc.want == "" && (err != nil || c == nil || c.UserID() != "usr_clerk"):
			t.Errorf("%s: %v, %v; want the clerk's claims", tc.name, c, err)
		case tc.want != "" && (c != nil || errs.CodeOf(err) != tc.want):
			t.Errorf("%s: %v, %v; want %s", tc.name, c, err, tc.want)
		}
	}
}
