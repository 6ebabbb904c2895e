package compose_test

import (
	"strings"
	"testing"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/supergraph"
)

const fed = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@override", "@inaccessible"])
`

func TestComposeConflicts(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want []string // substrings of the error
	}{
		{
			name: "field type mismatch",
			a:    fed + `type Query { a: Int } type Money @shareable { amount: Int! }`,
			b:    fed + `type Query { b: Int } type Money @shareable { amount: String! }`,
			want: []string{"[FIELD_TYPE_MISMATCH]", "Money.amount", "Int!", "String!", "subgraph a", "subgraph b"},
		},
		{
			name: "field type mismatch: list and not list",
			a:    fed + `type Query { a: Int } type P @key(fields: "id") { id: ID! tags: [String] @shareable }`,
			b:    fed + `type Query { b: Int } type P @key(fields: "id") { id: ID! tags: String @shareable }`,
			want: []string{"[FIELD_TYPE_MISMATCH]", `"P.tags"`, "[String] in subgraph a", "String in subgraph b"},
		},
		{
			name: "field in two subgraphs without @shareable",
			a:    fed + `type Query { a: Int } type User @key(fields: "id") { id: ID! name: String }`,
			b:    fed + `type Query { b: Int } type User @key(fields: "id") { id: ID! name: String }`,
			want: []string{"[INVALID_FIELD_SHARING]", `"User.name"`, "not @shareable", "a, b"},
		},
		{
			name: "root field in two subgraphs",
			a:    fed + `type Query { me: Int }`,
			b:    fed + `type Query { me: Int }`,
			want: []string{"[INVALID_FIELD_SHARING]", "Query.me", "not @shareable"},
		},
		{
			name: "key names a missing field",
			a:    fed + `type Query { a: Int } type User @key(fields: "uid") { id: ID! }`,
			b:    fed + `type Query { b: Int }`,
			want: []string{"[KEY_INVALID_FIELDS]", "subgraph a", `@key(fields: "uid")`, "User", "User.uid is not defined"},
		},
		{
			name: "requires a field that is not @external",
			a:    fed + `type Query { p: Product } type Product @key(fields: "id") { id: ID! weight: Int shipping: Int @requires(fields: "weight") }`,
			b:    fed + `type Query { b: Int }`,
			want: []string{"[REQUIRES_FIELDS_MISSING_EXTERNAL]", "subgraph a", `"Product.shipping"`, `@requires(fields: "weight")`, `"Product.weight"`, "not marked @external"},
		},
		{
			name: "requires a field no subgraph resolves",
			a:    fed + `type Query { p: Product } type Product @key(fields: "id") { id: ID! weight: Int @external shipping: Int @requires(fields: "weight") }`,
			b:    fed + `type Product @key(fields: "id") { id: ID! name: String }`,
			want: []string{"[EXTERNAL_MISSING_ON_BASE]", `"Product.weight"`, `subgraph "a"`, "cannot be satisfied"},
		},
		{
			name: "requires a field the subgraph does not declare",
			a:    fed + `type Query { p: Product } type Product @key(fields: "id") { id: ID! shipping: Int @requires(fields: "weight") }`,
			b:    fed + `type Product @key(fields: "id") { id: ID! weight: Int }`,
			want: []string{"[REQUIRES_INVALID_FIELDS]", "subgraph a", `"Product.shipping"`, "Product.weight is not defined", "@external"},
		},
		{
			name: "provides on a field returning a scalar",
			a:    fed + `type Query { n: Int @provides(fields: "x") }`,
			b:    fed + `type Query { b: Int }`,
			want: []string{"[PROVIDES_ON_NON_OBJECT_FIELD]", "subgraph a", `"Query.n"`, `"Int"`, "not a Composite Type"},
		},
		{
			name: "provides on a non-entity whose fields the subgraph resolves",
			a:    fed + `type Query { review: Review } type Review { id: ID! author: Author @provides(fields: "name") } type Author { id: ID! name: String }`,
			b:    fed + `type Query { b: Int }`,
			want: []string{"[PROVIDES_FIELDS_MISSING_EXTERNAL]", "subgraph a", `"Review.author"`, `"Author.name"`},
		},
		{
			name: "provides a field the subgraph does not declare",
			a:    fed + `type Query { review: Review } type Review { id: ID! author: User @provides(fields: "email") } type User @key(fields: "id") { id: ID! }`,
			b:    fed + `type User @key(fields: "id") { id: ID! email: String }`,
			want: []string{"[PROVIDES_INVALID_FIELDS]", "subgraph a", `"Review.author"`, "User.email is not defined"},
		},
		{
			name: "external field never used",
			a:    fed + `type Query { p: Product } type Product @key(fields: "id") { id: ID! name: String @external }`,
			b:    fed + `type Product @key(fields: "id") { id: ID! name: String }`,
			want: []string{"[EXTERNAL_UNUSED]", "subgraph a", `"Product.name"`, "not used in any federation directive"},
		},
		{
			name: "enum used as input and output with different values",
			a:    fed + `type Query { p(c: Color): Color } enum Color { RED BLUE }`,
			b:    fed + `type Query { q: Color } enum Color { RED GREEN }`,
			want: []string{"[ENUM_VALUE_MISMATCH]", `"Color"`, `"Query.p(c:)"`, `"BLUE"`, `"GREEN"`, "defined in a but not in b"},
		},
		{
			name: "input-only enum with no common value",
			a:    fed + `type Query { p(c: Color): Int } enum Color { BLUE }`,
			b:    fed + `type Query { q(c: Color): Int } enum Color { GREEN }`,
			want: []string{"[EMPTY_MERGED_ENUM_TYPE]", `"Color"`, "a, b"},
		},
		{
			name: "progressive override",
			a:    fed + `type Query { p: Product } type Product @key(fields: "id") { id: ID! price: Int }`,
			b:    fed + `type Product @key(fields: "id") { id: ID! price: Int @override(from: "a", label: "percent(5)") }`,
			want: []string{"[OVERRIDE_LABEL_UNSUPPORTED]", "subgraph b", "Product.price", `"percent(5)"`},
		},
		{
			name: "kind mismatch",
			a:    fed + `type Query { a: Int } type Thing { id: ID }`,
			b:    fed + `type Query { b: Int } input Thing { id: ID }`,
			want: []string{"type Thing", "object", "input_object"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a", SDL: tt.a}, {Name: "b", URL: "http://b", SDL: tt.b}})
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.want[0]) {
				t.Errorf("error %q lacks %q", err, tt.want[0])
			} else if n := strings.Count(err.Error(), "\n") + 1; n != 1 && !strings.HasPrefix(tt.name, "enum used as") {
				t.Errorf("want one error, got %d: %v", n, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestComposeFederationFeatures checks the join directives for @external,
// @requires, @provides, @override, @inaccessible, resolvable keys,
// interfaces, unions and enums, and that the result loads as a supergraph.
func TestComposeFederationFeatures(t *testing.T) {
	a := fed + `
type Query { products: [Product!]! search: [Result!]! }
interface Node { id: ID! }
type Product implements Node @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! name: String! @inaccessible price: Int! @shareable }
type Review @key(fields: "id") { id: ID! author: User! @provides(fields: "name") }
type User @key(fields: "id", resolvable: false) { id: ID! name: String! @external weight: Int! }
union Result = Product | Review
enum Color { RED GREEN }
input Filter { color: Color }`
	b := fed + `
type Query { me: User }
type User @key(fields: "id") { id: ID! name: String! @shareable weight: Int! @external shipping: Int! @requires(fields: "weight") }
type Product @key(fields: "id") { id: ID! price: Int! @override(from: "a") @shareable }
enum Color { RED BLUE }`
	out, err := compose.Compose([]compose.Subgraph{{Name: "b", URL: "http://b", SDL: b}, {Name: "a", URL: "http://a", SDL: a}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)`,
		"  A @join__graph(name: \"a\", url: \"http://a\")\n  B @join__graph",
		`  @join__type(graph: A, key: "id")` + "\n" + `  @join__type(graph: A, key: "sku")`,
		`  @join__type(graph: A, key: "id", resolvable: false)`,
		`name: String! @join__field(graph: A) @inaccessible`,
		`price: Int! @join__field(graph: B, override: "a")`,
		`author: User! @join__field(graph: A, provides: "name")`,
		`name: String! @join__field(graph: A, external: true) @join__field(graph: B)`,
		`shipping: Int! @join__field(graph: B, requires: "weight")`,
		`@join__implements(graph: A, interface: "Node")`,
		`@join__unionMember(graph: A, member: "Product")`,
		`RED @join__enumValue(graph: A) @join__enumValue(graph: B)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("supergraph lacks %q", want)
		}
	}
	// Color is only an input (Filter.color): values merge by intersection.
	if strings.Contains(out, "BLUE") {
		t.Error("input-only enum Color keeps BLUE, which subgraph a lacks")
	}
	if t.Failed() {
		t.Log(out)
	}
	again, _ := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a", SDL: a}, {Name: "b", URL: "http://b", SDL: b}})
	if again != out {
		t.Error("output depends on input order")
	}
	if _, err := supergraph.Parse(out); err != nil {
		t.Fatalf("composed supergraph does not load: %v", err)
	}
}

// TestComposeRefusesPolicy: the router does not enforce @policy, and
// dropping it would serve the field to anyone, so composition fails instead.
func TestComposeRefusesPolicy(t *testing.T) {
	sdl := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@policy"])
type Query { me: User @policy(policies: [["p"]]) }
type User @key(fields: "id") { id: ID! }`
	_, err := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a", SDL: sdl}})
	if err == nil || !strings.Contains(err.Error(), "does not enforce @policy") {
		t.Errorf("got %v", err)
	}
}

// TestComposeAccessControl: @authenticated and @requiresScopes compose as
// Hive composes them: any subgraph's @authenticated counts, the scopes of
// several subgraphs are all required, and an interface takes its
// implementations' requirements. The router then loads the rules.
func TestComposeAccessControl(t *testing.T) {
	const link = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@authenticated", {name: "@requiresScopes", as: "@scopes"}])
`
	a := link + `type Query { me: User @authenticated node: Node }
interface Node { id: ID! }
type User implements Node @key(fields: "id") { id: ID! email: String @shareable @scopes(scopes: [["b", "a"], ["c"]]) }
enum Level @authenticated { LOW HIGH }`
	b := link + `type User @key(fields: "id") { id: ID! email: String @shareable @scopes(scopes: [["d"]]) level: Level }
enum Level { LOW HIGH }`
	out, err := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a", SDL: a}, {Name: "b", URL: "http://b", SDL: b}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)`,
		`@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)`,
		"directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n",
		"directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n",
		"scalar requiresScopes__Scope\n",
		"me: User @join__field(graph: A) @authenticated\n",
		`email: String @requiresScopes(scopes: [["c", "d"], ["a", "b", "d"]])`,
		"enum Level\n  @join__type(graph: A)\n  @join__type(graph: B)\n  @authenticated\n",
		// the interface field takes its implementation's scopes
		"interface Node\n  @join__type(graph: A)\n{\n  id: ID!\n}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("supergraph lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	sg, err := supergraph.Parse(out)
	if err != nil {
		t.Fatalf("composed supergraph does not load: %v", err)
	}
	if r := sg.Authorization[supergraph.Coordinate{TypeName: "User", FieldName: "email"}]; len(r.Scopes) != 1 || len(r.Scopes[0]) != 2 {
		t.Errorf("User.email rule: %+v", r)
	}
	if r := sg.Authorization[supergraph.Coordinate{TypeName: "User", FieldName: "level"}]; !r.Authenticated {
		t.Errorf("User.level returns an @authenticated enum: %+v", r)
	}
	for _, hidden := range []string{"authenticated", "requiresScopes"} {
		if strings.Contains(sg.APISDL, hidden) || strings.Contains(sg.RouterSDL, hidden) {
			t.Errorf("%s leaks into the router or API schema", hidden)
		}
	}
}

// TestComposeInterfaceObject: an @interfaceObject contributes fields to an
// entity interface and, through a bare @join__field, to its implementations.
func TestComposeInterfaceObject(t *testing.T) {
	a := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { accounts: [Account!]! }
interface Account @key(fields: "id") { id: ID! }
type User implements Account @key(fields: "id") { id: ID! name: String! }`
	b := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject"])
type Account @key(fields: "id") @interfaceObject { id: ID! rating: Int! }`
	out, err := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a", SDL: a}, {Name: "b", URL: "http://b", SDL: b}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"interface Account\n  @join__type(graph: A, key: \"id\")\n  @join__type(graph: B, key: \"id\", isInterfaceObject: true)",
		"rating: Int! @join__field(graph: B)",
		"  rating: Int! @join__field\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("supergraph lacks %q:\n%s", want, out)
		}
	}
	if _, err := supergraph.Parse(out); err != nil {
		t.Fatalf("does not load: %v", err)
	}
}

func TestComposeTags(t *testing.T) {
	sdl := `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@tag"])
type Query { p(arg: Int @tag(name: "a")): P @tag(name: "public") @tag(name: "x") }
type P @tag(name: "public") { id: ID! }
enum E @tag(name: "e") { A @tag(name: "v") }`
	out, err := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a", SDL: sdl}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`@link(url: "https://specs.apollo.dev/tag/v0.3")`,
		"directive @tag(name: String!) repeatable on",
		`p(arg: Int @tag(name: "a")): P @tag(name: "public") @tag(name: "x")`,
		"type P\n  @join__type(graph: A)\n  @tag(name: \"public\")\n",
		`A @join__enumValue(graph: A) @tag(name: "v")`,
		"  @tag(name: \"e\")\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("supergraph lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
	if _, err := supergraph.Parse(out); err != nil {
		t.Fatalf("does not load: %v", err)
	}
}

// TestComposeNullabilityMerge: a shareable output field may be nullable in
// one subgraph and not in another; the supergraph has the nullable type and
// each subgraph's own in @join__field(type:).
func TestComposeNullabilityMerge(t *testing.T) {
	a := fed + `type Query { p: P } type P @key(fields: "id") { id: ID! tags: [String!] @shareable }`
	b := fed + `type P @key(fields: "id") { id: ID! tags: [String]! @shareable }`
	out, err := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a", SDL: a}, {Name: "b", URL: "http://b", SDL: b}})
	if err != nil {
		t.Fatal(err)
	}
	want := `tags: [String] @join__field(graph: A, type: "[String!]") @join__field(graph: B, type: "[String]!")`
	if !strings.Contains(out, want) {
		t.Fatalf("supergraph lacks %q:\n%s", want, out)
	}
}

// TestComposeProvidesOnValueType: like Apollo's and Hive's, our composer
// accepts @provides on a field returning a @shareable value type (not an
// entity) when the provided fields are @external there, and counts those
// fields as used (no EXTERNAL_UNUSED).
func TestComposeProvidesOnValueType(t *testing.T) {
	a := fed + `type Query { review: Review } type Review { id: ID! author: Author @provides(fields: "name") } type Author @shareable { id: ID! name: String @external }`
	b := fed + `type Query { authors: [Author] } type Author @shareable { id: ID! name: String }`
	out, err := compose.Compose([]compose.Subgraph{{Name: "a", URL: "http://a", SDL: a}, {Name: "b", URL: "http://b", SDL: b}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `author: Author @join__field(graph: A, provides: "name")`; !strings.Contains(out, want) {
		t.Errorf("supergraph lacks %q:\n%s", want, out)
	}
}
