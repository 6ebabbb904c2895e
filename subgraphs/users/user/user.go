// Package user is the users domain: accounts, credentials, roles and the
// rules about them. It knows no SQL and no GraphQL.
package user

import (
	"context"
	"errors"
	"time"
)

// User is an account.
type User struct {
	ID            string
	Name          string
	Email         string
	EmailVerified bool
	Roles         []string
	Profile
	DefaultShippingAddressID string
	DefaultBillingAddressID  string
	Deleted                  bool
}

// Profile is what a user edits about themselves.
type Profile struct {
	Phone           string
	Locale          string
	MarketingEmails bool
	MarketingSMS    bool
}

// ProfileChange is an update of a profile: a nil part is left as it is,
// so a client that sends only a name withdraws no consent.
type ProfileChange struct {
	Phone, Locale                 *string
	MarketingEmails, MarketingSMS *bool
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
	ManageApps          = "MANAGE_APPS" // outgoing webhooks (notifications)
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

// Store is all of the users domain's storage, in the parts each use
// reads and writes.
type Store interface {
	SessionStore
	ProfileStore
	AccountStore
	StaffStore
}

// SessionStore is what signing up, in and out needs: credentials, access
// and the refresh tokens of sessions.
type SessionStore interface {
	// Create stores a new user with its roles and records event, in one
	// transaction; ErrEmailTaken when the email exists in any case.
	Create(ctx context.Context, u User, passwordHash string, event Event) error
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

// ProfileStore is a user's profile and address book.
type ProfileStore interface {
	UsersByIDs(ctx context.Context, ids []string) ([]User, error)
	// UpdateProfile applies the change and records the event announce
	// makes of the profile as it then is, in one transaction.
	UpdateProfile(ctx context.Context, userID, name string, p ProfileChange, announce func(Profile) Event) error
	// SetMarketingConsent sets marketingEmails (emails) or marketingSms as
	// changed at time at, unless the profile changed it later.
	SetMarketingConsent(ctx context.Context, userID string, emails, enabled bool, at time.Time) error
	AddressesByUsers(ctx context.Context, userIDs []string) ([]Address, error)
	// SaveAddress inserts a new address, or updates one of the user's;
	// ErrNotFound when an update's id is not one of the user's.
	SaveAddress(ctx context.Context, a Address, isNew, defaultShipping, defaultBilling bool) error
	DeleteAddress(ctx context.Context, userID, addressID string) error
}

// AccountStore is what changes an account's credentials or ends it: the
// single-use tokens mailed for it, passwords, emails, anonymisation.
type AccountStore interface {
	// CreateAccountToken stores t and records event in the outbox, in one
	// transaction.
	CreateAccountToken(ctx context.Context, t AccountToken, event Event) error
	// UseAccountToken marks the unexpired, unused token with hash used and
	// returns it; ErrNotFound otherwise.
	UseAccountToken(ctx context.Context, hash []byte, purpose string) (AccountToken, error)
	PasswordHash(ctx context.Context, userID string) (string, error)
	// SetPassword changes the hash and ends every session of the user.
	SetPassword(ctx context.Context, userID, hash string) error
	// SetEmail changes the email (unverified again); ErrEmailTaken.
	SetEmail(ctx context.Context, userID, email string) error
	// MarkEmailVerified marks email verified and records event, atomically;
	// ErrNotFound when the user's email is no longer email.
	MarkEmailVerified(ctx context.Context, userID, email string, event Event) error
	// Anonymise removes personal data and records event, atomically.
	Anonymise(ctx context.Context, userID string, event Event) error
}

// StaffStore is what staff administration reads and writes: roles and
// the user list.
type StaffStore interface {
	SetRoles(ctx context.Context, userID string, roles []string) error
	RoleNames(ctx context.Context) ([]string, error)
	// Users lists users in id order after the id after, optionally only
	// those with role or whose name or email contains search.
	Users(ctx context.Context, f UserFilter, after string, first int) ([]User, bool, error)
}

// AccountToken is a single-use token mailed to the user.
type AccountToken struct {
	Hash      []byte
	UserID    string
	Purpose   string // PurposeVerifyEmail or PurposeResetPassword
	Email     string // the address it was sent to
	ExpiresAt time.Time
}

// Account token purposes.
const (
	PurposeVerifyEmail   = "verify_email"
	PurposeResetPassword = "reset_password"
)

// Event is a fact for the outbox: other services learn of it from there.
type Event struct {
	Type    string
	Payload map[string]any
}

// UserFilter narrows Users.
type UserFilter struct {
	Role   string
	Search string
}
