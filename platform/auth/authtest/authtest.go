// Package authtest issues real access tokens in tests, signed with a key
// made for the test, and the verifier that accepts them.
package authtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/myshop/supergraph/platform/auth"
)

// Issuer signs tokens for a test.
type Issuer struct {
	t    testing.TB
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// New returns an issuer with a fresh key.
func New(t testing.TB) *Issuer {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Issuer{t: t, priv: priv, pub: pub}
}

// PublicKey makes the issuer its own auth.KeySource.
func (i *Issuer) PublicKey(_ context.Context, kid string) (ed25519.PublicKey, error) {
	if kid != "test" {
		return nil, auth.ErrUnknownKey
	}
	return i.pub, nil
}

// Verifier accepts the issuer's tokens.
func (i *Issuer) Verifier() *auth.Verifier { return auth.NewVerifier(i) }

// Token returns an access token for userID holding these permissions;
// any permission makes the bearer staff.
func (i *Issuer) Token(userID string, permissions ...string) string {
	return i.TokenFor(userID, 15*time.Minute, permissions...)
}

// TokenFor is Token valid for ttl, for tests of what happens at expiry.
func (i *Issuer) TokenFor(userID string, ttl time.Duration, permissions ...string) string {
	roles := []string{"customer"}
	if len(permissions) > 0 {
		roles = []string{"admin"}
	}
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: auth.Issuer, Subject: userID, Audience: jwt.ClaimStrings{auth.Audience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Roles: roles,
		Scope: strings.Join(permissions, " "),
	})
	tok.Header["kid"] = "test"
	s, err := tok.SignedString(i.priv)
	if err != nil {
		i.t.Fatal(err)
	}
	return s
}
