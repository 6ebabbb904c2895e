package products_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReviewLifecycle: one review per user and product, the rating row
// follows every change, hidden reviews vanish for others, votes count once.
func TestReviewLifecycle(t *testing.T) {
	t.Parallel()
	base, _ := newSubgraph(t)
	// usr_0024 never wrote about the new product: create one to review.
	staff := as(base, "usr_0002", "MANAGE_PRODUCTS")
	r := gqltest.Do(t, staff, `mutation { createProduct(input: {name: "Review Me", basePrice: "5", status: PUBLISHED}) { product { id } } }`, nil)
	var created struct {
		CreateProduct struct{ Product struct{ ID string } }
	}
	gqltest.Decode(t, r.Data, &created)
	pid := created.CreateProduct.Product.ID
	rating := func() string {
		r := gqltest.Do(t, base, `query($id: ID!) { product(id: $id) { rating { average count distribution { count } } } }`, map[string]any{"id": pid})
		return string(r.Data)
	}
	if r := gqltest.Do(t, base, `mutation { createReview(input: {productId: "prd_00001", rating: 5, body: "hi"}) { errors { code } } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous review: %+v", r.Errors)
	}
	alice, bob := as(base, "usr_0024", ""), as(base, "usr_0023", "")
	create := `mutation($p: ID!, $r: Int!) { createReview(input: {productId: $p, rating: $r, title: "t", body: "b"}) { review { id rating } errors { code } } }`
	r = gqltest.Do(t, alice, create, map[string]any{"p": pid, "r": 5})
	var rev struct {
		CreateReview struct{ Review struct{ ID string } }
	}
	gqltest.Decode(t, r.Data, &rev)
	id := rev.CreateReview.Review.ID
	gqltest.Do(t, bob, create, map[string]any{"p": pid, "r": 2})
	if got := rating(); got != `{"product":{"rating":{"average":3.5,"count":2,"distribution":[{"count":0},{"count":1},{"count":0},{"count":0},{"count":1}]}}}` {
		t.Fatalf("rating after two reviews: %s", got)
	}
	for name, tt := range map[string]struct {
		q    string
		vars map[string]any
		code string
	}{
		"second review": {create, map[string]any{"p": pid, "r": 4}, "ALREADY_REVIEWED"},
		"rating 6":      {`mutation($id: ID!) { updateReview(id: $id, input: {rating: 6}) { errors { code } } }`, map[string]any{"id": id}, "INVALID_RATING"},
		"draft product": {create, map[string]any{"p": "prd_00033", "r": 4}, "NOT_FOUND"},
	} {
		r := gqltest.Do(t, alice, tt.q, tt.vars)
		if got := string(r.Data); !contains(got, tt.code) {
			t.Errorf("%s: %s %+v, want %s", name, got, r.Errors, tt.code)
		}
	}
	if r := gqltest.Do(t, bob, `mutation($id: ID!) { updateReview(id: $id, input: {rating: 1}) { errors { code } } }`, map[string]any{"id": id}); !contains(string(r.Data), "NOT_FOUND") {
		t.Fatalf("bob edited alice's review: %s", r.Data)
	}
	gqltest.Do(t, alice, `mutation($id: ID!) { updateReview(id: $id, input: {rating: 4}) { errors { code } } }`, map[string]any{"id": id})
	for range 2 {
		gqltest.Do(t, bob, `mutation($id: ID!) { markReviewHelpful(id: $id) { errors { code } } }`, map[string]any{"id": id})
	}
	r = gqltest.Do(t, staff, `mutation($id: ID!) { setReviewStatus(id: $id, status: HIDDEN) { review { status helpfulCount rating } } }`, map[string]any{"id": id})
	gqltest.JSONEq(t, r.Data, `{"setReviewStatus":{"review":{"status":"HIDDEN","helpfulCount":1,"rating":4}}}`)
	if got := rating(); got != `{"product":{"rating":{"average":2,"count":1,"distribution":[{"count":0},{"count":1},{"count":0},{"count":0},{"count":0}]}}}` {
		t.Fatalf("rating after hiding: %s", got)
	}
	list := `query($id: ID!) { product(id: $id) { reviews { edges { node { id } } } } }`
	for who, tt := range map[string]struct {
		h    http.Handler
		want int
	}{"bob": {bob, 1}, "alice (its author)": {alice, 2}, "staff": {staff, 2}} {
		r := gqltest.Do(t, tt.h, list, map[string]any{"id": pid})
		if n := strings.Count(string(r.Data), `"id"`); n != tt.want {
			t.Errorf("%s sees %d reviews, want %d: %s", who, n, tt.want, r.Data)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
