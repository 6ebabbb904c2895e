// Package token issues the users subgraph's tokens: short-lived EdDSA
// access JWTs signed with rotating keys, and opaque refresh tokens.
package token

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/myshop/supergraph/platform/auth"
)

// Lifetimes.
const (
	AccessTTL  = 15 * time.Minute
	RefreshTTL = 30 * 24 * time.Hour
	// RotateEvery is how old the signing key may get before a new one signs.
	RotateEvery = 24 * time.Hour
	// reloadEvery is how often the ring re-reads the keys, so replicas see
	// a key another replica made.
	reloadEvery = time.Minute
)

// SigningKey is one Ed25519 key of the ring.
type SigningKey struct {
	Kid       string
	Private   ed25519.PrivateKey
	CreatedAt time.Time
}

// KeyStore keeps the signing keys.
type KeyStore interface {
	SigningKeys(ctx context.Context) ([]SigningKey, error) // newest first
	AddSigningKey(ctx context.Context, k SigningKey) error
}

// Ring signs with its newest key and publishes every key a live token may
// have been signed with.
type Ring struct {
	store KeyStore
	now   func() time.Time

	mu       sync.Mutex
	keys     []SigningKey
	loadedAt time.Time
}

// NewRing returns a key ring over store.
func NewRing(store KeyStore) *Ring { return &Ring{store: store, now: time.Now} }

func (r *Ring) load(ctx context.Context) ([]SigningKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.keys != nil && now.Sub(r.loadedAt) < reloadEvery && now.Sub(r.keys[0].CreatedAt) < RotateEvery {
		return r.keys, nil
	}
	keys, err := r.store.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	if len(keys) == 0 || now.Sub(keys[0].CreatedAt) >= RotateEvery {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate signing key: %w", err)
		}
		k := SigningKey{Kid: randomID(8), Private: priv, CreatedAt: now}
		if err := r.store.AddSigningKey(ctx, k); err != nil {
			return nil, fmt.Errorf("add signing key: %w", err)
		}
		keys = append([]SigningKey{k}, keys...)
	}
	r.keys, r.loadedAt = keys, now
	return keys, nil
}

// Published are the keys a token still alive may carry: the signing key
// and those retired less than a token lifetime (plus leeway) ago.
func (r *Ring) Published(ctx context.Context) ([]SigningKey, error) {
	keys, err := r.load(ctx)
	if err != nil {
		return nil, err
	}
	var out []SigningKey
	for i, k := range keys {
		if i == 0 || r.now().Sub(k.CreatedAt) < RotateEvery+AccessTTL+auth.Leeway {
			out = append(out, k)
		}
	}
	return out, nil
}

// JWKS is the published key set.
func (r *Ring) JWKS(ctx context.Context) (auth.JWKSet, error) {
	keys, err := r.Published(ctx)
	if err != nil {
		return auth.JWKSet{}, err
	}
	set := auth.JWKSet{Keys: make([]auth.JWK, len(keys))}
	for i, k := range keys {
		set.Keys[i] = auth.PublicJWK(k.Kid, k.Private.Public().(ed25519.PublicKey))
	}
	return set, nil
}

// PublicKey makes the ring an auth.KeySource: the users subgraph verifies
// tokens with its own keys, no HTTP round trip.
func (r *Ring) PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	keys, err := r.Published(ctx)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Kid == kid {
			return k.Private.Public().(ed25519.PublicKey), nil
		}
	}
	return nil, fmt.Errorf("%w %q", auth.ErrUnknownKey, kid)
}

// Access signs an access token for userID.
func (r *Ring) Access(ctx context.Context, userID string, roles, permissions []string) (string, time.Time, error) {
	keys, err := r.load(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	now := r.now()
	exp := now.Add(AccessTTL)
	scope := ""
	for i, p := range permissions {
		if i > 0 {
			scope += " "
		}
		scope += p
	}
	claims := auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    auth.Issuer,
			Subject:   userID,
			Audience:  jwt.ClaimStrings{auth.Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        randomID(12),
		},
		Roles: roles,
		Scope: scope,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = keys[0].Kid
	signed, err := t.SignedString(keys[0].Private)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, exp, nil
}

// NewRefresh returns a new opaque refresh token and the hash to store.
func NewRefresh() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefresh(token)
}

// HashRefresh is how a refresh token is stored and looked up: a leaked
// table holds no usable token.
func HashRefresh(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewFamilyID names a login session's chain of refresh tokens.
func NewFamilyID() string { return randomID(12) }
