// Package user is the users domain: accounts, credentials, roles and the
// rules about them. It knows no SQL and no GraphQL.
package user

import (
	"context"
	"errors"
)

// User is an account.
type User struct {
	ID    string
	Name  string
	Email string
	Roles []string
}

// Permissions a role can grant, as <ACTION>_<DOMAIN>. They travel in the
// access token's scope claim and every subgraph checks them.
const (
	ReadUsers           = "READ_USERS"
	ManageUsers         = "MANAGE_USERS"
	ManageStaff         = "MANAGE_STAFF"
	ReadOrders          = "READ_ORDERS"
	ManageOrders        = "MANAGE_ORDERS"
	ManageProducts      = "MANAGE_PRODUCTS"
	AdjustStock         = "ADJUST_STOCK"
	RefundPayments      = "REFUND_PAYMENTS"
	ManageNotifications = "MANAGE_NOTIFICATIONS"
	ReadAnalytics       = "READ_ANALYTICS"
)

// RoleCustomer is every registered user's role.
const RoleCustomer = "customer"

// Errors the Store returns.
var (
	ErrNotFound   = errors.New("user not found")
	ErrEmailTaken = errors.New("email already registered")
	ErrTokenReuse = errors.New("refresh token used twice")
)

// Credentials are what login checks.
type Credentials struct {
	User         User
	PasswordHash string
}

// Access is what a user may do: roles and the permissions they grant.
type Access struct {
	Roles       []string
	Permissions []string
}

// Store is what the users domain needs from storage.
type Store interface {
	UsersByIDs(ctx context.Context, ids []string) ([]User, error)
	// Create stores a new user with role customer; ErrEmailTaken when the
	// email exists in any case.
	Create(ctx context.Context, u User, passwordHash string) error
	// CredentialsByEmail finds a user by email, case-insensitively; ErrNotFound.
	CredentialsByEmail(ctx context.Context, email string) (Credentials, error)
	Access(ctx context.Context, userID string) (Access, error)
	SaveRefreshToken(ctx context.Context, t RefreshToken) error
	// RotateRefreshToken marks the token with hash old used and stores next
	// in its family, atomically. It returns ErrTokenReuse (after revoking
	// the family) if old was used before, and ErrNotFound if it is unknown,
	// expired or revoked.
	RotateRefreshToken(ctx context.Context, old []byte, next RefreshToken) (userID string, err error)
	// RevokeRefreshFamily ends the session the token with hash belongs to.
	RevokeRefreshFamily(ctx context.Context, hash []byte) error
}
