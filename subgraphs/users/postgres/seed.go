package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/myshop/supergraph/subgraphs/platform/ids"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/myshop/supergraph/subgraphs/platform/demo"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

var firstNames = []string{"Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Ken", "Radia", "Dennis", "Margaret", "Linus", "Hedy"}
var lastNames = []string{"Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Thompson", "Perlman", "Ritchie", "Hamilton", "Torvalds", "Lamarr"}

// DemoPassword is every demo shopper's password: the demo is for trying.
const DemoPassword = "shopper-demo-2026"

// Seed writes the demo users, customers who log in with DemoPassword. It
// is deterministic and idempotent: running it twice leaves the same rows.
func Seed(ctx context.Context, pool *pgxpool.Pool) error {
	// One hash for all: argon2 is slow on purpose, and these share a
	// published password anyway.
	hash, err := user.HashPassword(DemoPassword)
	if err != nil {
		return err
	}
	batch := &pgx.Batch{}
	for i := 1; i <= demo.Users; i++ {
		first := firstNames[(i-1)%len(firstNames)]
		last := lastNames[(i*5)%len(lastNames)]
		email := fmt.Sprintf("%s.%s.%d@example.com", strings.ToLower(first), strings.ToLower(last), i)
		batch.Queue(`INSERT INTO users (id, name, email, password_hash, email_verified_at) VALUES ($1, $2, $3, $4, now()) ON CONFLICT (id) DO NOTHING`,
			demo.UserID(i), first+" "+last, email, hash)
		batch.Queue(`INSERT INTO user_roles (user_id, role) VALUES ($1, 'customer') ON CONFLICT DO NOTHING`, demo.UserID(i))
		// Announce the demo users as registered, so the services that
		// learn contacts from events (notifications) know them too.
		batch.Queue(`INSERT INTO outbox (event_id, type, payload) VALUES ($1, 'user.registered', $2) ON CONFLICT (event_id) DO NOTHING`,
			"evt_seed_"+demo.UserID(i), map[string]any{"userId": demo.UserID(i), "email": email, "name": first + " " + last, "locale": "en"})
	}
	if err := pool.SendBatch(ctx, batch).Close(); err != nil {
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
