package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/auth/authtest"
)

// FuzzVerify: whatever the token text, Verify accepts only what the
// issuer signed: a mangled token, alg none or a forged header is refused,
// never a panic.
func FuzzVerify(f *testing.F) {
	issuer := authtest.New(f)
	good := issuer.Token("usr_1", "READ_ORDERS")
	parts := strings.Split(good, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	f.Add(good)
	f.Add(b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".")
	f.Add(b64([]byte(`{"alg":"HS256","kid":"test"}`)) + "." + parts[1] + "." + parts[2])
	f.Add(parts[0] + "." + b64([]byte(`{"sub":"usr_admin","scope":"ADMIN"}`)) + "." + parts[2])
	f.Add("Bearer " + good)
	f.Add("..")
	f.Add(strings.Repeat("a.", 5000))
	v := issuer.Verifier()
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := v.Verify(context.Background(), token)
		// The signed content (header and claims) must be the issuer's; the
		// signature segment may differ only in base64's unused bits.
		if err == nil && !strings.HasPrefix(token, parts[0]+"."+parts[1]+".") {
			t.Fatalf("accepted a token the issuer did not sign: %q (%+v)", token, claims)
		}
		if err != nil && claims != nil {
			t.Fatal("claims with an error")
		}
		if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("error outside ErrInvalidToken: %v", err)
		}
	})
}
