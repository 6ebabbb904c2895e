// Package postgres is the users store: the only package that knows its SQL.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/platform/outbox"
	platformpg "github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the users database's goose migrations.
var Migrations, _ = fs.Sub(migrations, "migrations")

// Store reads and writes users.
type Store struct{ pool *pgxpool.Pool }

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

var _ user.Store = (*Store)(nil)

// UsersByIDs returns the users with these ids, in no particular order;
// unknown ids are left out.
func (s *Store) UsersByIDs(ctx context.Context, ids []string) ([]user.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	us, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	return us, nil
}

// Create stores a new user with its roles.
func (s *Store) Create(ctx context.Context, u user.User, passwordHash string, event user.Event) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (id, name, email, password_hash) VALUES ($1, $2, $3, $4)`,
			u.ID, u.Name, u.Email, passwordHash); err != nil {
			return err
		}
		for _, r := range u.Roles {
			if _, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, u.ID, r); err != nil {
				return err
			}
		}
		return outbox.Record(ctx, tx, event.Type, event.Payload)
	})
	if platformpg.IsUniqueViolation(err) {
		return user.ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// CredentialsByEmail finds a user by email, whatever its case.
func (s *Store) CredentialsByEmail(ctx context.Context, email string) (user.Credentials, error) {
	var c user.Credentials
	var hash *string
	err := s.pool.QueryRow(ctx, `SELECT id, name, email, password_hash FROM users WHERE lower(email) = lower($1) AND deleted_at IS NULL`, email).
		Scan(&c.User.ID, &c.User.Name, &c.User.Email, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return user.Credentials{}, user.ErrNotFound
	}
	if err != nil {
		return user.Credentials{}, fmt.Errorf("credentials: %w", err)
	}
	if hash != nil {
		c.PasswordHash = *hash
	}
	return c, nil
}

// Access returns the user's roles and the union of their permissions.
func (s *Store) Access(ctx context.Context, userID string) (user.Access, error) {
	var a user.Access
	err := s.pool.QueryRow(ctx, `
SELECT coalesce(array_agg(DISTINCT ur.role), '{}'),
       coalesce((SELECT array_agg(DISTINCT p ORDER BY p) FROM user_roles ur2 JOIN roles r ON r.name = ur2.role,
                 unnest(r.permissions) p WHERE ur2.user_id = $1), '{}')
FROM user_roles ur WHERE ur.user_id = $1`, userID).Scan(&a.Roles, &a.Permissions)
	if err != nil {
		return user.Access{}, fmt.Errorf("access: %w", err)
	}
	return a, nil
}

// SaveRefreshToken stores the first token of a session.
func (s *Store) SaveRefreshToken(ctx context.Context, t user.RefreshToken) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)`,
		t.Hash, t.FamilyID, t.UserID, t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("save refresh token: %w", err)
	}
	return nil
}

// RotateRefreshToken: see user.Store. The row lock makes two concurrent
// uses of one token a reuse, as they should be.
func (s *Store) RotateRefreshToken(ctx context.Context, old []byte, next user.RefreshToken) (string, error) {
	var userID string
	reused := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var family string
		var live, used bool
		err := tx.QueryRow(ctx, `
SELECT family_id, user_id, revoked_at IS NULL AND expires_at > now(), used_at IS NOT NULL
FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`, old).Scan(&family, &userID, &live, &used)
		if errors.Is(err, pgx.ErrNoRows) {
			return user.ErrNotFound
		}
		if err != nil {
			return err
		}
		if !live {
			return user.ErrNotFound
		}
		if used {
			reused = true
			_, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, family)
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1`, old); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)`,
			next.Hash, family, userID, next.ExpiresAt)
		return err
	})
	if errors.Is(err, user.ErrNotFound) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("rotate refresh token: %w", err)
	}
	if reused {
		return "", user.ErrTokenReuse
	}
	return userID, nil
}

// RevokeRefreshFamily revokes every token of the session hash belongs to.
func (s *Store) RevokeRefreshFamily(ctx context.Context, hash []byte) error {
	_, err := s.pool.Exec(ctx, `
UPDATE refresh_tokens SET revoked_at = now()
WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`, hash)
	if err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}

const userColumns = `u.id, u.name, u.email, u.email_verified_at IS NOT NULL,
       coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '{}'),
       coalesce(u.phone, ''), u.locale, u.marketing_emails, u.marketing_sms,
       coalesce(u.default_shipping_address_id, ''), coalesce(u.default_billing_address_id, ''), u.deleted_at IS NOT NULL`

func scanUser(row pgx.CollectableRow) (user.User, error) {
	var u user.User
	err := row.Scan(&u.ID, &u.Name, &u.Email, &u.EmailVerified, &u.Roles, &u.Phone, &u.Locale,
		&u.MarketingEmails, &u.MarketingSMS, &u.DefaultShippingAddressID, &u.DefaultBillingAddressID, &u.Deleted)
	return u, err
}
