package compose_test

import (
	"os"
	"testing"

	"github.com/myshop/supergraph/router/compose"
)

// TestSupergraphUpToDate fails when schema/supergraph.graphql is not what
// composing schema/*/ gives; run `router compose` to refresh it.
func TestSupergraphUpToDate(t *testing.T) {
	subgraphs, err := compose.LoadConfig("../../schema/subgraphs.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := compose.Compose(subgraphs)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("UPDATE_SUPERGRAPH") == "1" {
		if err := os.WriteFile("../../schema/supergraph.graphql", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("../../schema/supergraph.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("schema/supergraph.graphql is stale: run `go run ./cmd/router compose` in router/\n--- fresh composition:\n%s", got)
	}
}
