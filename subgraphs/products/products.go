// Package products is the products subgraph: the catalog (products,
// variants, prices per channel, categories, brands, attributes,
// collections), search with filters and facets, and reviews with ratings.
// Def is all a starter needs to run it.
package products

import (
	"net/http"
	"os"

	"github.com/myshop/supergraph/subgraphs/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/gqlserver"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
	"github.com/myshop/supergraph/subgraphs/products/graph"
	"github.com/myshop/supergraph/subgraphs/products/graph/generated"
	"github.com/myshop/supergraph/subgraphs/products/loader"
	"github.com/myshop/supergraph/subgraphs/products/postgres"
)

// Def describes the products subgraph to the code that starts it.
var Def = subgraph.Def{
	Name:       "products",
	Port:       4002,
	Migrations: postgres.Migrations,
	Seed:       postgres.Seed,
	Handler:    Handler,
}

// JWKSURLEnv names the users subgraph's key set, which the products
// subgraph needs to verify the tokens the router forwards. Without it every
// request is anonymous: the catalog can be read, not changed or reviewed.
const JWKSURLEnv = "PRODUCTS_JWKS_URL"

// Handler is the products GraphQL endpoint, verifying tokens when
// PRODUCTS_JWKS_URL is set.
func Handler(d subgraph.Deps) http.Handler {
	var v *auth.Verifier
	if url := os.Getenv(JWKSURLEnv); url != "" {
		v = auth.NewVerifier(auth.NewJWKS(url, nil))
	}
	return NewHandler(d, v)
}

// NewHandler is Handler with the token verifier given (nil: anonymous
// only). The claims are in the context before the loaders are built,
// because what a loader may return depends on who asks.
func NewHandler(d subgraph.Deps, v *auth.Verifier) http.Handler {
	store := postgres.New(d.Pool)
	es := generated.NewExecutableSchema(generated.Config{Resolvers: &graph.Resolver{Store: store}})
	var h http.Handler = loader.Middleware(store, d.LoaderWait, gqlserver.New(es, d.Log))
	if v != nil {
		h = auth.Middleware(v, h)
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", h)
	return mux
}
