package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/server"
)

const cacheFed = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@authenticated"])
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
enum CacheControlScope { PUBLIC PRIVATE }
`

// The response's Cache-Control is computed from the @cacheControl hints of
// the fields the query touches, composed from two subgraphs: the shortest
// age, private when any field is PRIVATE or @authenticated, and no-store
// for a field without a hint, a mutation or an answer with errors.
func TestCacheControlFromSchemaHints(t *testing.T) {
	t.Parallel()
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "shop", URL: "http://shop.invalid", SDL: cacheFed + `
type Query {
  products: [Product!]! @cacheControl(maxAge: 300)
  product(id: ID!): Product @cacheControl(maxAge: 120)
  me: String @authenticated @cacheControl(maxAge: 60)
  cart: String
  broken: Product @cacheControl(maxAge: 300)
}
type Mutation { addToCart(id: ID!): String }
type Product @key(fields: "id") @cacheControl(maxAge: 60) { id: ID! name: String! related: Product @cacheControl(inheritMaxAge: true) similar: Product }`},
		{Name: "reviews", URL: "http://reviews.invalid", SDL: cacheFed + `
type Product @key(fields: "id") @cacheControl(maxAge: 600) { id: ID! reviews: [Review!]! }
type Review @cacheControl(maxAge: 30, scope: PRIVATE) { body: String! }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	shop := newCounting(t, func(w http.ResponseWriter, _ *http.Request, body string) {
		switch {
		case strings.Contains(body, "products"):
			_, _ = io.WriteString(w, `{"data":{"products":[{"__typename":"Product","id":"p1","name":"Mug","related":null,"similar":{"__typename":"Product","id":"p2","name":"Pen"}}]}}`)
		case strings.Contains(body, "broken"):
			_, _ = io.WriteString(w, `{"data":{"broken":null},"errors":[{"message":"no"}]}`)
		case strings.Contains(body, "addToCart"):
			_, _ = io.WriteString(w, `{"data":{"addToCart":"ok"}}`)
		case strings.Contains(body, "cart"):
			_, _ = io.WriteString(w, `{"data":{"cart":"c1"}}`)
		default:
			_, _ = io.WriteString(w, `{"data":{"me":"u1"}}`)
		}
	})
	reviews := newCounting(t, func(w http.ResponseWriter, _ *http.Request, _ string) {
		_, _ = io.WriteString(w, `{"data":{"_entities":[{"__typename":"Product","reviews":[{"body":"ok"}]}]}}`)
	})
	issuer := authtest.New(t)
	h := newRouterFor(t, sdl, map[string]string{"shop": shop.URL, "reviews": reviews.URL}, func(c *server.Config) { c.Verifier = issuer.Verifier() })
	for _, tt := range []struct {
		name, query, want string
		signedIn          bool
	}{
		{"a field's own hint beats its type's", `{ products { name } }`, "max-age=300, public", false},
		{"a field without a hint takes its type's (merged: 60 beats 600)", `{ products { similar { name } } }`, "max-age=60, public", false},
		{"a field inheriting its parent's age", `{ products { related { name } } }`, "max-age=300, public", false},
		{"the shortest age, and a private type", `{ products { reviews { body } } }`, "max-age=30, private", false},
		{"an @authenticated field is private", `{ me }`, "max-age=60, private", true},
		{"a signed-in caller's answer is private", `{ products { name } }`, "max-age=300, private", true},
		{"a root field without a hint", `{ cart }`, "no-store", false},
		{"an answer with errors", `{ broken { name } }`, "no-store", false},
		{"a mutation", `mutation { addToCart(id: "p1") }`, "no-store", false},
		{"a refused operation", `{ nope }`, "no-store", false},
	} {
		hdr := map[string]string{}
		if tt.signedIn {
			hdr["Authorization"] = "Bearer " + issuer.Token("u1")
		}
		body, _ := json.Marshal(map[string]string{"query": tt.query})
		r := do(h, http.MethodPost, string(body), hdr)
		if got := r.header.Get("Cache-Control"); got != tt.want {
			t.Errorf("%s: Cache-Control %q, want %q (%d %s)", tt.name, got, tt.want, r.status, r.body)
		}
		// One copy per channel, cart and language (headers.vary) and caller.
		if vary := r.header.Values("Vary"); tt.want != "no-store" && !slices.Contains(vary, "Authorization, X-Channel, X-Cart-Token, Accept-Language") {
			t.Errorf("%s: Vary %q", tt.name, vary)
		}
	}
}
