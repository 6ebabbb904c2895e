package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

func queryAs(t *testing.T, url, token, q string, vars map[string]any) (int, gqltest.Response) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r gqltest.Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, r
}

func TestLoginThroughTheRouter(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	_, resp := queryAs(t, st.Router.URL, "", `mutation { login(input: {email: "ada.allen.1@example.com", password: "shopper-demo-2026"}) { token { accessToken user { id name } } errors { code } } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("login: %+v", resp.Errors)
	}
	var out struct {
		Login struct {
			Token struct {
				AccessToken string
				User        struct{ ID, Name string }
			}
		}
	}
	gqltest.Decode(t, resp.Data, &out)
	token := out.Login.Token.AccessToken
	if token == "" || out.Login.Token.User.ID != "usr_0001" {
		t.Fatalf("login: %s", resp.Data)
	}

	// me with email (users) and reviews (products): the token reaches both.
	status, me := queryAs(t, st.Router.URL, "Bearer "+token, `{ me { id email reviews(first: 1) { edges { node { id } } } } }`, nil)
	if status != 200 || len(me.Errors) > 0 {
		t.Fatalf("me: %d %+v", status, me.Errors)
	}
	gqltest.JSONEq(t, me.Data, `{"me":{"id":"usr_0001","email":"ada.allen.1@example.com","reviews":{"edges":[{"node":{"id":"rev_00032"}}]}}}`)

	// Someone else's email through a review's author: null and FORBIDDEN,
	// the rest of the answer intact.
	_, other := queryAs(t, st.Router.URL, "Bearer "+token, `{ product(id: "prd_00001") { name reviews(first: 1) { edges { node { author { id email } } } } } }`, nil)
	if strings.Contains(string(other.Data), "@example.com") || len(other.Errors) == 0 || other.Errors[0].Code() != "FORBIDDEN" {
		t.Fatalf("another user's email leaked or no error: %s %+v", other.Data, other.Errors)
	}
	if !strings.Contains(string(other.Data), `"product":{"name":"`) {
		t.Fatalf("the rest of the data was lost: %s", other.Data)
	}
}

func TestBadTokensAreRefusedBeforeAnySubgraphCall(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	for _, header := range []string{"Bearer garbage", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c3JfMDAwMSJ9."} {
		for _, sg := range st.Subgraphs {
			sg.ResetCounts()
		}
		status, resp := queryAs(t, st.Router.URL, header, `{ products(first: 1) { edges { cursor } } }`, nil)
		if status != http.StatusUnauthorized || len(resp.Errors) == 0 || resp.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Fatalf("%q: status %d, %+v", header, status, resp.Errors)
		}
		for name, sg := range st.Subgraphs {
			if n := sg.Requests(); n != 0 {
				t.Fatalf("%q: %s got %d requests", header, name, n)
			}
		}
	}
}

func login(t *testing.T, url, email, password string) string {
	t.Helper()
	_, resp := queryAs(t, url, "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token { accessToken } errors { code } } }`,
		map[string]any{"e": email, "p": password})
	var out struct {
		Login struct{ Token *struct{ AccessToken string } }
	}
	gqltest.Decode(t, resp.Data, &out)
	if out.Login.Token == nil {
		t.Fatalf("login %s: %s %+v", email, resp.Data, resp.Errors)
	}
	return "Bearer " + out.Login.Token.AccessToken
}

// TestScopesAreEnforcedByTheRouter: @requiresScopes fields are refused by
// the router itself, with no call to the subgraph, and served to staff.
func TestScopesAreEnforcedByTheRouter(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	adminPassword, err := userstore.EnsureAdmin(context.Background(), st.Subgraphs["users"].Pool)
	if err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{ // each denied root is non-null: data becomes null
		"users":      `{ users(first: 2) { edges { node { id } } } }`,
		"warehouses": `{ warehouses { id } }`,
	}
	shopper := login(t, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)
	for who, token := range map[string]string{"anonymous": "", "shopper": shopper} {
		for name, q := range queries {
			for _, sg := range st.Subgraphs {
				sg.ResetCounts()
			}
			status, resp := queryAs(t, st.Router.URL, token, q, nil)
			if status != 200 || len(resp.Errors) != 1 || resp.Errors[0].Code() != "UNAUTHORIZED_FIELD_OR_TYPE" {
				t.Fatalf("%s as %s: %d %s %+v", name, who, status, resp.Data, resp.Errors)
			}
			if n := st.Subgraphs["users"].Requests() + st.Subgraphs["inventory"].Requests(); n != 0 {
				t.Fatalf("%s as %s: %d subgraph calls for a denied field", name, who, n)
			}
		}
	}
	admin := login(t, st.Router.URL, userstore.AdminEmail, adminPassword)
	_, resp := queryAs(t, st.Router.URL, admin, `{ users(first: 2) { edges { node { id } } } warehouses { id } }`, nil)
	if len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), `"id":"usr_0001"`) || !strings.Contains(string(resp.Data), `"id":"wh_us_east"`) {
		t.Fatalf("admin: %s %+v", resp.Data, resp.Errors)
	}
}
