package users_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/users"
	pgstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

const (
	registerMutation = `mutation($e: String!, $p: String!, $n: String!) { register(input: {email: $e, password: $p, name: $n}) { user { id name } errors { field code message } } }`
	loginMutation    = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token { accessToken refreshToken user { id } } errors { code message } } }`
	refreshMutation  = `mutation($r: String!) { refreshToken(refreshToken: $r) { token { accessToken refreshToken } errors { code } } }`
)

type loginResult struct {
	Token *struct {
		AccessToken, RefreshToken string
		User                      struct{ ID string }
	}
	Errors []struct{ Code, Message string }
}

func doLogin(t *testing.T, s *subgraphUnderTest, email, password string) (loginResult, gqltest.Response) {
	t.Helper()
	resp := gqltest.Do(t, s.h, loginMutation, map[string]any{"e": email, "p": password})
	var out struct{ Login loginResult }
	if resp.Data != nil && string(resp.Data) != "null" {
		gqltest.Decode(t, resp.Data, &out)
	}
	return out.Login, resp
}

func TestRegisterLoginMe(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	resp := gqltest.Do(t, s.h, registerMutation, map[string]any{"e": "Grace@Example.com", "p": "a long enough secret", "n": "Grace"})
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var reg struct {
		Register struct {
			User   struct{ ID, Name string }
			Errors []any
		}
	}
	gqltest.Decode(t, resp.Data, &reg)
	if !strings.HasPrefix(reg.Register.User.ID, "usr_") || len(reg.Register.Errors) != 0 {
		t.Fatalf("register: %s", resp.Data)
	}

	res, _ := doLogin(t, s, "grace@example.COM", "a long enough secret")
	if res.Token == nil || res.Token.User.ID != reg.Register.User.ID {
		t.Fatalf("login: %+v", res)
	}
	me := gqltest.DoAs(t, s.h, res.Token.AccessToken, `{ me { id name email roles } }`, nil)
	if len(me.Errors) > 0 {
		t.Fatalf("me: %+v", me.Errors)
	}
	gqltest.JSONEq(t, me.Data, `{"me":{"id":"`+reg.Register.User.ID+`","name":"Grace","email":"Grace@Example.com","roles":["customer"]}}`)

	anon := gqltest.Do(t, s.h, `{ me { id } }`, nil)
	gqltest.JSONEq(t, anon.Data, `{"me":null}`)
}

func TestRegisterRefuses(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	tests := []struct{ name, email, password, code string }{
		{"duplicate email in another case", "ADA.ALLEN.1@example.com", "a long enough secret", "EMAIL_TAKEN"},
		{"short password", "new1@example.com", "short", "PASSWORD_TOO_SHORT"},
		{"common password", "new2@example.com", "Password123", "PASSWORD_TOO_COMMON"},
		{"not an email", "not-an-email", "a long enough secret", "INVALID_EMAIL"},
		{"display-name email", "Ada <ada@example.com>", "a long enough secret", "INVALID_EMAIL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := gqltest.Do(t, s.h, registerMutation, map[string]any{"e": tt.email, "p": tt.password, "n": "X"})
			if len(resp.Errors) > 0 {
				t.Fatalf("top-level errors: %+v", resp.Errors)
			}
			var out struct {
				Register struct {
					User   *struct{ ID string }
					Errors []struct{ Code string }
				}
			}
			gqltest.Decode(t, resp.Data, &out)
			if out.Register.User != nil || len(out.Register.Errors) != 1 || out.Register.Errors[0].Code != tt.code {
				t.Fatalf("got %s, want code %s", resp.Data, tt.code)
			}
		})
	}
}

func TestLoginWrongPasswordAndUnknownEmailLookAlike(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	// The answers are the same; that both cost the same argon2 work is
	// counted in user.TestPasswordMatchesDoesTheSameWork, not timed here.
	var codes []string
	for _, email := range []string{"ada.allen.1@example.com", "nobody@example.com"} {
		res, _ := doLogin(t, s, email, "wrong password!")
		if res.Token != nil || len(res.Errors) != 1 {
			t.Fatalf("%s: %+v", email, res)
		}
		codes = append(codes, res.Errors[0].Code+": "+res.Errors[0].Message)
	}
	if codes[0] != codes[1] || !strings.HasPrefix(codes[0], "INVALID_CREDENTIALS") {
		t.Fatalf("answers differ: %q vs %q", codes[0], codes[1])
	}
}

func TestFailedLoginsAreRateLimited(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	for i := range 10 {
		res, _ := doLogin(t, s, "ada.allen.1@example.com", "wrong password!")
		if res.Token != nil || res.Errors[0].Code != "INVALID_CREDENTIALS" {
			t.Fatalf("attempt %d: %+v", i+1, res)
		}
	}
	_, resp := doLogin(t, s, "Ada.Allen.1@example.com", pgstore.DemoPassword)
	if len(resp.Errors) == 0 || resp.Errors[0].Code() != "RATE_LIMIT_EXCEEDED" {
		t.Fatalf("11th attempt, right password: %+v", resp)
	}
	// Another email is not affected.
	if res, _ := doLogin(t, s, "grace.torvalds.2@example.com", pgstore.DemoPassword); res.Token == nil {
		t.Fatalf("other email blocked: %+v", res)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	first, _ := doLogin(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)
	if first.Token == nil {
		t.Fatal("login failed")
	}
	refresh := func(tok string) loginResult {
		resp := gqltest.Do(t, s.h, refreshMutation, map[string]any{"r": tok})
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		var out struct{ RefreshToken loginResult }
		gqltest.Decode(t, resp.Data, &out)
		return out.RefreshToken
	}
	second := refresh(first.Token.RefreshToken)
	if second.Token == nil || second.Token.RefreshToken == first.Token.RefreshToken {
		t.Fatalf("rotation: %+v", second)
	}
	// The old one again: a thief or a replay. It fails, and so does the
	// legitimate newer one, since the whole session is revoked.
	if r := refresh(first.Token.RefreshToken); r.Token != nil || r.Errors[0].Code != "INVALID_TOKEN" {
		t.Fatalf("reuse accepted: %+v", r)
	}
	if r := refresh(second.Token.RefreshToken); r.Token != nil {
		t.Fatal("family not revoked after reuse")
	}
	if r := refresh("made-up"); r.Token != nil || r.Errors[0].Code != "INVALID_TOKEN" {
		t.Fatalf("made-up token: %+v", r)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	res, _ := doLogin(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)
	resp := gqltest.Do(t, s.h, `mutation($r: String!) { logout(refreshToken: $r) { ok } }`, map[string]any{"r": res.Token.RefreshToken})
	gqltest.JSONEq(t, resp.Data, `{"logout":{"ok":true}}`)
	after := gqltest.Do(t, s.h, refreshMutation, map[string]any{"r": res.Token.RefreshToken})
	if !strings.Contains(string(after.Data), "INVALID_TOKEN") {
		t.Fatalf("refresh after logout: %s", after.Data)
	}
}

func TestEmailIsPrivate(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	adminPassword, err := pgstore.EnsureAdmin(context.Background(), s.pool)
	if err != nil || adminPassword == "" {
		t.Fatalf("admin: %v", err)
	}
	ada, _ := doLogin(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)
	admin, _ := doLogin(t, s, pgstore.AdminEmail, adminPassword)
	q := `{ user(id: "usr_0002") { id email } }`

	// Through Query.user and through _entities: the same rule on every path.
	paths := map[string]string{
		"user":      q,
		"_entities": `{ _entities(representations: [{__typename: "User", id: "usr_0002"}]) { ... on User { id email } } }`,
	}
	for name, query := range paths {
		for who, token := range map[string]string{"anonymous": "", "another shopper": ada.Token.AccessToken} {
			resp := gqltest.DoAs(t, s.h, token, query, nil)
			if strings.Contains(string(resp.Data), "@") || len(resp.Errors) != 1 || resp.Errors[0].Code() != "FORBIDDEN" {
				t.Fatalf("%s as %s: data %s errors %+v", name, who, resp.Data, resp.Errors)
			}
		}
		resp := gqltest.DoAs(t, s.h, admin.Token.AccessToken, query, nil)
		if len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), "grace.torvalds.2@example.com") {
			t.Fatalf("%s as admin: %s %+v", name, resp.Data, resp.Errors)
		}
	}
}

func TestJWKSVerifiesIssuedTokens(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	srv := httptest.NewServer(s.h)
	defer srv.Close()
	res, _ := doLogin(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)
	v := auth.NewVerifier(auth.NewJWKS(srv.URL+users.JWKSPath, nil))
	c, err := v.Verify(context.Background(), res.Token.AccessToken)
	if err != nil || c.UserID() != "usr_0001" {
		t.Fatalf("verify through JWKS: %v %+v", err, c)
	}
	// The payload carries what the router and other subgraphs need.
	parts := strings.Split(res.Token.AccessToken, ".")
	var claims map[string]any
	b, _ := jsonSegment(parts[1])
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"sub", "roles", "scope", "iss", "aud", "exp", "iat", "jti"} {
		if _, ok := claims[k]; !ok {
			t.Errorf("claim %s missing from %v", k, claims)
		}
	}
}

func jsonSegment(seg string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(seg) }
