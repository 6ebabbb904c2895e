package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/platform/outbox"
	platformpg "github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// UpdateProfile changes a user's name and the given parts of the profile
// and announces the profile as it then is.
func (s *Store) UpdateProfile(ctx context.Context, userID, name string, p user.ProfileChange, announce func(user.Profile) user.Event) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var now user.Profile
		var phone *string
		err := tx.QueryRow(ctx, `
UPDATE users SET name = $2,
    phone = CASE WHEN $3::text IS NULL THEN phone ELSE nullif($3, '') END,
    locale = coalesce($4, locale),
    marketing_emails = coalesce($5, marketing_emails),
    marketing_sms = coalesce($6, marketing_sms),
    marketing_emails_at = CASE WHEN $5::boolean IS NULL OR marketing_emails = $5 THEN marketing_emails_at ELSE now() END,
    marketing_sms_at = CASE WHEN $6::boolean IS NULL OR marketing_sms = $6 THEN marketing_sms_at ELSE now() END
WHERE id = $1 AND deleted_at IS NULL
RETURNING phone, locale, marketing_emails, marketing_sms`, userID, name, p.Phone, p.Locale, p.MarketingEmails, p.MarketingSMS).
			Scan(&phone, &now.Locale, &now.MarketingEmails, &now.MarketingSMS)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if phone != nil {
			now.Phone = *phone
		}
		e := announce(now)
		return outbox.Record(ctx, tx, e.Type, e.Payload)
	})
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	return nil
}

// SetMarketingConsent records consent given or withdrawn through
// notifications at time at, unless the profile changed it since. It
// announces nothing: notifications, where it happened, has it already.
func (s *Store) SetMarketingConsent(ctx context.Context, userID string, emails bool, enabled bool, at time.Time) error {
	q := `UPDATE users SET marketing_emails = $2, marketing_emails_at = $3
WHERE id = $1 AND deleted_at IS NULL AND (marketing_emails_at IS NULL OR marketing_emails_at < $3)`
	if !emails {
		q = `UPDATE users SET marketing_sms = $2, marketing_sms_at = $3
WHERE id = $1 AND deleted_at IS NULL AND (marketing_sms_at IS NULL OR marketing_sms_at < $3)`
	}
	if _, err := s.pool.Exec(ctx, q, userID, enabled, at); err != nil {
		return fmt.Errorf("marketing consent: %w", err)
	}
	return nil
}

// AddressesByUsers returns the address books of these users, in id order.
func (s *Store) AddressesByUsers(ctx context.Context, userIDs []string) ([]user.Address, error) {
	rows, err := s.pool.Query(ctx, `
SELECT id, user_id, first_name, last_name, company, street1, street2, city, region, postal_code, country_code, phone
FROM addresses WHERE user_id = ANY($1) ORDER BY user_id, id`, userIDs)
	if err != nil {
		return nil, fmt.Errorf("addresses: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (user.Address, error) {
		var a user.Address
		err := row.Scan(&a.ID, &a.UserID, &a.FirstName, &a.LastName, &a.Company, &a.Street1, &a.Street2,
			&a.City, &a.Region, &a.PostalCode, &a.CountryCode, &a.Phone)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("addresses: %w", err)
	}
	return as, nil
}

// SaveAddress inserts a new address or updates one of the user's, and
// sets the user's defaults.
func (s *Store) SaveAddress(ctx context.Context, a user.Address, isNew, defaultShipping, defaultBilling bool) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		q := `UPDATE addresses SET first_name = $3, last_name = $4, company = $5, street1 = $6, street2 = $7,
    city = $8, region = $9, postal_code = $10, country_code = $11, phone = $12
WHERE id = $1 AND user_id = $2`
		if isNew {
			q = `INSERT INTO addresses (id, user_id, first_name, last_name, company, street1, street2, city, region, postal_code, country_code, phone)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
		}
		tag, err := tx.Exec(ctx, q, a.ID, a.UserID, a.FirstName, a.LastName, a.Company, a.Street1, a.Street2,
			a.City, a.Region, a.PostalCode, a.CountryCode, a.Phone)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 { // not one of the user's addresses
			return user.ErrNotFound
		}
		if defaultShipping {
			if _, err := tx.Exec(ctx, `UPDATE users SET default_shipping_address_id = $2 WHERE id = $1`, a.UserID, a.ID); err != nil {
				return err
			}
		}
		if defaultBilling {
			if _, err := tx.Exec(ctx, `UPDATE users SET default_billing_address_id = $2 WHERE id = $1`, a.UserID, a.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, user.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("save address: %w", err)
	}
	return nil
}

// DeleteAddress removes one of the user's addresses.
func (s *Store) DeleteAddress(ctx context.Context, userID, addressID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM addresses WHERE id = $1 AND user_id = $2`, addressID, userID)
	if err != nil {
		return fmt.Errorf("delete address: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return user.ErrNotFound
	}
	return nil
}

// CreateAccountToken stores a mailed token and its outbox event.
func (s *Store) CreateAccountToken(ctx context.Context, t user.AccountToken, event user.Event) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			t.Hash, t.UserID, t.Purpose, t.Email, t.ExpiresAt); err != nil {
			return err
		}
		return outbox.Record(ctx, tx, event.Type, event.Payload)
	})
	if err != nil {
		return fmt.Errorf("create account token: %w", err)
	}
	return nil
}

// UseAccountToken spends a mailed token: one UPDATE, so two concurrent
// uses cannot both succeed.
func (s *Store) UseAccountToken(ctx context.Context, hash []byte, purpose string) (user.AccountToken, error) {
	t := user.AccountToken{Hash: hash, Purpose: purpose}
	err := s.pool.QueryRow(ctx, `
UPDATE account_tokens SET used_at = now()
WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
RETURNING user_id, email, expires_at`, hash, purpose).Scan(&t.UserID, &t.Email, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return user.AccountToken{}, user.ErrNotFound
	}
	if err != nil {
		return user.AccountToken{}, fmt.Errorf("use account token: %w", err)
	}
	return t, nil
}

// PasswordHash returns the user's password hash, "" when there is none.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var h *string
	err := s.pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1 AND deleted_at IS NULL`, userID).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", user.ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	if h == nil {
		return "", nil
	}
	return *h, nil
}

// SetPassword changes the password and revokes every session.
func (s *Store) SetPassword(ctx context.Context, userID, hash string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	return nil
}

// SetEmail changes the email; it is unverified until verified again.
func (s *Store) SetEmail(ctx context.Context, userID, email string) error {
	_, err := s.pool.Exec(ctx, `UPDATE users SET email = $2, email_verified_at = NULL WHERE id = $1`, userID, email)
	if platformpg.IsUniqueViolation(err) {
		return user.ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("set email: %w", err)
	}
	return nil
}

// MarkEmailVerified verifies the user's email if it is still email.
func (s *Store) MarkEmailVerified(ctx context.Context, userID, email string, event user.Event) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET email_verified_at = now() WHERE id = $1 AND email = $2`, userID, email)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 { // the email changed since the mail was sent
			return user.ErrNotFound
		}
		return outbox.Record(ctx, tx, event.Type, event.Payload)
	})
	if errors.Is(err, user.ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	return nil
}

// Anonymise keeps the row (reviews and orders point at the id) but
// removes everything that identifies the person, ends their sessions and
// records the event, in one transaction.
func (s *Store) Anonymise(ctx context.Context, userID string, event user.Event) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`UPDATE users SET name = 'Deleted user', email = 'deleted+' || id || '@invalid', phone = NULL, password_hash = NULL,
			     email_verified_at = NULL, marketing_emails = false, marketing_sms = false, deleted_at = now(),
			     default_shipping_address_id = NULL, default_billing_address_id = NULL WHERE id = $1`,
			`DELETE FROM addresses WHERE user_id = $1`,
			`DELETE FROM account_tokens WHERE user_id = $1`,
			`DELETE FROM user_roles WHERE user_id = $1`,
			`UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
		} {
			if _, err := tx.Exec(ctx, q, userID); err != nil {
				return err
			}
		}
		return outbox.Record(ctx, tx, event.Type, event.Payload)
	})
	if err != nil {
		return fmt.Errorf("anonymise: %w", err)
	}
	return nil
}

// SetRoles replaces a user's roles.
func (s *Store) SetRoles(ctx context.Context, userID string, roles []string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM user_roles WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) SELECT $1, unnest($2::text[])`, userID, roles)
		return err
	})
	if err != nil {
		return fmt.Errorf("set roles: %w", err)
	}
	return nil
}

// RoleNames lists the roles that exist.
func (s *Store) RoleNames(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM roles ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	return names, nil
}

// Users lists users for staff. The search is a plain substring match:
// LIKE's wildcards in it are escaped, so "%" finds a percent sign.
func (s *Store) Users(ctx context.Context, f user.UserFilter, after string, first int) ([]user.User, bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users u
WHERE u.id > $1 AND u.deleted_at IS NULL
  AND ($2 = '' OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = $2))
  AND ($3 = '' OR u.name ILIKE '%' || $3 || '%' ESCAPE '\' OR u.email ILIKE '%' || $3 || '%' ESCAPE '\')
ORDER BY u.id LIMIT $4`, after, f.Role, escapeLike(f.Search), first+1)
	if err != nil {
		return nil, false, fmt.Errorf("users: %w", err)
	}
	us, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return nil, false, fmt.Errorf("users: %w", err)
	}
	if len(us) > first {
		return us[:first], true, nil
	}
	return us, false, nil
}

func escapeLike(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c == '_' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
