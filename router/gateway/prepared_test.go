package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"sync"
	"testing"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/supergraph"
)

// testSDL has the argument shapes variable normalization treats specially:
// lists (coercion), input objects, enums, defaults.
const testSDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query {
  items(ids: [ID!], filter: Filter, first: Int = 5, color: Color): [Item!]!
  item(id: ID!): Item
}
input Filter { colors: [Color!], name: String, nested: Filter }
enum Color { RED GREEN }
type Item @key(fields: "id") { id: ID! name: String! price: Int! color: Color }
`

func newTestEngine(t testing.TB) *Engine {
	t.Helper()
	sdl, err := compose.Compose([]compose.Subgraph{{Name: "items", URL: "http://items.invalid", SDL: testSDL}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e, err := New(ctx, sg, OptionsFrom(devConfig()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPreparedHitMatchesFullPath: for each operation, a cache hit with new
// variables must give exactly what the full pipeline gives for them.
func TestPreparedHitMatchesFullPath(t *testing.T) {
	tests := []struct {
		name, query, opName string
		first, second       string // variables of the warming request and of the hit
		replayed            bool   // whether the second request is served from the cache
	}{
		{"no variables", `{ items { id } }`, "", `{}`, `{}`, true},
		{"literal extracted", `{ item(id: "x1") { name } a: items(ids: ["a", "b"]) { id } }`, "", `{}`, `{"unused": 1}`, true},
		{"string escapes", `{ item(id: "q\"\\u00e9") { name } }`, "", `{}`, `{}`, true},
		{"default used and overridden", `query($n: Int = 3) { items(first: $n) { id } }`, "", `{}`, `{"n": 7}`, true},
		{"default then absent", `query($n: Int = 3) { items(first: $n) { id } }`, "", `{"n": 7}`, `{}`, true},
		{"literal next to variables", `query($ids: [ID!], $n: Int = 3) { items(ids: $ids, first: $n) { id } item(id: "x") { name } }`, "", `{"ids": ["a"]}`, `{"ids": ["a", "b"]}`, true},
		{"list coercion", `query($ids: [ID!]) { items(ids: $ids) { id } }`, "", `{"ids": ["a"]}`, `{"ids": "b"}`, true},
		{"list default wrapped", `query($ids: [ID!] = "z") { items(ids: $ids) { id } }`, "", `{"ids": ["a"]}`, `{}`, true},
		{"input object coercion", `query($f: Filter) { items(filter: $f) { id } }`, "", `{"f": {"colors": ["RED"]}}`, `{"f": {"colors": "GREEN", "nested": {"colors": "RED"}}}`, true},
		{"enum literal", `{ items(color: RED) { id color } }`, "", `{}`, `{}`, true},
		{"skip true then true", `query($s: Boolean!, $id: ID!) { item(id: $id) { name @skip(if: $s) price } }`, "", `{"s": true, "id": "1"}`, `{"s": true, "id": "2"}`, true},
		{"skip removes variable", `query($s: Boolean!, $id: ID!) { item(id: $id) @skip(if: $s) { name } items { id } }`, "", `{"s": true, "id": "1"}`, `{"s": true, "id": "2"}`, true},
		{"skip flips", `query($s: Boolean!) { items { id name @skip(if: $s) } }`, "", `{"s": true}`, `{"s": false}`, false},
		{"include default", `query($i: Boolean = false) { items { id name @include(if: $i) } }`, "", `{}`, `{"i": null}`, true},
		{"named operation", `query A { items { id } } query B($id: ID!) { item(id: $id) { name } }`, "B", `{"id": "1"}`, `{"id": "2"}`, true},
		{"variable inside object literal", `query($c: [Color!]) { items(filter: {colors: $c}) { id } }`, "", `{"c": ["RED"]}`, `{"c": ["GREEN"]}`, false},
		{"variable inside list literal", `query($a: ID!) { items(ids: [$a, "b"]) { id } }`, "", `{"a": "1"}`, `{"a": "2"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warm := newTestEngine(t)
			if _, err := warm.Prepare(Request{Query: tt.query, OperationName: tt.opName, Variables: []byte(tt.first)}); err != nil {
				t.Fatal(err)
			}
			req := Request{Query: tt.query, OperationName: tt.opName, Variables: []byte(tt.second)}
			if got := warm.lookupPrepared(req, req.Variables) != nil; got != tt.replayed {
				t.Fatalf("served from cache: %v, want %v", got, tt.replayed)
			}
			hit, err := warm.Prepare(req)
			if err != nil {
				t.Fatal(err)
			}
			full, err := newTestEngine(t).Prepare(req)
			if err != nil {
				t.Fatal(err)
			}
			if hit.hash != full.hash || hit.Type != full.Type || !reflect.DeepEqual(hit.remap, full.remap) {
				t.Errorf("hit %x %v %v, full %x %v %v", hit.hash, hit.Type, hit.remap, full.hash, full.Type, full.remap)
			}
			if !jsonEqual(t, hit.variables, full.variables) {
				t.Errorf("variables: hit %s, full %s", hit.variables, full.variables)
			}
		})
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// TestPreparedHitValidatesVariables: the cached operation still rejects bad
// variables, per request.
func TestPreparedHitValidatesVariables(t *testing.T) {
	e := newTestEngine(t)
	q := `query($ids: [ID!]!, $n: Int) { items(ids: $ids, first: $n) { id } }`
	if _, err := e.Prepare(Request{Query: q, Variables: []byte(`{"ids": ["a"], "n": 1}`)}); err != nil {
		t.Fatal(err)
	}
	for _, vars := range []string{`{"ids": ["a"], "n": "one"}`, `{"n": 1}`, `{"ids": [null]}`} {
		_, err := e.Prepare(Request{Query: q, Variables: []byte(vars)})
		re, ok := err.(*RequestError)
		if !ok || re.Code != CodeBadUserInput {
			t.Errorf("%s: got %v, want BAD_USER_INPUT", vars, err)
		}
	}
}

// TestPreparedConcurrent shares one cached operation between goroutines
// with different variables (run with -race).
func TestPreparedConcurrent(t *testing.T) {
	e := newTestEngine(t)
	q := `query($ids: [ID!], $f: Filter) { items(ids: $ids, filter: $f) { id } }`
	if _, err := e.Prepare(Request{Query: q, Variables: []byte(`{"ids": "a"}`)}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				vars := []byte(`{"ids": "` + string(rune('a'+i)) + `", "f": {"colors": "RED", "name": "` + string(rune('a'+j%26)) + `"}}`)
				op, err := e.Prepare(Request{Query: q, Variables: vars})
				if err != nil {
					t.Error(err)
					return
				}
				want := `{"ids":["` + string(rune('a'+i)) + `"],"f":{"colors":["RED"],"name":"` + string(rune('a'+j%26)) + `"}}`
				if !jsonEqual(t, op.variables, []byte(want)) {
					t.Errorf("got %s, want %s", op.variables, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkPrepare compares a repeated operation served from the prepared
// cache with the full pipeline (parse, normalize, validate, plan-cache hit).
func BenchmarkPrepare(b *testing.B) {
	e := newTestEngine(b)
	req := Request{Query: `query Items($ids: [ID!], $n: Int = 3) { items(ids: $ids, first: $n) { id name price color } item(id: "x") { name } }`, Variables: []byte(`{"ids": ["a", "b"]}`)}
	if _, err := e.Prepare(req); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := e.Prepare(req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("full", func(b *testing.B) {
		b.ReportAllocs()
		k := newKit()
		for b.Loop() {
			k.reset()
			if _, err := e.prepareFull(k, req, req.Variables); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPreparedNamesOutliveTheKit: a prepared operation keeps variable names
// (extracted literals, declared and @skip/@include variables, defaults). The
// document's name strings alias its pooled input buffer, which the next
// requests overwrite: kept uncopied, a later cache hit filled the wrong
// variables ("Variable "$c" of required type "ID!" was not provided", or
// worse, a literal under another variable's name).
func TestPreparedNamesOutliveTheKit(t *testing.T) {
	e := newTestEngine(t)
	const query = `query($skip: Boolean = false, $n: Int = 2) { items(first: 3) { id name @skip(if: $skip) } a: items(first: $n, color: RED) { id } item(id: "x1") { name } }`
	first, err := e.Prepare(Request{Query: query, Variables: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := string(first.variables)
	// Other, longer operations reuse the pooled kit's buffer, overwriting
	// where normalization appended the names of the extracted variables.
	for i, q := range []string{
		`query Other1($zz: Int) { items(first: $zz) { id name price } xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx: items(first: 1) { id name price } yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy: items(first: 1) { id } }`,
		`query Other2 { item(id: "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy") { name } b: items(first: 9) { id } }`,
	} {
		if _, err := e.Prepare(Request{Query: q, Variables: json.RawMessage(`{}`)}); err != nil {
			t.Fatalf("operation %d: %v", i, err)
		}
	}
	again, err := e.Prepare(Request{Query: query, Variables: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatalf("cache hit: %v", err)
	}
	if got := string(again.variables); !jsonSame(got, want) {
		t.Errorf("cache hit variables %s, want %s", got, want)
	}
}

func jsonSame(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
