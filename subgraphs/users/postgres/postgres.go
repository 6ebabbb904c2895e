// Package postgres is the users store: the only package that knows its SQL.
package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"

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

// UsersByIDs returns the users with these ids, in no particular order;
// unknown ids are left out.
func (s *Store) UsersByIDs(ctx context.Context, ids []string) ([]user.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, email FROM users WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	defer rows.Close()
	var out []user.User
	for rows.Next() {
		var u user.User
		if err := rows.Scan(&u.ID, &u.Name, &u.Email); err != nil {
			return nil, fmt.Errorf("users by ids: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("users by ids: %w", err)
	}
	return out, nil
}
