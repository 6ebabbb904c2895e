package conformance

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFixtureRefusesWhatItLacks: a fixture subgraph answers a validation
// error for a fragment on a type or a field its SDL lacks, as a real
// subgraph would, so a router sending them fails the scenario.
func TestFixtureRefusesWhatItLacks(t *testing.T) {
	s, err := NewSubgraph("a", `type Query { search: [Result!]! } union Result = Book type Book { id: ID! title: String! }`,
		[]byte(`{"Query": {"search": [{"__typename": "Book", "id": "b1", "title": "Dune"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ query, want string }{
		{`{ search { ... on Book { title } } }`, `{"data":{"search":[{"title":"Dune"}]}}`},
		{`{ search { ... on Video { url } } }`, `Unknown type \"Video\"`},
		{`{ search { ... on Book { isbn } } }`, `Cannot query field \"isbn\" on type \"Book\"`},
	} {
		body, _ := json.Marshal(map[string]string{"query": tt.query})
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest("POST", "/", bytes.NewReader(body)))
		if got := strings.TrimSpace(w.Body.String()); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %s, want %s", tt.query, got, tt.want)
		}
	}
}
