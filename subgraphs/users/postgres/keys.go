package postgres

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/users/token"
)

var _ token.KeyStore = (*Store)(nil)

// SigningKeys returns the access-token signing keys, newest first.
func (s *Store) SigningKeys(ctx context.Context) ([]token.SigningKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT kid, private_key, created_at FROM signing_keys ORDER BY created_at DESC LIMIT 10`)
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (token.SigningKey, error) {
		var k token.SigningKey
		var seed []byte
		if err := row.Scan(&k.Kid, &seed, &k.CreatedAt); err != nil {
			return k, err
		}
		if len(seed) != ed25519.SeedSize {
			return k, fmt.Errorf("signing key %s is damaged", k.Kid)
		}
		k.Private = ed25519.NewKeyFromSeed(seed)
		return k, nil
	})
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	return keys, nil
}

// AddSigningKey stores a new key (its seed).
func (s *Store) AddSigningKey(ctx context.Context, k token.SigningKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO signing_keys (kid, private_key, created_at) VALUES ($1, $2, $3)`,
		k.Kid, k.Private.Seed(), k.CreatedAt)
	if err != nil {
		return fmt.Errorf("add signing key: %w", err)
	}
	return nil
}
