package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
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
	if !strings.Contains(string(other.Data), `"name":"Classic Backpack"`) {
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
