package compose_test

import (
	"strings"
	"testing"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/supergraph"
)

const costFed = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable", "@cost", "@listSize"])
`

// Demand-control directives where the specification does not allow them
// fail composition, naming the subgraph, the coordinate and the rule.
func TestComposeRefusesMisplacedCostDirectives(t *testing.T) {
	for _, tt := range []struct {
		name, sdl string
		want      []string
	}{
		{"slicing argument that does not exist", `type Query { items(first: Int): [Item!]! @listSize(slicingArguments: ["limit"]) } type Item { id: ID! }`,
			[]string{"subgraph shop", "Query.items", `slicing argument "limit"`, "no argument limit"}},
		{"slicing argument that is not an Int", `type Query { items(first: String): [Item!]! @listSize(slicingArguments: ["first"]) } type Item { id: ID! }`,
			[]string{"Query.items", "must be an Int"}},
		{"@listSize on a field that returns no list", `type Query { item(first: Int): Item @listSize(slicingArguments: ["first"]) } type Item { id: ID! }`,
			[]string{"Query.item", "must return a list"}},
		{"sized field that is not a list", `type Query { page(first: Int): Page! @listSize(slicingArguments: ["first"], sizedFields: ["total"]) } type Page { total: Int! items: [ID!]! }`,
			[]string{"Query.page", `sized field "total"`, "not a list"}},
		{"@cost on an interface", `type Query { a: Node } interface Node @cost(weight: 3) { id: ID! }`,
			[]string{"on Node", "not on a interface"}},
		{"@listSize on a type", `type Query { a: Item } type Item @listSize(assumedSize: 3) { id: ID! }`,
			[]string{"on Item", "field definitions only"}},
		{"negative assumed size", `type Query { items: [ID!]! @listSize(assumedSize: -1) }`,
			[]string{"Query.items", "non-negative"}},
	} {
		_, err := compose.Compose([]compose.Subgraph{{Name: "shop", URL: "http://shop", SDL: costFed + tt.sdl}})
		if err == nil {
			t.Errorf("%s: composed", tt.name)
			continue
		}
		for _, w := range append(tt.want, "[COST_DIRECTIVE_INVALID]") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

// Valid directives reach the supergraph, merged across subgraphs, and load.
func TestComposeCarriesCostDirectives(t *testing.T) {
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "a", URL: "http://a", SDL: costFed + `type Query { items(first: Int = 10, filter: String @cost(weight: 2)): ItemPage! @listSize(slicingArguments: ["first"], sizedFields: ["edges"]) }
type ItemPage { edges: [Item!]! } type Item @key(fields: "id") @cost(weight: 4) { id: ID! }`},
		{Name: "b", URL: "http://b", SDL: costFed + `type Item @key(fields: "id") { id: ID! price: Int @cost(weight: 7) }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"])`,
		`@listSize(slicingArguments: ["first"], sizedFields: ["edges"])`, `filter: String @cost(weight: 2)`, "  @cost(weight: 4)\n", `price: Int @join__field(graph: B) @cost(weight: 7)`} {
		if !strings.Contains(sdl, w) {
			t.Errorf("supergraph lacks %s:\n%s", w, sdl)
		}
	}
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sg.APISDL, "@cost") || strings.Contains(sg.APISDL, "listSize") {
		t.Errorf("the API schema shows the cost directives:\n%s", sg.APISDL)
	}
	for _, sub := range sg.Subgraphs {
		cc := sub.Metadata.CostConfig
		if cc == nil {
			t.Fatalf("%s: no cost configuration", sub.Name)
		}
		switch sub.Name {
		case "a":
			if ls := cc.ListSizes[plan.FieldCoordinate{TypeName: "Query", FieldName: "items"}]; ls == nil || ls.SizedFields[0] != "edges" {
				t.Errorf("a: list size of Query.items = %+v", ls)
			}
			if cc.Types["Item"] != 4 {
				t.Errorf("a: Item weighs %d", cc.Types["Item"])
			}
		case "b":
			if w := cc.Weights[plan.FieldCoordinate{TypeName: "Item", FieldName: "price"}]; w == nil || w.Weight != 7 {
				t.Errorf("b: Item.price = %+v", w)
			}
		}
	}
}

const cacheFed = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
enum CacheControlScope { PUBLIC PRIVATE }
`

// A @cacheControl that cannot mean anything fails composition, naming the
// subgraph and the coordinate; valid ones are merged (the shortest age,
// PRIVATE when any says so) and the scope enum is the supergraph's own.
func TestComposeCacheControl(t *testing.T) {
	for _, tt := range []struct{ name, sdl, want string }{
		{"on a mutation field", `type Query { a: Int } type Mutation { buy: Int @cacheControl(maxAge: 10) }`, "Mutation.buy: a mutation's answer is never cached"},
		{"a negative age", `type Query { a: Int @cacheControl(maxAge: -1) }`, "Query.a: maxAge -1 is negative"},
		{"an age and inheritMaxAge", `type Query { a: Item } type Item @cacheControl(maxAge: 5, inheritMaxAge: true) { id: ID! }`, "on Item: maxAge and inheritMaxAge"},
		{"on a scalar", `type Query { a: Int } scalar Money @cacheControl(maxAge: 5)`, "on Money: allowed on objects, interfaces and unions"},
	} {
		_, err := compose.Compose([]compose.Subgraph{{Name: "shop", URL: "http://shop", SDL: cacheFed + tt.sdl}})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "[CACHE_CONTROL_INVALID] subgraph shop") {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	sdl, err := compose.Compose([]compose.Subgraph{
		{Name: "a", URL: "http://a", SDL: cacheFed + `type Query { items: [Item!]! @cacheControl(maxAge: 300) } type Item @key(fields: "id") @cacheControl(maxAge: 60) { id: ID! }`},
		{Name: "b", URL: "http://b", SDL: cacheFed + `type Item @key(fields: "id") @cacheControl(maxAge: 600, scope: PRIVATE) { id: ID! price: Int }`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"@cacheControl(maxAge: 60, scope: PRIVATE)", "items: [Item!]! @join__field(graph: A) @cacheControl(maxAge: 300)", "enum CacheControlScope {"} {
		if !strings.Contains(sdl, want) {
			t.Errorf("supergraph lacks %q:\n%s", want, sdl)
		}
	}
	if strings.Count(sdl, "enum CacheControlScope") != 1 {
		t.Errorf("CacheControlScope defined %d times", strings.Count(sdl, "enum CacheControlScope"))
	}
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	if h := sg.CacheHints.Types["Item"]; h.MaxAge == nil || *h.MaxAge != 60 || !h.Private {
		t.Errorf("Item's hint %+v", h)
	}
	if strings.Contains(sg.APISDL, "cacheControl") || strings.Contains(sg.APISDL, "CacheControlScope") {
		t.Error("the client schema shows @cacheControl")
	}
}
