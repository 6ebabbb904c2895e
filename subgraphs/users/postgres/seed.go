package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// DemoPassword is every demo shopper's password: the demo is for trying.
const DemoPassword = "shopper-demo-2026"

// DemoStaffPassword is the demo staff's password. No demo staff member is
// an admin (see demo.StaffRoles).
const DemoStaffPassword = "staff-demo-2026"

// Seed writes the demo world's customers, each with a saved address as
// default shipping and billing, and its staff, one per role, by COPY. Each
// account is announced with user.registered, so the services that learn
// contacts from events know them too. A database that holds a world
// already keeps it (postgres.Seeded).
func Seed(ctx context.Context, pool *pgxpool.Pool, w *demo.World) error {
	if seeded, err := postgres.Seeded(ctx, pool, "users", w.Customers[0].ID); err != nil || seeded {
		return err
	}
	// One hash each for all: argon2 is slow on purpose, and these share a
	// published password anyway.
	shopperHash, err := user.HashPassword(DemoPassword)
	if err != nil {
		return err
	}
	staffHash, err := user.HashPassword(DemoStaffPassword)
	if err != nil {
		return err
	}
	users := postgres.Table{Name: "users", Cols: []string{"id", "name", "email", "password_hash", "email_verified_at", "created_at",
		"phone", "locale"}}
	addresses := postgres.Table{Name: "addresses", Cols: []string{"id", "user_id", "first_name", "last_name", "street1", "city", "region",
		"postal_code", "country_code", "phone", "created_at"}}
	roles := postgres.Table{Name: "user_roles", Cols: []string{"user_id", "role"}}
	outbox := postgres.Table{Name: "outbox", Cols: []string{"event_id", "type", "payload", "created_at"}}
	registered := func(id, email, name, locale string, at time.Time) {
		outbox.Add("evt_seed_"+id, "user.registered", map[string]any{"userId": id, "email": email, "name": name, "locale": locale}, at)
	}
	for _, c := range w.Customers {
		a := c.Address
		addresses.Add(a.ID, c.ID, a.FirstName, a.LastName, a.Street1, a.City, a.Region, a.PostalCode, a.Country, c.Phone, c.CreatedAt)
		users.Add(c.ID, c.Name(), c.Email, shopperHash, c.CreatedAt, c.CreatedAt, c.Phone, c.Locale)
		roles.Add(c.ID, "customer")
		registered(c.ID, c.Email, c.Name(), c.Locale, c.CreatedAt)
	}
	for _, s := range w.Staff {
		at := w.Until.AddDate(-2, 0, 0)
		users.Add(s.ID, s.Name, s.Email, staffHash, at, at, nil, "en")
		roles.Add(s.ID, s.Role)
		registered(s.ID, s.Email, s.Name, "en", at)
	}
	// Users and addresses point at each other: the defaults are set once
	// both are in (and only where none is set yet).
	err = postgres.CopyTables(ctx, pool, []postgres.Table{users, addresses, roles, outbox}, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE users u SET default_shipping_address_id = a.id, default_billing_address_id = a.id
FROM seed_addresses a WHERE a.user_id = u.id AND u.default_shipping_address_id IS NULL AND u.default_billing_address_id IS NULL`)
		return err
	})
	if err != nil {
		return fmt.Errorf("seed users: %w", err)
	}
	return nil
}

// AdminEmail is the first admin's login.
const AdminEmail = "admin@myshop.local"

// EnsureAdmin creates the first admin when the shop has none, with a
// random password it returns (once: only its hash is kept). It returns ""
// when an admin exists.
func EnsureAdmin(ctx context.Context, pool *pgxpool.Pool) (password string, err error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM user_roles WHERE role = 'admin')`).Scan(&exists); err != nil {
		return "", fmt.Errorf("look for an admin: %w", err)
	}
	if exists {
		return "", nil
	}
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	password = base64.RawURLEncoding.EncodeToString(b)
	hash, err := user.HashPassword(password)
	if err != nil {
		return "", err
	}
	u := user.User{ID: ids.New("usr"), Name: "Shop Admin", Email: AdminEmail, Roles: []string{"admin"}}
	if err := New(pool).Create(ctx, u, hash, user.Event{Type: user.EventRegistered,
		Payload: map[string]any{"userId": u.ID, "email": u.Email, "name": u.Name, "locale": "en"}}); err != nil {
		return "", fmt.Errorf("create the first admin: %w", err)
	}
	return password, nil
}
