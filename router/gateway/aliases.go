package gateway

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"
)

// Client aliases named like other fields ({ product { id: name price } })
// break the engine: it adds the fields it needs itself (key fields for
// entity representations, @requires fields, __typename) to subgraph
// queries under their own names, and then either refuses to plan ("differing
// fields for objectName 'id'") or merges the entity fetch's aliased field
// over the key ("differing types"). Apollo's router answers such queries.
//
// So before planning, every alias that differs from its field's name and
// equals the name of some field of the schema (or __typename) is replaced by
// a private one, and after planning the response plan's field names are
// set back to the client's aliases. The data the router holds, subgraph
// queries and fetch paths use the private alias; the client only ever sees
// its own.

// aliasPrefix starts private aliases; unique per operation with a counter.
const aliasPrefix = "_ra"

// fieldNames is every output field name of the schema, and __typename.
func fieldNames(schema *ast.Document) map[string]bool {
	out := map[string]bool{"__typename": true}
	for i := range schema.FieldDefinitions {
		out[schema.FieldDefinitionNameString(i)] = true
	}
	return out
}

// renameCollidingAliases rewrites the colliding aliases of doc's operations
// and returns private alias → client alias, or nil when nothing collides.
// Introspection (__schema, __type) is answered by the router from the
// schema and never rewritten.
func renameCollidingAliases(doc *ast.Document, names map[string]bool) map[string]string {
	var renamed map[string]string
	var walk func(set int)
	walk = func(set int) {
		for _, sel := range doc.SelectionSets[set].SelectionRefs {
			s := doc.Selections[sel]
			switch s.Kind {
			case ast.SelectionKindField:
				f := &doc.Fields[s.Ref]
				name := doc.FieldNameString(s.Ref)
				if name == "__schema" || name == "__type" {
					continue
				}
				if f.Alias.IsDefined {
					if alias := doc.FieldAliasString(s.Ref); alias != name && names[alias] {
						if renamed == nil {
							renamed = map[string]string{}
						}
						private := aliasPrefix + strconv.Itoa(len(renamed)) + "_" + alias
						renamed[private] = strings.Clone(alias)
						f.Alias.Name = doc.Input.AppendInputString(private)
					}
				}
				if f.HasSelections {
					walk(f.SelectionSet)
				}
			case ast.SelectionKindInlineFragment:
				if doc.InlineFragments[s.Ref].HasSelections {
					walk(doc.InlineFragments[s.Ref].SelectionSet)
				}
			}
		}
	}
	for _, n := range doc.RootNodes {
		if n.Kind == ast.NodeKindOperationDefinition && doc.OperationDefinitions[n.Ref].HasSelections {
			walk(doc.OperationDefinitions[n.Ref].SelectionSet)
		}
	}
	return renamed
}

// restoreAliases gives the response plan's fields their client aliases back.
func restoreAliases(p plan.Plan, renamed map[string]string) {
	if len(renamed) == 0 {
		return
	}
	var resp *resolve.GraphQLResponse
	switch pl := p.(type) {
	case *plan.SynchronousResponsePlan:
		resp = pl.Response
	case *plan.SubscriptionResponsePlan:
		if pl.Response != nil {
			resp = pl.Response.Response
		}
	}
	if resp == nil {
		return
	}
	var walk func(n resolve.Node)
	walk = func(n resolve.Node) {
		switch v := n.(type) {
		case *resolve.Object:
			for _, f := range v.Fields {
				if client, ok := renamed[string(f.Name)]; ok {
					f.Name = []byte(client)
				}
				walk(f.Value)
			}
		case *resolve.Array:
			walk(v.Item)
		}
	}
	walk(resp.Data)
}

// restoreErrorAliases puts the client's aliases back into the paths and
// messages of a response's errors (subgraph errors and the engine's own
// "Cannot return null for non-nullable field 'Query.product.x'" name the
// private ones). The data is copied untouched.
func restoreErrorAliases(body []byte, renamed map[string]string) ([]byte, error) {
	var resp map[string]json.RawMessage
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, err
	}
	raw, ok := resp["errors"]
	if !ok {
		return body, nil
	}
	var errs []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &errs); err != nil {
		return nil, err
	}
	pairs := make([]string, 0, 2*len(renamed))
	for private, client := range renamed {
		pairs = append(pairs, private, client)
	}
	replacer := strings.NewReplacer(pairs...)
	var out bytes.Buffer
	out.WriteString(`{"errors":[`)
	for i, e := range errs {
		if i > 0 {
			out.WriteByte(',')
		}
		if m, ok := e["message"]; ok {
			var msg string
			if json.Unmarshal(m, &msg) == nil {
				e["message"], _ = json.Marshal(replacer.Replace(msg))
			}
		}
		if p, ok := e["path"]; ok {
			var path []any
			if json.Unmarshal(p, &path) == nil {
				for j, el := range path {
					if s, ok := el.(string); ok {
						if client, ok := renamed[s]; ok {
							path[j] = client
						}
					}
				}
				e["path"], _ = json.Marshal(path)
			}
		}
		writeOrdered(&out, e, "message", "path", "locations", "extensions")
	}
	out.WriteString("]")
	for _, k := range []string{"data", "extensions"} {
		if v, ok := resp[k]; ok {
			out.WriteString(`,"` + k + `":`)
			out.Write(v)
		}
	}
	out.WriteString("}")
	return out.Bytes(), nil
}

// writeOrdered writes a JSON object with the given keys first, then the rest sorted.
func writeOrdered(out *bytes.Buffer, m map[string]json.RawMessage, first ...string) {
	out.WriteByte('{')
	n := 0
	write := func(k string) {
		if n > 0 {
			out.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(k)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(m[k])
	}
	for _, k := range first {
		if _, ok := m[k]; ok {
			write(k)
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		if !slices.Contains(first, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		write(k)
	}
	out.WriteByte('}')
}
