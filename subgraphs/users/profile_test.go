package users_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/events"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/users"
	pgstore "github.com/myshop/supergraph/subgraphs/users/postgres"
	"github.com/myshop/supergraph/subgraphs/users/token"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// signIn logs in as a demo shopper and returns the access token.
func signIn(t *testing.T, s *subgraphUnderTest, email, password string) string {
	t.Helper()
	res, resp := doLogin(t, s, email, password)
	if res.Token == nil {
		t.Fatalf("login %s: %s %+v", email, resp.Data, resp.Errors)
	}
	return res.Token.AccessToken
}

// mailedToken reads the token the last event of type typ carried for email:
// what notifications will mail.
func mailedToken(t *testing.T, s *subgraphUnderTest, typ, email string) string {
	t.Helper()
	var tok string
	err := s.pool.QueryRow(context.Background(),
		`SELECT payload->>'token' FROM outbox WHERE type = $1 AND payload->>'email' = $2 ORDER BY id DESC LIMIT 1`, typ, email).Scan(&tok)
	if err != nil {
		t.Fatalf("no %s event for %s: %v", typ, email, err)
	}
	return tok
}

func mustOK(t *testing.T, resp gqltest.Response, field string) {
	t.Helper()
	if len(resp.Errors) > 0 {
		t.Fatalf("%s: %+v", field, resp.Errors)
	}
	if !strings.Contains(string(resp.Data), `"errors":[]`) {
		t.Fatalf("%s: %s", field, resp.Data)
	}
}

func payloadCode(t *testing.T, resp gqltest.Response) string {
	t.Helper()
	if len(resp.Errors) > 0 {
		t.Fatalf("top-level errors: %+v", resp.Errors)
	}
	i := strings.Index(string(resp.Data), `"code":"`)
	if i < 0 {
		return ""
	}
	rest := string(resp.Data)[i+8:]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestProfileAndAddresses(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	tok := signIn(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)

	mustOK(t, gqltest.DoAs(t, s.h, tok, `mutation { updateProfile(input: {name: "Ada L.", phone: "+44 20 7946 0000", locale: "en-GB", marketingEmails: true}) { user { name phone locale marketingEmails marketingSms } errors { code } } }`, nil), "updateProfile")
	// A later update of the name alone leaves the rest as it was: no
	// consent is withdrawn by a field the client did not send.
	mustOK(t, gqltest.DoAs(t, s.h, tok, `mutation { updateProfile(input: {name: "Ada L."}) { user { name } errors { code } } }`, nil), "updateProfile name only")

	save := `mutation($in: AddressInput!) { saveAddress(input: $in) { address { id countryCode postalCode } errors { field code } } }`
	bad := []struct {
		in   map[string]any
		code string
	}{
		{map[string]any{"firstName": "Ada", "lastName": "L", "street1": "1 Main St", "city": "Springfield", "postalCode": "12345", "countryCode": "US"}, "REQUIRED"},               // no state
		{map[string]any{"firstName": "Ada", "lastName": "L", "street1": "1 Main St", "city": "Springfield", "region": "IL", "postalCode": "1234", "countryCode": "US"}, "INVALID"}, // bad ZIP
		{map[string]any{"firstName": "Ada", "lastName": "L", "street1": "1 Rue", "city": "Paris", "postalCode": "75001", "countryCode": "XX"}, "INVALID"},
		{map[string]any{"firstName": "", "lastName": "L", "street1": "1 Rue", "city": "Paris", "postalCode": "75001", "countryCode": "FR"}, "REQUIRED"},
		{map[string]any{"id": "adr_someone_else", "firstName": "Ada", "lastName": "L", "street1": "1 Rue", "city": "Paris", "postalCode": "75001", "countryCode": "FR"}, "NOT_FOUND"},
	}
	for _, b := range bad {
		if code := payloadCode(t, gqltest.DoAs(t, s.h, tok, save, map[string]any{"in": b.in})); code != b.code {
			t.Errorf("%v: code %q, want %q", b.in, code, b.code)
		}
	}
	mustOK(t, gqltest.DoAs(t, s.h, tok, save, map[string]any{"in": map[string]any{
		"firstName": "Ada", "lastName": "L", "street1": "10 Downing St", "city": "London", "postalCode": "sw1a 2aa", "countryCode": "gb", "setDefaultShipping": true,
	}}), "saveAddress GB")
	mustOK(t, gqltest.DoAs(t, s.h, tok, save, map[string]any{"in": map[string]any{
		"firstName": "Ada", "lastName": "L", "street1": "1-1 Chiyoda", "city": "Tokyo", "region": "Tokyo", "postalCode": "100-0001", "countryCode": "JP", "setDefaultBilling": true,
	}}), "saveAddress JP")

	me := gqltest.DoAs(t, s.h, tok, `{ me { name phone locale marketingEmails marketingSms addresses { countryCode postalCode } defaultShippingAddress { city } defaultBillingAddress { city } } }`, nil)
	if len(me.Errors) > 0 {
		t.Fatal(me.Errors)
	}
	gqltest.JSONEq(t, me.Data, `{"me":{"name":"Ada L.","phone":"+44 20 7946 0000","locale":"en-GB","marketingEmails":true,"marketingSms":false,
		"addresses":[{"countryCode":"US","postalCode":"94103"},{"countryCode":"GB","postalCode":"SW1A 2AA"},{"countryCode":"JP","postalCode":"100-0001"}],
		"defaultShippingAddress":{"city":"London"},"defaultBillingAddress":{"city":"Tokyo"}}}`)

	// Another shopper cannot touch or see these.
	other := signIn(t, s, "grace.torvalds.2@example.com", pgstore.DemoPassword)
	resp := gqltest.DoAs(t, s.h, other, `{ user(id: "usr_0001") { name addresses { city } } }`, nil)
	if strings.Contains(string(resp.Data), "London") || len(resp.Errors) != 1 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("addresses leaked: %s %+v", resp.Data, resp.Errors)
	}
}

func TestAddressesOfManyUsersCostOneStatement(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	adminPassword, _ := pgstore.EnsureAdmin(context.Background(), s.pool)
	tok := signIn(t, s, pgstore.AdminEmail, adminPassword)
	reps := []any{}
	for _, id := range []string{"usr_0001", "usr_0002", "usr_0003", "usr_0004", "usr_0005", "usr_0006"} {
		reps = append(reps, map[string]any{"__typename": "User", "id": id})
	}
	s.statements.Reset()
	resp := gqltest.DoAs(t, s.h, tok, `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id addresses { city } } } }`, map[string]any{"r": reps})
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	if n := s.statements.Count(); n != 2 {
		t.Fatalf("statements = %d, want 2 (users, their addresses)", n)
	}
}

func TestEmailVerification(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	mustOK(t, gqltest.Do(t, s.h, registerMutation, map[string]any{"e": "new@example.com", "p": "a long enough secret", "n": "New"}), "register")
	tok := signIn(t, s, "new@example.com", "a long enough secret")
	before := gqltest.DoAs(t, s.h, tok, `{ me { emailVerified } }`, nil)
	gqltest.JSONEq(t, before.Data, `{"me":{"emailVerified":false}}`)

	mailed := mailedToken(t, s, "user.email_verification_requested", "new@example.com")
	verify := `mutation($t: String!) { verifyEmail(token: $t) { ok errors { code } } }`
	mustOK(t, gqltest.Do(t, s.h, verify, map[string]any{"t": mailed}), "verifyEmail")
	if code := payloadCode(t, gqltest.Do(t, s.h, verify, map[string]any{"t": mailed})); code != "INVALID_TOKEN" {
		t.Fatalf("second use: %q", code)
	}
	after := gqltest.DoAs(t, s.h, tok, `{ me { emailVerified } }`, nil)
	gqltest.JSONEq(t, after.Data, `{"me":{"emailVerified":true}}`)
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	request := `mutation($e: String!) { requestPasswordReset(email: $e) { ok errors { code } } }`
	known := gqltest.Do(t, s.h, request, map[string]any{"e": "ada.allen.1@example.com"})
	unknown := gqltest.Do(t, s.h, request, map[string]any{"e": "nobody@example.com"})
	if string(known.Data) != string(unknown.Data) {
		t.Fatalf("answers differ: %s vs %s", known.Data, unknown.Data)
	}
	session, _ := doLogin(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)

	mailed := mailedToken(t, s, "user.password_reset_requested", "ada.allen.1@example.com")
	reset := `mutation($t: String!, $p: String!) { resetPassword(token: $t, password: $p) { ok errors { code } } }`
	if code := payloadCode(t, gqltest.Do(t, s.h, reset, map[string]any{"t": mailed, "p": "short"})); code != "PASSWORD_TOO_SHORT" {
		t.Fatalf("weak password: %q", code)
	}
	mustOK(t, gqltest.Do(t, s.h, reset, map[string]any{"t": mailed, "p": "a brand new secret"}), "resetPassword")
	if code := payloadCode(t, gqltest.Do(t, s.h, reset, map[string]any{"t": mailed, "p": "another new secret"})); code != "INVALID_TOKEN" {
		t.Fatalf("token reused: %q", code)
	}
	if res, _ := doLogin(t, s, "ada.allen.1@example.com", pgstore.DemoPassword); res.Token != nil {
		t.Fatal("old password still works")
	}
	signIn(t, s, "ada.allen.1@example.com", "a brand new secret")
	// Sessions from before the reset are over.
	old := gqltest.Do(t, s.h, refreshMutation, map[string]any{"r": session.Token.RefreshToken})
	if !strings.Contains(string(old.Data), "INVALID_TOKEN") {
		t.Fatalf("old session survived the reset: %s", old.Data)
	}
	// An expired token is refused.
	if _, err := s.pool.Exec(context.Background(), `UPDATE account_tokens SET expires_at = now() - interval '1 second', used_at = NULL`); err != nil {
		t.Fatal(err)
	}
	if code := payloadCode(t, gqltest.Do(t, s.h, reset, map[string]any{"t": mailed, "p": "yet another secret"})); code != "INVALID_TOKEN" {
		t.Fatalf("expired token: %q", code)
	}
}

func TestChangePasswordAndEmailNeedTheCurrentPassword(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	tok := signIn(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)
	change := `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { ok errors { code } } }`
	if code := payloadCode(t, gqltest.DoAs(t, s.h, tok, change, map[string]any{"c": "wrong current", "n": "a brand new secret"})); code != "INVALID_PASSWORD" {
		t.Fatalf("wrong current password: %q", code)
	}
	if resp := gqltest.Do(t, s.h, change, map[string]any{"c": pgstore.DemoPassword, "n": "a brand new secret"}); len(resp.Errors) == 0 || resp.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous change: %+v", resp)
	}
	mustOK(t, gqltest.DoAs(t, s.h, tok, change, map[string]any{"c": pgstore.DemoPassword, "n": "a brand new secret"}), "changePassword")
	signIn(t, s, "ada.allen.1@example.com", "a brand new secret")

	email := `mutation($c: String!, $e: String!) { changeEmail(currentPassword: $c, email: $e) { ok errors { code } } }`
	if code := payloadCode(t, gqltest.DoAs(t, s.h, tok, email, map[string]any{"c": "a brand new secret", "e": "GRACE.TORVALDS.2@example.com"})); code != "EMAIL_TAKEN" {
		t.Fatalf("taken email: %q", code)
	}
	mustOK(t, gqltest.DoAs(t, s.h, tok, email, map[string]any{"c": "a brand new secret", "e": "ada@new.example.com"}), "changeEmail")
	signIn(t, s, "ada@new.example.com", "a brand new secret")
	mailedToken(t, s, "user.email_verification_requested", "ada@new.example.com")
}

func TestDeleteAccountAnonymises(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	tok := signIn(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)
	mustOK(t, gqltest.DoAs(t, s.h, tok, `mutation($c: String!) { deleteAccount(currentPassword: $c) { ok errors { code } } }`,
		map[string]any{"c": pgstore.DemoPassword}), "deleteAccount")
	if res, _ := doLogin(t, s, "ada.allen.1@example.com", pgstore.DemoPassword); res.Token != nil {
		t.Fatal("deleted account can log in")
	}
	var name, email string
	if err := s.pool.QueryRow(context.Background(), `SELECT name, email FROM users WHERE id = 'usr_0001'`).Scan(&name, &email); err != nil {
		t.Fatal(err)
	}
	if name != "Deleted user" || strings.Contains(email, "ada") {
		t.Fatalf("personal data kept: %q %q", name, email)
	}
	// The email is free again.
	mustOK(t, gqltest.Do(t, s.h, registerMutation, map[string]any{"e": "ada.allen.1@example.com", "p": "a long enough secret", "n": "Ada again"}), "register again")
}

func TestStaffManagement(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	adminPassword, _ := pgstore.EnsureAdmin(context.Background(), s.pool)
	admin := signIn(t, s, pgstore.AdminEmail, adminPassword)
	shopper := signIn(t, s, "ada.allen.1@example.com", pgstore.DemoPassword)

	list := `query($w: UserWhere, $after: String) { users(where: $w, first: 10, after: $after) { edges { node { id email } } pageInfo { hasNextPage endCursor } } }`
	if resp := gqltest.DoAs(t, s.h, shopper, list, nil); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("shopper listed users: %s", resp.Data)
	}
	resp := gqltest.DoAs(t, s.h, admin, list, map[string]any{"w": map[string]any{"search": "GRACE"}})
	if len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), "grace.torvalds.2@example.com") || strings.Contains(string(resp.Data), "ada.") {
		t.Fatalf("search: %s %+v", resp.Data, resp.Errors)
	}
	if resp := gqltest.DoAs(t, s.h, admin, list, map[string]any{"w": map[string]any{"search": "%"}}); !strings.Contains(string(resp.Data), `"edges":[]`) {
		t.Fatalf("%% matched everything: %s", resp.Data)
	}

	set := `mutation($u: ID!, $r: [String!]!) { setUserRoles(userId: $u, roles: $r) { user { roles } errors { code } } }`
	if resp := gqltest.DoAs(t, s.h, shopper, set, map[string]any{"u": "usr_0002", "r": []string{"admin"}}); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("shopper made an admin: %s", resp.Data)
	}
	if code := payloadCode(t, gqltest.DoAs(t, s.h, admin, set, map[string]any{"u": "usr_0002", "r": []string{"wizard"}})); code != "UNKNOWN_ROLE" {
		t.Fatalf("unknown role: %q", code)
	}
	resp = gqltest.DoAs(t, s.h, admin, set, map[string]any{"u": "usr_0002", "r": []string{"customer", "support"}})
	if len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), `"roles":["customer","support"]`) {
		t.Fatalf("setUserRoles: %s %+v", resp.Data, resp.Errors)
	}
	// The new support member's next token carries READ_USERS.
	support := signIn(t, s, "grace.torvalds.2@example.com", pgstore.DemoPassword)
	if resp := gqltest.DoAs(t, s.h, support, `{ user(id: "usr_0003") { email } }`, nil); len(resp.Errors) > 0 {
		t.Fatalf("support cannot read emails: %+v", resp.Errors)
	}
	// Roles filter and pagination.
	resp = gqltest.DoAs(t, s.h, admin, list, map[string]any{"w": map[string]any{"role": "support"}})
	// usr_0002 and the demo's support member.
	if !strings.Contains(string(resp.Data), `"id":"usr_0002"`) || strings.Count(string(resp.Data), `"id"`) != 2 {
		t.Fatalf("role filter: %s", resp.Data)
	}
}

// The locale chosen at registration or in the profile, and the marketing
// consent, travel to notifications with the events; a locale that is no
// language tag is refused.
func TestLocaleAndConsentAreAnnounced(t *testing.T) {
	t.Parallel()
	s := newSubgraphUnderTest(t)
	reg := `mutation($l: String) { register(input: {email: "de@example.com", password: "correct horse battery", name: "Dora", locale: $l}) { user { id } errors { field code } } }`
	gqltest.JSONEq(t, gqltest.Do(t, s.h, reg, map[string]any{"l": "German"}).Data, `{"register":{"user":null,"errors":[{"field":["locale"],"code":"INVALID"}]}}`)
	mustOK(t, gqltest.Do(t, s.h, reg, map[string]any{"l": "de"}), "register")
	ctx := context.Background()
	var registered, verification string
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT payload->>'locale' FROM outbox WHERE type = 'user.registered' AND payload->>'email' = 'de@example.com'),
  (SELECT payload->>'locale' FROM outbox WHERE type = 'user.email_verification_requested' AND payload->>'email' = 'de@example.com')`).Scan(&registered, &verification); err != nil ||
		registered != "de" || verification != "de" {
		t.Fatalf("locale in the events: %q %q %v", registered, verification, err)
	}
	tok := signIn(t, s, "de@example.com", "correct horse battery")
	mustOK(t, gqltest.DoAs(t, s.h, tok, `mutation { updateProfile(input: {name: "Dora", locale: "pt-BR", marketingEmails: true}) { user { locale } errors { code } } }`, nil), "updateProfile")
	var payload string
	if err := s.pool.QueryRow(ctx, `SELECT payload::text FROM outbox WHERE type = 'user.profile_updated'`).Scan(&payload); err != nil ||
		!strings.Contains(payload, `"locale": "pt-BR"`) || !strings.Contains(payload, `"marketingEmails": true`) || !strings.Contains(payload, `"marketingSms": false`) {
		t.Fatalf("profile event: %s %v", payload, err)
	}

	// Unsubscribed in notifications: the profile follows, without an event
	// back; a change older than the last one, delivered late, is ignored.
	var userID string
	if err := s.pool.QueryRow(ctx, `SELECT id FROM users WHERE email = 'de@example.com'`).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	store := pgstore.New(s.pool)
	handle := users.Events(user.NewService(store, token.NewRing(store), nil))
	consent := func(ch string, enabled bool, at time.Time) {
		t.Helper()
		err := handle(ctx, events.Event{ID: "evt_c", Type: user.EventMarketingConsentChanged, OccurredAt: at,
			Payload: map[string]any{"userId": userID, "channel": ch, "enabled": enabled}})
		if err != nil {
			t.Fatal(err)
		}
	}
	consent("EMAIL", false, time.Now())
	consent("EMAIL", true, time.Now().Add(-time.Hour)) // an older change, redelivered late
	me := `{ me { marketingEmails marketingSms } }`
	gqltest.JSONEq(t, gqltest.DoAs(t, s.h, tok, me, nil).Data, `{"me":{"marketingEmails":false,"marketingSms":false}}`)
	var announced int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE type = 'user.profile_updated'`).Scan(&announced); err != nil || announced != 1 {
		t.Fatalf("%d profile events (%v)", announced, err)
	}
	// Consent given again in the profile is the newest choice.
	mustOK(t, gqltest.DoAs(t, s.h, tok, `mutation { updateProfile(input: {name: "Dora", locale: "pt-BR", marketingEmails: true}) { user { locale } errors { code } } }`, nil), "updateProfile")
	gqltest.JSONEq(t, gqltest.DoAs(t, s.h, tok, me, nil).Data, `{"me":{"marketingEmails":true,"marketingSms":false}}`)
}
