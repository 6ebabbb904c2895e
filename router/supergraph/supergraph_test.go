package supergraph_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/supergraph"
)

func load(t *testing.T) *supergraph.Supergraph {
	t.Helper()
	sdl, err := os.ReadFile("../../schema/supergraph.graphql")
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(string(sdl))
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

func subgraph(t *testing.T, sg *supergraph.Supergraph, name string) supergraph.Subgraph {
	t.Helper()
	for _, s := range sg.Subgraphs {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no subgraph %s", name)
	return supergraph.Subgraph{}
}

func node(nodes plan.TypeFields, typeName string) *plan.TypeField {
	for i := range nodes {
		if nodes[i].TypeName == typeName {
			return &nodes[i]
		}
	}
	return nil
}

func TestParseOurSupergraph(t *testing.T) {
	sg := load(t)
	products := subgraph(t, sg, "products")
	if products.URL != "http://127.0.0.1:4002/graphql" {
		t.Errorf("products URL %s", products.URL)
	}
	md := products.Metadata
	if n := node(md.RootNodes, "User"); n == nil || !slices.Equal(n.FieldNames, []string{"id", "reviews"}) {
		t.Errorf("products User root node: %+v", n)
	}
	if n := node(md.RootNodes, "Query"); n == nil || !slices.Contains(n.FieldNames, "products") || slices.Contains(n.FieldNames, "user") {
		t.Errorf("products Query root node: %+v", n)
	}
	if n := node(md.ChildNodes, "Money"); n == nil || len(n.FieldNames) != 3 {
		t.Errorf("products Money child node: %+v", n)
	}
	if !slices.ContainsFunc(md.Keys, func(k plan.FederationFieldConfiguration) bool {
		return k.TypeName == "Product" && k.SelectionSet == "id" && !k.DisableEntityResolver
	}) {
		t.Errorf("products keys: %+v", md.Keys)
	}
	if !strings.Contains(products.SDL, `@key(fields: "id")`) || strings.Contains(products.SDL, "email") {
		t.Errorf("products SDL:\n%s", products.SDL)
	}
	users := subgraph(t, sg, "users")
	// Subsets: the checked-in schema grows as subgraphs gain fields.
	if n := node(users.Metadata.RootNodes, "User"); n == nil || !containsAll(n.FieldNames, "id", "name", "email") {
		t.Errorf("users User root node: %+v", n)
	}
	var args []string
	for _, f := range sg.Fields {
		args = append(args, f.TypeName+"."+f.FieldName)
	}
	want := []string{"Product.reviews", "Query.product", "Query.products", "Query.user", "User.reviews"}
	if !containsAll(args, want...) {
		t.Errorf("field configurations %v, want %v", args, want)
	}
	for _, s := range []string{sg.RouterSDL, sg.APISDL} {
		if strings.Contains(s, "join__") || strings.Contains(s, "link__") {
			t.Errorf("join/link left in schema:\n%s", s)
		}
	}
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(list, w) {
			return false
		}
	}
	return true
}

func TestParseFederationFeatures(t *testing.T) {
	const fed = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible"])
`
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "a", URL: "http://a", SDL: fed + `type Query { reviews: [Review!]! }
type Review @key(fields: "id") { id: ID! author: User! @provides(fields: "name") secret: String @inaccessible }
type User @key(fields: "id", resolvable: false) { id: ID! name: String! @external }`},
		{Name: "b", URL: "http://b", SDL: fed + `type Query { me: User }
type User @key(fields: "id") { id: ID! name: String! @shareable weight: Int! @external shipping: Int! @requires(fields: "weight") }`},
		{Name: "c", URL: "http://c", SDL: fed + `type User @key(fields: "id") { id: ID! weight: Int! }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	a := subgraph(t, sg, "a").Metadata
	if n := node(a.RootNodes, "User"); n == nil || !slices.Equal(n.ExternalFieldNames, []string{"name"}) || slices.Contains(n.FieldNames, "name") {
		t.Errorf("a User node: %+v", n)
	}
	if p := a.Provides; len(p) != 1 || p[0].TypeName != "Review" || p[0].FieldName != "author" || p[0].SelectionSet != "name" {
		t.Errorf("a provides: %+v", a.Provides)
	}
	if !slices.ContainsFunc(a.Keys, func(k plan.FederationFieldConfiguration) bool { return k.TypeName == "User" && k.DisableEntityResolver }) {
		t.Errorf("a keys: %+v", a.Keys)
	}
	b := subgraph(t, sg, "b").Metadata
	if len(b.Requires) != 1 || b.Requires[0].FieldName != "shipping" || b.Requires[0].SelectionSet != "weight" {
		t.Errorf("b requires: %+v", b.Requires)
	}
	if !strings.Contains(subgraph(t, sg, "b").SDL, `@requires(fields: "weight")`) {
		t.Errorf("b SDL:\n%s", subgraph(t, sg, "b").SDL)
	}
	if !strings.Contains(sg.RouterSDL, "secret") || strings.Contains(sg.APISDL, "secret") {
		t.Errorf("@inaccessible field: router has it %v, API has it %v", strings.Contains(sg.RouterSDL, "secret"), strings.Contains(sg.APISDL, "secret"))
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]struct{ sdl, want string }{
		"join v0.1":                 {`schema @core(feature: "https://specs.apollo.dev/core/v0.1") @core(feature: "https://specs.apollo.dev/join/v0.1") { query: Query } type Query { a: Int }`, "Federation 1"},
		"join v0.1 link":            {`schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.1", for: EXECUTION) { query: Query } type Query { a: Int }`, "join v0.1"},
		"unknown execution feature": {`schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) @link(url: "https://specs.apollo.dev/context/v0.1", for: EXECUTION) { query: Query } type Query { a: Int }`, "context/v0.1"},
		"policy":                    {`schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY) { query: Query } type Query { a: Int }`, "@policy is not supported"},
		"unknown authenticated":     {`schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) @link(url: "https://specs.apollo.dev/authenticated/v0.2", for: SECURITY) { query: Query } type Query { a: Int }`, "only v0.1"},
		"renamed requiresScopes":    {`schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", import: [{name: "@requiresScopes", as: "@scopes"}], for: SECURITY) { query: Query } type Query { a: Int }`, "renamed"},
		"not a supergraph":          {`schema { query: Query } type Query { a: Int }`, "join"},
		"syntax":                    {`type Query {`, "parse supergraph"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := supergraph.Parse(tt.sdl)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestAuthorizationRules: a field is protected by its own directives, by
// those of the type it returns and of the type declaring it; an interface
// field also by its implementations'. Both link forms load: Hive's and
// Apollo's (no import) and one importing the directive by its own name.
func TestAuthorizationRules(t *testing.T) {
	const sdl = `schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/authenticated/v0.1", import: ["@authenticated"], for: SECURITY)
  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)
{ query: Query }
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM
scalar requiresScopes__Scope
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph { A @join__graph(name: "a", url: "http://a") }
type Query @join__type(graph: A) {
  open: String
  me: User @authenticated
  secret: Secret
  node: Node
  level: Level
}
type User @join__type(graph: A) {
  name: String
  email: String @requiresScopes(scopes: [["a", "b"], ["c"]])
}
type Secret @join__type(graph: A) @requiresScopes(scopes: [["s"]]) { code: String @authenticated }
interface Node @join__type(graph: A) { id: ID }
type Doc implements Node @join__type(graph: A) @join__implements(graph: A, interface: "Node") { id: ID @requiresScopes(scopes: [["d"]]) }
enum Level @join__type(graph: A) @authenticated { LOW }
`
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	rule := func(typ, field string) supergraph.Rule {
		return sg.Authorization[supergraph.Coordinate{TypeName: typ, FieldName: field}]
	}
	has := func(scopes ...string) func(string) bool {
		return func(s string) bool { return slices.Contains(scopes, s) }
	}
	tests := []struct {
		typ, field    string
		authenticated bool
		scopes        []string
		allowed       bool
	}{
		{"Query", "open", false, nil, true},
		{"Query", "me", false, nil, false},
		{"Query", "me", true, nil, true},
		{"User", "name", false, nil, true},
		{"User", "email", true, []string{"a"}, false},
		{"User", "email", true, []string{"a", "b"}, true},
		{"User", "email", true, []string{"c"}, true},
		{"User", "email", false, []string{"c"}, false},
		{"Query", "secret", true, nil, false}, // returns a scoped type
		{"Query", "secret", true, []string{"s"}, true},
		{"Secret", "code", true, nil, false}, // declared by a scoped type
		{"Secret", "code", true, []string{"s"}, true},
		{"Node", "id", true, nil, false}, // an implementation's field is scoped
		{"Node", "id", true, []string{"d"}, true},
		{"Query", "level", false, nil, false}, // returns an @authenticated enum
		{"Query", "level", true, nil, true},
	}
	for _, tt := range tests {
		if got := rule(tt.typ, tt.field).Allows(tt.authenticated, has(tt.scopes...)); got != tt.allowed {
			t.Errorf("%s.%s authenticated=%v scopes=%v: allowed %v, want %v (rule %+v)", tt.typ, tt.field, tt.authenticated, tt.scopes, got, tt.allowed, rule(tt.typ, tt.field))
		}
	}
	protected := map[string]bool{}
	for _, fc := range sg.Fields {
		if fc.HasAuthorizationRule {
			protected[fc.TypeName+"."+fc.FieldName] = true
		}
	}
	for c := range sg.Authorization {
		if !protected[c.String()] {
			t.Errorf("%s has a rule but no HasAuthorizationRule field configuration", c)
		}
	}
	if len(protected) != len(sg.Authorization) || protected["Query.open"] || protected["User.name"] {
		t.Errorf("protected fields %v", protected)
	}
	for _, schema := range []string{sg.APISDL, sg.RouterSDL} {
		if strings.Contains(schema, "authenticated") || strings.Contains(schema, "requiresScopes") {
			t.Errorf("authorization machinery in a served schema:\n%s", schema)
		}
	}
}
