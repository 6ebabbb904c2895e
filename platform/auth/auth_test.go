package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type staticKeys map[string]ed25519.PublicKey

func (k staticKeys) PublicKey(_ context.Context, kid string) (ed25519.PublicKey, error) {
	if key, ok := k[kid]; ok {
		return key, nil
	}
	return nil, ErrUnknownKey
}

func newKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func claimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": Issuer, "aud": Audience, "sub": "usr_0001",
		"iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(), "jti": "j1",
		"roles": []string{"customer"}, "scope": "READ_ORDERS",
	}
}

func sign(t testing.TB, method jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	pub, priv := newKey(t)
	_, otherPriv := newKey(t)
	v := NewVerifier(staticKeys{"k1": pub})
	now := time.Now()
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := claimsAt(now)
		edit(c)
		return c
	}
	noneToken, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claimsAt(now)).SignedString(jwt.UnsafeAllowNoneSignatureType)

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"valid", sign(t, jwt.SigningMethodEdDSA, priv, "k1", claimsAt(now)), true},
		{"expired 59s ago, inside the leeway", sign(t, jwt.SigningMethodEdDSA, priv, "k1", with(func(c jwt.MapClaims) { c["exp"] = now.Add(-59 * time.Second).Unix() })), true},
		{"expired 61s ago", sign(t, jwt.SigningMethodEdDSA, priv, "k1", with(func(c jwt.MapClaims) { c["exp"] = now.Add(-61 * time.Second).Unix() })), false},
		{"alg none", noneToken, false},
		{"HS256 signed with the public key", sign(t, jwt.SigningMethodHS256, []byte(pub), "k1", claimsAt(now)), false},
		{"signed by another key", sign(t, jwt.SigningMethodEdDSA, otherPriv, "k1", claimsAt(now)), false},
		{"unknown kid", sign(t, jwt.SigningMethodEdDSA, priv, "k9", claimsAt(now)), false},
		{"no kid", sign(t, jwt.SigningMethodEdDSA, priv, "", claimsAt(now)), false},
		{"wrong issuer", sign(t, jwt.SigningMethodEdDSA, priv, "k1", with(func(c jwt.MapClaims) { c["iss"] = "evil" })), false},
		{"wrong audience", sign(t, jwt.SigningMethodEdDSA, priv, "k1", with(func(c jwt.MapClaims) { c["aud"] = "other" })), false},
		{"missing exp", sign(t, jwt.SigningMethodEdDSA, priv, "k1", with(func(c jwt.MapClaims) { delete(c, "exp") })), false},
		{"missing sub", sign(t, jwt.SigningMethodEdDSA, priv, "k1", with(func(c jwt.MapClaims) { delete(c, "sub") })), false},
		{"issued in the future", sign(t, jwt.SigningMethodEdDSA, priv, "k1", with(func(c jwt.MapClaims) { c["iat"] = now.Add(10 * time.Minute).Unix() })), false},
		{"garbage", "not.a.token", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(context.Background(), tt.token)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if c.UserID() != "usr_0001" || !c.HasScope("READ_ORDERS") || c.HasScope("ADJUST_STOCK") {
					t.Fatalf("claims = %+v", c)
				}
				return
			}
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
}

// A cached token must still expire.
func TestVerifyCacheHonoursExpiry(t *testing.T) {
	pub, priv := newKey(t)
	v := NewVerifier(staticKeys{"k1": pub})
	now := time.Now()
	tok := sign(t, jwt.SigningMethodEdDSA, priv, "k1", claimsAt(now))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	v.now = func() time.Time { return now.Add(15*time.Minute + Leeway + time.Second) }
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired cached token accepted: %v", err)
	}
}

func TestMiddleware(t *testing.T) {
	pub, priv := newKey(t)
	v := NewVerifier(staticKeys{"k1": pub})
	var seen atomic.Pointer[Claims]
	reached := 0
	h := Middleware(v, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		seen.Store(FromContext(r.Context()))
	}))
	good := sign(t, jwt.SigningMethodEdDSA, priv, "k1", claimsAt(time.Now()))
	tests := []struct {
		header string
		status int
		claims bool
	}{
		{"", 200, false},
		{"Bearer " + good, 200, true},
		{"bearer " + good, 200, true},
		{"Basic dXNlcjpwYXNz", 401, false},
		{"Bearer", 401, false},
		{"Bearer garbage", 401, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.header), func(t *testing.T) {
			reached = 0
			req := httptest.NewRequest("POST", "/graphql", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if tt.status == 401 {
				var body struct {
					Errors []struct{ Extensions struct{ Code string } }
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) == 0 || body.Errors[0].Extensions.Code != "UNAUTHENTICATED" {
					t.Fatalf("body = %s", rec.Body)
				}
				if reached != 0 {
					t.Fatal("handler reached with a bad token")
				}
				return
			}
			if (seen.Load() != nil) != tt.claims {
				t.Fatalf("claims = %v, want present=%v", seen.Load(), tt.claims)
			}
		})
	}
}

func TestJWKSRefetchesUnknownKidAtMostOncePerPeriod(t *testing.T) {
	pub, _ := newKey(t)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(JWKSet{Keys: []JWK{PublicJWK("k1", pub)}})
	}))
	defer srv.Close()
	j := NewJWKS(srv.URL, nil)
	ctx := context.Background()
	got, err := j.PublicKey(ctx, "k1")
	if err != nil || !got.Equal(pub) {
		t.Fatalf("k1: %v", err)
	}
	for range 50 {
		if _, err := j.PublicKey(ctx, "made-up"); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("made-up kid: %v", err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("fetches = %d, want 1: unknown kids must not hammer the issuer", n)
	}
}

// BenchmarkVerify is the router's hot path: the same client's token on
// every request (cached), and a first sight of a token (signature check).
func BenchmarkVerify(b *testing.B) {
	pub, priv := newKey(b)
	v := NewVerifier(staticKeys{"k1": pub})
	tok := sign(b, jwt.SigningMethodEdDSA, priv, "k1", claimsAt(time.Now()))
	ctx := context.Background()
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first-sight", func(b *testing.B) {
		for b.Loop() {
			v.mu.Lock()
			clear(v.cache)
			v.mu.Unlock()
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
