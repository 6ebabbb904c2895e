package auth

import (
	"context"
	"strings"

	"github.com/myshop/supergraph/platform/errs"
)

// SignedIn returns the caller's claims, or an Unauthenticated error for an
// anonymous request. Every subgraph refuses the same way, so a client
// handles "sign in first" once, whichever subgraph said it.
func SignedIn(ctx context.Context) (*Claims, error) {
	c := FromContext(ctx)
	if c == nil {
		return nil, errs.New(errs.Unauthenticated, "sign in first")
	}
	return c, nil
}

// Require returns the caller's claims when they hold permission: an
// Unauthenticated error without a token, a Forbidden one without the
// permission. Both are top-level errors, not payload errors: the caller
// may not ask, whatever the input.
func Require(ctx context.Context, permission string) (*Claims, error) {
	c, err := SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	if !c.HasScope(permission) {
		return nil, errs.New(errs.Forbidden, "this needs the %s permission", permission)
	}
	return c, nil
}

// RequireAny is Require for a use that any of permissions allows.
func RequireAny(ctx context.Context, permissions ...string) (*Claims, error) {
	c, err := SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range permissions {
		if c.HasScope(p) {
			return c, nil
		}
	}
	return nil, errs.New(errs.Forbidden, "this needs one of the permissions %s", strings.Join(permissions, ", "))
}
