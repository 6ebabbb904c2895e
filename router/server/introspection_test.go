package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/server"
)

func TestIntrospectionDisabled(t *testing.T) {
	sdl, err := os.ReadFile("../../schema/supergraph.graphql")
	if err != nil {
		t.Fatal(err)
	}
	users := newFakeSubgraph(t, usersResponse)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	set := config.Defaults() // introspection is off unless dev
	set.Subgraphs = map[string]config.Subgraph{"users": {URLs: []string{users.URL}}}
	h, err := server.New(ctx, server.Config{Supergraph: string(sdl), Settings: &set}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	const modern = "application/graphql-response+json"
	for _, q := range []string{
		`{ __schema { queryType { name } } }`,
		`{ t: __type(name: "Product") { name } }`,
		`query { ... on Query { __schema { types { name } } } }`,
		`query { ...F } fragment F on Query { user(id: "u1") { name } __type(name: "User") { name } }`,
	} {
		for range 2 { // the second time the prepared-operation cache is consulted
			b, _ := json.Marshal(map[string]any{"query": q})
			res := post(t, h, modern, string(b))
			var body struct {
				Data   any
				Errors []struct {
					Message    string
					Extensions struct{ Code string }
				}
			}
			if err := json.Unmarshal([]byte(res.body), &body); err != nil {
				t.Fatal(err)
			}
			if res.status != 400 || body.Data != nil || len(body.Errors) != 1 || body.Errors[0].Extensions.Code != "INTROSPECTION_DISABLED" {
				t.Fatalf("%s: %d %s", q, res.status, res.body)
			}
			if !strings.Contains(body.Errors[0].Message, "introspection is disabled") {
				t.Errorf("message: %s", body.Errors[0].Message)
			}
		}
	}
	// __typename is not schema introspection.
	res := query(t, h, `{ __typename user(id: "u1") { name } }`, nil)
	if want := `{"data":{"__typename":"Query","user":{"name":"Ada"}}}`; compact(t, res.body) != want {
		t.Fatalf("__typename: %d %s, want %s", res.status, res.body, want)
	}
}
