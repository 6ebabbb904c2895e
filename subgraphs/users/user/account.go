package user

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/platform/ids"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/users/token"
)

// Lifetimes of mailed tokens.
const (
	VerifyEmailTTL   = 48 * time.Hour
	ResetPasswordTTL = 30 * time.Minute
)

// Events the users subgraph records in its outbox.
const (
	EventEmailVerificationRequested = "user.email_verification_requested"
	EventPasswordResetRequested     = "user.password_reset_requested"
	EventUserDeleted                = "user.deleted"
	EventRegistered                 = "user.registered"
	EventEmailVerified              = "user.email_verified"
	// EventProfileUpdated carries the locale and marketing consent, which
	// notifications uses for every message and the newsletter.
	EventProfileUpdated = "user.profile_updated"
)

var localeRE = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)

// CheckLocale accepts a language tag such as en, de or pt-BR (the forms
// templates are saved under); "" is en.
func CheckLocale(l string) (string, error) {
	l = strings.TrimSpace(l)
	if l == "" {
		return "en", nil
	}
	if !localeRE.MatchString(l) {
		return "", &errs.Problem{Field: errs.Field("locale"), Code: CodeInvalid, Message: "give a language such as en, de or pt-BR"}
	}
	return l, nil
}

// UpdateProfile changes the caller's name and the parts of the profile p
// gives; the others stay as they are.
func (s *Service) UpdateProfile(ctx context.Context, name string, p ProfileChange) error {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return &errs.Problem{Field: errs.Field("name"), Code: CodeRequired, Message: "a name is required"}
	}
	if p.Phone != nil {
		phone := strings.TrimSpace(*p.Phone)
		p.Phone = &phone
	}
	if p.Locale != nil {
		l, err := CheckLocale(*p.Locale)
		if err != nil {
			return err
		}
		p.Locale = &l
	}
	return s.store.UpdateProfile(ctx, c.UserID(), name, p, func(now Profile) Event {
		return Event{Type: EventProfileUpdated, Payload: map[string]any{"userId": c.UserID(), "name": name, "locale": now.Locale,
			"marketingEmails": now.MarketingEmails, "marketingSms": now.MarketingSMS}}
	})
}

// EventMarketingConsentChanged is the notifications subgraph's event for
// a marketing consent the user changed there (the newsletter's unsubscribe
// link, a notification preference, an SMS answered STOP): userId, channel
// (EMAIL or SMS), enabled.
const EventMarketingConsentChanged = "notification.marketing_consent_changed"

// MarketingConsentChanged brings the profile's marketingEmails or
// marketingSms in line with a change made in notifications at time at; a
// change made in the profile since wins. Redelivery does no harm.
func (s *Service) MarketingConsentChanged(ctx context.Context, userID, channel string, enabled bool, at time.Time) error {
	if userID == "" || (channel != "EMAIL" && channel != "SMS") {
		return nil // nothing the profile keeps
	}
	return s.store.SetMarketingConsent(ctx, userID, channel == "EMAIL", enabled, at)
}

// SaveAddress adds (empty a.ID) or changes one of the caller's addresses.
func (s *Service) SaveAddress(ctx context.Context, a Address, defaultShipping, defaultBilling bool) (Address, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return Address{}, err
	}
	a.Normalize()
	if err := a.Check(); err != nil {
		return Address{}, err
	}
	a.UserID = c.UserID()
	isNew := a.ID == ""
	if isNew {
		a.ID = ids.New("adr")
	}
	if err := s.store.SaveAddress(ctx, a, isNew, defaultShipping, defaultBilling); errors.Is(err, ErrNotFound) {
		return Address{}, &errs.Problem{Field: errs.Field("id"), Code: CodeNotFound, Message: "no such address in your address book"}
	} else if err != nil {
		return Address{}, err
	}
	return a, nil
}

// DeleteAddress removes one of the caller's addresses.
func (s *Service) DeleteAddress(ctx context.Context, id string) error {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return err
	}
	if err := s.store.DeleteAddress(ctx, c.UserID(), id); errors.Is(err, ErrNotFound) {
		return &errs.Problem{Field: errs.Field("id"), Code: CodeNotFound, Message: "no such address in your address book"}
	} else if err != nil {
		return err
	}
	return nil
}

// RequestEmailVerification mails the caller a link to verify their email.
func (s *Service) RequestEmailVerification(ctx context.Context) error {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return err
	}
	us, err := s.store.UsersByIDs(ctx, []string{c.UserID()})
	if err != nil || len(us) == 0 {
		return errors.Join(errors.New("request email verification: user vanished"), err)
	}
	return s.mailToken(ctx, us[0], PurposeVerifyEmail, VerifyEmailTTL, EventEmailVerificationRequested)
}

// VerifyEmail spends a verification token.
func (s *Service) VerifyEmail(ctx context.Context, tok string) error {
	t, err := s.store.UseAccountToken(ctx, token.HashRefresh(tok), PurposeVerifyEmail)
	if errors.Is(err, ErrNotFound) {
		return invalidToken("token")
	}
	if err != nil {
		return err
	}
	// Orders waits for this to bring the guest orders placed with this
	// email into the account: only a verified address proves it is theirs.
	verified := Event{Type: EventEmailVerified, Payload: map[string]any{"userId": t.UserID, "email": t.Email}}
	if err := s.store.MarkEmailVerified(ctx, t.UserID, t.Email, verified); errors.Is(err, ErrNotFound) {
		return invalidToken("token")
	} else if err != nil {
		return err
	}
	return nil
}

// RequestPasswordReset mails a reset link if the email has an account.
// It answers the same either way, so nobody learns who has an account.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	creds, err := s.store.CredentialsByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.mailToken(ctx, creds.User, PurposeResetPassword, ResetPasswordTTL, EventPasswordResetRequested)
}

// ResetPassword spends a reset token: new password, every session ended.
func (s *Service) ResetPassword(ctx context.Context, tok, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	t, err := s.store.UseAccountToken(ctx, token.HashRefresh(tok), PurposeResetPassword)
	if errors.Is(err, ErrNotFound) {
		return invalidToken("token")
	}
	if err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.store.SetPassword(ctx, t.UserID, hash)
}

// reauthenticate checks the caller's current password before a sensitive
// change: a stolen access token alone cannot take the account over.
func (s *Service) reauthenticate(ctx context.Context, current string) (*auth.Claims, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return nil, err
	}
	hash, err := s.store.PasswordHash(ctx, c.UserID())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if !PasswordMatches(hash, current) {
		return nil, &errs.Problem{Field: errs.Field("currentPassword"), Code: CodeInvalidPassword, Message: "the current password is wrong"}
	}
	return c, nil
}

// ChangePassword sets a new password after checking the current one; all
// sessions end, including this one's refresh token.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	c, err := s.reauthenticate(ctx, current)
	if err != nil {
		return err
	}
	if err := CheckPassword(next); err != nil {
		return err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return s.store.SetPassword(ctx, c.UserID(), hash)
}

// ChangeEmail sets a new, unverified email and mails it a verification.
func (s *Service) ChangeEmail(ctx context.Context, current, email string) error {
	c, err := s.reauthenticate(ctx, current)
	if err != nil {
		return err
	}
	email = strings.TrimSpace(email)
	if err := CheckEmail(email); err != nil {
		return err
	}
	if err := s.store.SetEmail(ctx, c.UserID(), email); errors.Is(err, ErrEmailTaken) {
		return &errs.Problem{Field: errs.Field("email"), Code: CodeEmailTaken, Message: "an account with this email exists"}
	} else if err != nil {
		return err
	}
	return s.RequestEmailVerification(ctx)
}

// DeleteAccount anonymises the caller's account. Orders keep their own
// copies of addresses, so nothing else breaks.
func (s *Service) DeleteAccount(ctx context.Context, current string) error {
	c, err := s.reauthenticate(ctx, current)
	if err != nil {
		return err
	}
	return s.store.Anonymise(ctx, c.UserID(), Event{Type: EventUserDeleted, Payload: map[string]any{"userId": c.UserID()}})
}

// SetRoles replaces another user's roles; it needs MANAGE_STAFF, and
// nobody changes their own (an admin cannot lock the shop out by accident).
func (s *Service) SetRoles(ctx context.Context, userID string, roles []string) error {
	c, err := auth.Require(ctx, ManageStaff)
	if err != nil {
		return err
	}
	if userID == c.UserID() {
		return &errs.Problem{Field: errs.Field("userId"), Code: CodeCannotChangeSelf, Message: "you cannot change your own roles"}
	}
	known, err := s.store.RoleNames(ctx)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if !slices.Contains(known, r) {
			return &errs.Problem{Field: errs.Field("roles"), Code: CodeUnknownRole, Message: fmt.Sprintf("there is no role %q", r)}
		}
	}
	us, err := s.store.UsersByIDs(ctx, []string{userID})
	if err != nil {
		return err
	}
	if len(us) == 0 || us[0].Deleted {
		return &errs.Problem{Field: errs.Field("userId"), Code: CodeNotFound, Message: "no such user"}
	}
	return s.store.SetRoles(ctx, userID, roles)
}

// Users lists users for staff with READ_USERS.
func (s *Service) Users(ctx context.Context, f UserFilter, after string, first int) ([]User, bool, error) {
	_, err := auth.Require(ctx, ReadUsers)
	if err != nil {
		return nil, false, err
	}
	return s.store.Users(ctx, f, after, first)
}

func (s *Service) mailToken(ctx context.Context, u User, purpose string, ttl time.Duration, eventType string) error {
	tok, hash := token.NewRefresh()
	t := AccountToken{Hash: hash, UserID: u.ID, Purpose: purpose, Email: u.Email, ExpiresAt: s.now().Add(ttl)}
	// The event carries the token: notifications mails it, and it exists
	// nowhere else in clear.
	e := Event{Type: eventType, Payload: map[string]any{
		"userId": u.ID, "email": u.Email, "name": u.Name, "locale": u.Locale, "token": tok, "expiresAt": t.ExpiresAt.UTC().Format(time.RFC3339),
	}}
	return s.store.CreateAccountToken(ctx, t, e)
}

func invalidToken(field string) error {
	return &errs.Problem{Field: errs.Field(field), Code: CodeInvalidToken, Message: "the token is invalid, expired or already used"}
}

// UsersByIDs are the users with these ids, for the router's entity
// lookups: one statement for a whole level of representations. What a
// caller may see of each is the fields' business.
func (s *Service) UsersByIDs(ctx context.Context, ids []string) ([]User, error) {
	return s.store.UsersByIDs(ctx, ids)
}

// Roles are the role names SetRoles accepts.
func (s *Service) Roles(ctx context.Context) ([]string, error) { return s.store.RoleNames(ctx) }
