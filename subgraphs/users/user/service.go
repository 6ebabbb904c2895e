package user

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/ids"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/users/token"
)

// RefreshToken is a stored refresh token: only its hash is kept.
type RefreshToken struct {
	Hash      []byte
	FamilyID  string
	UserID    string
	ExpiresAt time.Time
}

// Tokens are what a login or a refresh hands out.
type Tokens struct {
	Access        string
	AccessExpires time.Time
	Refresh       string
	UserID        string
}

// Limiter counts failures per key in a window shared by every replica.
type Limiter interface {
	// Blocked reports whether key has used up its failures, and for how long.
	Blocked(ctx context.Context, key string) (time.Duration, error)
	Fail(ctx context.Context, key string) error
	Reset(ctx context.Context, key string) error
}

// Service is the accounts use cases.
type Service struct {
	store   Store
	keys    *token.Ring
	limiter Limiter
	now     func() time.Time
}

// NewService returns the accounts service.
func NewService(store Store, keys *token.Ring, limiter Limiter) *Service {
	return &Service{store: store, keys: keys, limiter: limiter, now: time.Now}
}

// Register creates a customer account. Rule failures are *errs.Problem.
func (s *Service) Register(ctx context.Context, email, password, name, locale string) (User, error) {
	email = strings.TrimSpace(email)
	name = strings.TrimSpace(name)
	if err := CheckEmail(email); err != nil {
		return User{}, err
	}
	locale, err := CheckLocale(locale)
	if err != nil {
		return User{}, err
	}
	if name == "" {
		return User{}, &errs.Problem{Field: errs.Field("name"), Code: CodeRequired, Message: "a name is required"}
	}
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	u := User{ID: ids.New("usr"), Name: name, Email: email, Roles: []string{RoleCustomer}, Profile: Profile{Locale: locale}}
	registered := Event{Type: EventRegistered, Payload: map[string]any{"userId": u.ID, "email": u.Email, "name": u.Name, "locale": u.Locale}}
	if err := s.store.Create(ctx, u, hash, registered); errors.Is(err, ErrEmailTaken) {
		return User{}, &errs.Problem{Field: errs.Field("email"), Code: CodeEmailTaken, Message: "an account with this email exists"}
	} else if err != nil {
		return User{}, fmt.Errorf("register: %w", err)
	}
	if err := s.mailToken(ctx, u, PurposeVerifyEmail, VerifyEmailTTL, EventEmailVerificationRequested); err != nil {
		return User{}, fmt.Errorf("register: %w", err)
	}
	return u, nil
}

// CheckEmail accepts a plain address such as ada@example.com.
func CheckEmail(email string) error {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return &errs.Problem{Field: errs.Field("email"), Code: CodeInvalidEmail, Message: "this is not an email address"}
	}
	return nil
}

// MaxFailedLogins per email in LoginWindow; the window itself lives in
// the Limiter.
const MaxFailedLogins = 10

// Login checks credentials and starts a session. A wrong password and an
// unknown email give the same error after the same work.
func (s *Service) Login(ctx context.Context, email, password string) (Tokens, error) {
	key := "login:" + strings.ToLower(strings.TrimSpace(email))
	wait, err := s.limiter.Blocked(ctx, key)
	if err != nil {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	if wait > 0 {
		return Tokens{}, errs.New(errs.RateLimited, "too many failed logins for this email; try again in %d seconds", int(wait.Seconds()+0.5))
	}
	creds, err := s.store.CredentialsByEmail(ctx, strings.TrimSpace(email))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	// An unknown email checks against no hash: PasswordMatches then does
	// the same argon2 work on a dummy.
	if !PasswordMatches(creds.PasswordHash, password) || err != nil {
		if err := s.limiter.Fail(ctx, key); err != nil {
			return Tokens{}, fmt.Errorf("login: %w", err)
		}
		return Tokens{}, &errs.Problem{Code: CodeInvalidCredentials, Message: "the email or the password is wrong"}
	}
	if err := s.limiter.Reset(ctx, key); err != nil {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	refresh, hash := token.NewRefresh()
	rt := RefreshToken{Hash: hash, FamilyID: token.NewFamilyID(), UserID: creds.User.ID, ExpiresAt: s.now().Add(token.RefreshTTL)}
	if err := s.store.SaveRefreshToken(ctx, rt); err != nil {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	return s.issue(ctx, creds.User.ID, refresh)
}

// Refresh trades a refresh token for a new pair. A token used twice means
// it leaked: the session it belongs to ends.
func (s *Service) Refresh(ctx context.Context, refresh string) (Tokens, error) {
	next, hash := token.NewRefresh()
	userID, err := s.store.RotateRefreshToken(ctx, token.HashRefresh(refresh),
		RefreshToken{Hash: hash, ExpiresAt: s.now().Add(token.RefreshTTL)})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrTokenReuse) {
		return Tokens{}, &errs.Problem{Field: errs.Field("refreshToken"), Code: CodeInvalidToken, Message: "the refresh token is invalid, expired or already used"}
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	return s.issue(ctx, userID, next)
}

// Logout ends the session the refresh token belongs to.
func (s *Service) Logout(ctx context.Context, refresh string) error {
	if err := s.store.RevokeRefreshFamily(ctx, token.HashRefresh(refresh)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

func (s *Service) issue(ctx context.Context, userID, refresh string) (Tokens, error) {
	access, err := s.store.Access(ctx, userID)
	if err != nil {
		return Tokens{}, fmt.Errorf("issue tokens: %w", err)
	}
	jwt, exp, err := s.keys.Access(ctx, userID, access.Roles, access.Permissions)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{Access: jwt, AccessExpires: exp, Refresh: refresh, UserID: userID}, nil
}
