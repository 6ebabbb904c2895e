package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidToken is wrapped by every reason Verify refuses a token.
var ErrInvalidToken = errors.New("invalid access token")

// Leeway is how much clock skew between issuer and verifier is forgiven.
const Leeway = 60 * time.Second

// KeySource returns the public key a token's kid names.
type KeySource interface {
	PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// Verifier checks access tokens: EdDSA only, our issuer and audience,
// exp required. A verified token is remembered until it expires, so a
// client's repeated requests cost a map lookup, not a signature check.
type Verifier struct {
	keys KeySource
	now  func() time.Time

	mu    sync.Mutex
	cache map[string]*Claims
}

// maxCached bounds the verified-token cache; past it the cache starts over.
const maxCached = 10000

// NewVerifier returns a Verifier that takes keys from keys.
func NewVerifier(keys KeySource) *Verifier {
	return &Verifier{keys: keys, now: time.Now, cache: map[string]*Claims{}}
}

// Verify returns the claims of a valid token, or an error wrapping
// ErrInvalidToken that says why not.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	now := v.now()
	v.mu.Lock()
	c, ok := v.cache[token]
	v.mu.Unlock()
	if ok {
		if now.After(c.ExpiresAt.Add(Leeway)) {
			return nil, fmt.Errorf("%w: token is expired", ErrInvalidToken)
		}
		return c, nil
	}

	claims := &Claims{}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	_, err := parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("token has no kid")
		}
		return v.keys.PublicKey(ctx, kid)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" {
		return nil, fmt.Errorf("%w: token has no subject", ErrInvalidToken)
	}
	v.mu.Lock()
	if len(v.cache) >= maxCached {
		clear(v.cache)
	}
	v.cache[token] = claims
	v.mu.Unlock()
	return claims, nil
}
