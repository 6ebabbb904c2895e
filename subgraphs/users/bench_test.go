package users_test

import (
	"testing"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	pgstore "github.com/myshop/supergraph/subgraphs/users/postgres"
	"github.com/myshop/supergraph/subgraphs/users/user"
)

// BenchmarkPasswordHash is one argon2id hash at the production parameters
// (19 MiB, 2 passes, 1 lane): the floor of every login.
func BenchmarkPasswordHash(b *testing.B) {
	for b.Loop() {
		if _, err := user.HashPassword("a long enough secret"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin is a whole successful login through the GraphQL handler:
// compare with BenchmarkPasswordHash to see how much of it is argon2.
func BenchmarkLogin(b *testing.B) {
	s := newBenchSubgraph(b)
	for b.Loop() {
		resp := gqltest.Do(b, s.h, loginMutation, map[string]any{"e": "ada.allen.1@example.com", "p": pgstore.DemoPassword})
		if len(resp.Errors) > 0 {
			b.Fatal(resp.Errors)
		}
	}
}
