package compose_test

import (
	"strings"
	"testing"

	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/supergraph"
)

const eventsFed = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])
directive @redisSubscribe(channel: String!, entity: String, history: String, sequence: String, filter: String) on FIELD_DEFINITION
`

// shopGraph resolves Item and lists its events.
const shopGraph = eventsFed + `type Query { item(id: ID!): Item }
type Item @key(fields: "id") { id: ID! name: String! changes: [ItemChanged!]! }
type ItemChanged @shareable { item: Item! version: Int! kind: String! }`

// TestComposeEventSources: each declaration that cannot work is refused
// with the rule it breaks, and a good one reaches the supergraph, out of
// the client schema, with what the router needs to run it.
func TestComposeEventSources(t *testing.T) {
	const types = `
type Item @key(fields: "id", resolvable: false) { id: ID! }
type ItemChanged @shareable { item: Item! version: Int! kind: String! }
input Where { kinds: [String!] }`
	for _, tt := range []struct{ name, events, url, want string }{
		{"an unknown argument", `type Subscription { s(id: ID!): ItemChanged! @redisSubscribe(channel: "item:{{ args.nope }}") }`, "",
			"Subscription.s: channel: args.nope: the field has no argument nope"},
		{"an input field that does not exist", `type Subscription { s(w: Where): ItemChanged! @redisSubscribe(channel: "x", filter: "kind in args.w.other") }`, "",
			"filter: args.w.other: Where has no field other"},
		{"a claim that is not verified", `type Subscription { s: ItemChanged! @redisSubscribe(channel: "u:{{ claims.email }}") }`, "",
			"only claims.sub can be named"},
		{"an entity without that key", `type Subscription { s(id: ID!): ItemChanged! @redisSubscribe(channel: "c", entity: "Item(sku: {{ args.id }})") }`, "",
			`entity Item: this graph declares no Item @key(fields: "sku")`},
		{"a history nobody has", `type Subscription { s(id: ID!): ItemChanged! @redisSubscribe(channel: "c", entity: "Item(id: {{ args.id }})", history: "log") }`, "",
			"history: no subgraph has Item.log: [ItemChanged!]!"},
		{"a sequence that is no Int", `type Subscription { s(id: ID!): ItemChanged! @redisSubscribe(channel: "c", entity: "Item(id: {{ args.id }})", sequence: "kind") }`, "",
			"sequence: ItemChanged has no Int field kind"},
		{"a sequence without an entity", `type Subscription { s(id: ID!): ItemChanged! @redisSubscribe(channel: "c", sequence: "version") }`, "",
			"sequence needs entity"},
		{"a subscription without a source", `type Subscription { s: ItemChanged! }`, "",
			"an event graph's subscription needs @redisSubscribe"},
		{"a query in an event graph", `type Query { q: Int } type Subscription { s: ItemChanged! @redisSubscribe(channel: "c") }`, "",
			"can hold no query fields"},
		{"a source in a subgraph the router calls", `type Subscription { s: ItemChanged! @redisSubscribe(channel: "c") }`, "http://events",
			"is declared in an event graph"},
	} {
		_, err := compose.Compose([]compose.Subgraph{{Name: "shop", URL: "http://shop", SDL: shopGraph}, {Name: "events", URL: tt.url, SDL: eventsFed + tt.events + types}})
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "[EVENT_SOURCE_INVALID] subgraph events") {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}

	sdl, err := compose.Compose([]compose.Subgraph{{Name: "shop", URL: "http://shop", SDL: shopGraph}, {Name: "events", SDL: eventsFed + `type Subscription {
  itemChanged(id: ID!, w: Where): ItemChanged! @redisSubscribe(channel: "item:{{ args.id }}", entity: "Item(id: {{ args.id }})", history: "changes", sequence: "version", filter: "kind in args.w.kinds")
}` + types}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(sdl)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sg.APISDL, "redisSubscribe") {
		t.Errorf("the client schema shows the declaration:\n%s", sg.APISDL)
	}
	var es supergraph.EventSource
	for _, sub := range sg.Subgraphs {
		if sub.Name == "events" {
			es = sub.Events["itemChanged"]
		}
	}
	if es.EntityGraph != "shop" || es.History != "changes" || es.Sequence != "version" || es.Filter == nil ||
		es.Selection != "__typename item { __typename id } version kind" || strings.Join(es.Required, ",") != "item,version,kind" {
		t.Errorf("event source: %+v", es)
	}
}
