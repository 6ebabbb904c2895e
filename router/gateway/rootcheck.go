package gateway

import (
	"fmt"

	"github.com/cespare/xxhash/v2"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// rootCheck rejects a root field answered with a list where the subgraph's
// schema says an object (or a scalar), or the reverse. Left to the engine,
// either nulls the whole response, nullable field or not, with the field's
// name twice in the error's path and no code (router/docs/engine-behaviour.md,
// entry 3). Nulled here with an error naming the subgraph, the engine
// treats the field as any field a subgraph failed to give: null, and the
// null propagates only as far as the field's own type says.
type rootCheck struct {
	subgraph string
	// list[t][f] says whether field f of root type t is a list.
	list map[string]map[string]bool
	// roots maps an operation type to its root type's name.
	roots map[ast.Operation]string
	// fields caches the root selections of the queries sent: the engine
	// sends the same few per plan, so each is parsed once.
	fields *lru[uint64, []rootField]
}

type rootField struct {
	key  string // the alias, or the name: the key in the answer
	name string
	list bool
}

func newRootCheck(name, sdl string) *rootCheck {
	doc, err := parser.ParseSchema(&ast.Source{Input: sdl})
	if err != nil {
		return nil // composition parsed it; nothing to check against
	}
	c := &rootCheck{
		subgraph: name,
		list:     map[string]map[string]bool{},
		roots:    map[ast.Operation]string{ast.Query: "Query", ast.Mutation: "Mutation"},
		fields:   newLRU[uint64, []rootField](512),
	}
	for _, s := range append(doc.Schema, doc.SchemaExtension...) {
		for _, op := range s.OperationTypes {
			c.roots[op.Operation] = op.Type
		}
	}
	for _, d := range append(doc.Definitions, doc.Extensions...) {
		if d.Kind != ast.Object {
			continue
		}
		for _, f := range d.Fields {
			if c.list[d.Name] == nil {
				c.list[d.Name] = map[string]bool{}
			}
			c.list[d.Name][f.Name] = f.Type.Elem != nil
		}
	}
	return c
}

// check returns body with each root field of the wrong shape nulled and an
// error at it; body itself when every field has its shape.
func (c *rootCheck) check(req, body []byte) []byte {
	data := gjson.GetBytes(body, "data")
	if !data.IsObject() {
		return body
	}
	for _, f := range c.selected(req) {
		v := data.Get(gjson.Escape(f.key))
		if !v.Exists() || v.Type == gjson.Null || v.IsArray() == f.list {
			continue
		}
		want, got := "an object or a scalar", "a list"
		if f.list {
			want, got = "a list", "an object or a scalar"
		}
		out, err := sjson.SetRawBytes(body, "data."+gjson.Escape(f.key), []byte("null"))
		if err != nil {
			return body
		}
		e := fmt.Sprintf(`{"message":%q,"path":[%q],"extensions":{"code":%q}}`,
			fmt.Sprintf("Subgraph '%s' returned %s for field '%s', which is %s.", c.subgraph, got, f.name, want),
			f.key, CodeInvalidSubgraphResponse)
		if out, err = sjson.SetRawBytes(out, "errors.-1", []byte(e)); err != nil {
			return body
		}
		body = out
	}
	return body
}

// selected returns the root fields of the query in a request body.
func (c *rootCheck) selected(req []byte) []rootField {
	query := gjson.GetBytes(req, "query").String()
	if query == "" {
		return nil
	}
	key := xxhash.Sum64String(query)
	fields, ok := c.fields.get(key)
	if !ok {
		fields = c.rootFields(query)
		c.fields.put(key, fields)
	}
	return fields
}

// rootFields lists the fields selected at the root of query whose shape the
// schema gives; fragments at the root are rare in the engine's queries and
// are not checked.
func (c *rootCheck) rootFields(query string) []rootField {
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil || len(doc.Operations) == 0 {
		return nil
	}
	op := doc.Operations[0]
	types := c.list[c.roots[op.Operation]]
	var out []rootField
	for _, sel := range op.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok {
			continue
		}
		list, known := types[f.Name]
		if !known {
			continue
		}
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		out = append(out, rootField{key: key, name: f.Name, list: list})
	}
	return out
}
