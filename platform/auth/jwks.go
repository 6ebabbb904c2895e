package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// JWK is one public key in a JSON Web Key Set (RFC 8037 for Ed25519).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKSet is what /.well-known/jwks.json serves.
type JWKSet struct {
	Keys []JWK `json:"keys"`
}

// PublicJWK describes an Ed25519 public key.
func PublicJWK(kid string, pub ed25519.PublicKey) JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), Kid: kid, Alg: "EdDSA", Use: "sig"}
}

// ErrUnknownKey is returned for a kid the key set does not hold.
var ErrUnknownKey = errors.New("unknown signing key")

// JWKS is a KeySource that reads a remote key set: cached, refreshed every
// RefreshEvery, and fetched again for an unknown kid at most once per
// MinRefetch, so a flood of tokens with made-up kids cannot flood the
// users subgraph.
type JWKS struct {
	url    string
	client *http.Client

	mu        sync.Mutex
	keys      map[string]ed25519.PublicKey
	fetchedAt time.Time
}

// Refresh periods of a JWKS.
const (
	RefreshEvery = 60 * time.Second
	MinRefetch   = 5 * time.Second
)

// NewJWKS returns a key source for the key set at url.
func NewJWKS(url string, client *http.Client) *JWKS {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	return &JWKS{url: url, client: client}
}

// PublicKey returns the key named kid.
func (j *JWKS) PublicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	age := time.Since(j.fetchedAt)
	key, ok := j.keys[kid]
	if ok && age < RefreshEvery {
		return key, nil
	}
	if j.keys == nil || age >= RefreshEvery || (!ok && age >= MinRefetch) {
		// Holding the lock while fetching makes concurrent misses wait for
		// one fetch instead of each making their own.
		if err := j.fetch(ctx); err != nil && j.keys == nil {
			return nil, err
		}
		key, ok = j.keys[kid]
	}
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
	}
	return key, nil
}

func (j *JWKS) fetch(ctx context.Context) error {
	j.fetchedAt = time.Now() // also on failure: a down issuer is not hammered
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("jwks: %s answered %s", j.url, resp.Status)
	}
	var set JWKSet
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("jwks: decode: %w", err)
	}
	keys := make(map[string]ed25519.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			continue
		}
		keys[k.Kid] = ed25519.PublicKey(x)
	}
	j.keys = keys
	return nil
}
