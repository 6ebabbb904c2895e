package gateway

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/supergraph"
)

// TestPlanCacheSharesNormalizedOperations: literals become variables and
// formatting is normalized, so these requests share one plan.
func TestPlanCacheSharesNormalizedOperations(t *testing.T) {
	sdl, err := os.ReadFile("../../schema/supergraph.graphql")
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(string(sdl))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := New(ctx, sg, OptionsFrom(devConfig()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`{ user(id: "u1") { name } }`,
		`{user(id:"u2"){name}}`,
		`query($id: ID!) { user(id: $id) { name } }`,
	} {
		if _, err := e.Prepare(Request{Query: q, Variables: []byte(`{"id":"u3"}`)}); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n := e.plans.len(); n != 1 {
		t.Fatalf("%d plans cached, want 1", n)
	}
}

// devConfig is the router's defaults with introspection on.
func devConfig() config.Config {
	c := config.Defaults()
	on := true
	c.Introspection = &on
	return c
}
