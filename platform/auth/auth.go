// Package auth verifies the access tokens the users subgraph issues and
// carries the verified identity through a request. The router and every
// subgraph use it, so a token means the same thing everywhere: a subgraph
// re-verifies the token the router forwarded, and a client that calls a
// subgraph directly gets nothing private without one.
package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// The token's issuer and audience; a token for anything else is refused.
const (
	Issuer   = "myshop-users"
	Audience = "myshop"
)

// Claims are what an access token says about its bearer.
type Claims struct {
	jwt.RegisteredClaims
	Roles []string `json:"roles"`
	// Scope is the space-separated list of permissions, e.g. "READ_ORDERS ADJUST_STOCK".
	Scope string `json:"scope"`
}

// UserID is the bearer's user id.
func (c *Claims) UserID() string { return c.Subject }

// HasScope reports whether the bearer holds permission p.
func (c *Claims) HasScope(p string) bool {
	return slices.Contains(strings.Fields(c.Scope), p)
}

// IsStaff reports whether the bearer has any role but customer.
func (c *Claims) IsStaff() bool {
	return slices.ContainsFunc(c.Roles, func(r string) bool { return r != "customer" })
}

type ctxKey struct{}

// WithClaims returns ctx carrying c.
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the verified claims of the request, or nil for an
// anonymous one.
func FromContext(ctx context.Context) *Claims {
	c, _ := ctx.Value(ctxKey{}).(*Claims)
	return c
}
