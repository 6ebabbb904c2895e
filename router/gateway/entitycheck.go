package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// CodeInvalidSubgraphResponse marks a subgraph answer that contradicts
// what the router asked of it.
const CodeInvalidSubgraphResponse = "INVALID_SUBGRAPH_RESPONSE"

// entityCheck rejects an _entities answer that contradicts the
// representations it was sent: a count that differs, or an item of a type
// the representation's type cannot be. Left to the engine, the first
// fails the whole fetch with an error that has no path or code, and the
// second nulls the entity itself (and, through non-null parents, the whole
// response), blaming the subgraph that first returned the entity. Nulling
// the bad items here, with an error at each, leaves the engine to do what
// it does for any failed entity: null just the fields this subgraph was to
// provide, the error at the entity's path with the subgraph's name.
type entityCheck struct {
	subgraph string
	// possible[t] are the object types an item may have for a
	// representation of abstract type t, in this subgraph's schema.
	possible map[string]map[string]bool
}

func newEntityCheck(name, sdl string) *entityCheck {
	c := &entityCheck{subgraph: name, possible: map[string]map[string]bool{}}
	doc, err := parser.ParseSchema(&ast.Source{Input: sdl})
	if err != nil {
		return c // composition parsed it; an empty table only checks names
	}
	add := func(abstract, concrete string) {
		if c.possible[abstract] == nil {
			c.possible[abstract] = map[string]bool{}
		}
		c.possible[abstract][concrete] = true
	}
	for _, d := range append(doc.Definitions, doc.Extensions...) {
		for _, i := range d.Interfaces {
			add(i, d.Name)
		}
		if d.Kind == ast.Union {
			for _, m := range d.Types {
				add(d.Name, m)
			}
		}
	}
	return c
}

// isEntitiesFetch says whether a request body is the engine's _entities
// query, which starts `{"query":"query($representations: [_Any!]!){_entities(`.
func isEntitiesFetch(req []byte) bool {
	return bytes.Contains(req[:min(len(req), 128)], []byte("_entities("))
}

// check returns body with each contradicting item nulled and an error at
// it; body unchanged when the answer agrees or is not an _entities answer.
func (c *entityCheck) check(req, body []byte) []byte {
	ents := gjson.GetBytes(body, "data._entities")
	if !ents.Exists() || ents.Type == gjson.Null {
		return body // a failed fetch: its errors say why
	}
	reps := gjson.GetBytes(req, "variables.representations.#.__typename").Array()
	var problems []entityProblem
	items := ents.Array()
	switch {
	case !ents.IsArray() || len(items) != len(reps):
		// Which item answers which representation is unknown: none is used.
		n := len(items)
		if !ents.IsArray() {
			n = 1
		}
		nulls := bytes.Repeat([]byte("null,"), len(reps))
		out, err := sjson.SetRawBytes(body, "data._entities", append(append([]byte("["), bytes.TrimSuffix(nulls, []byte(","))...), ']'))
		if err != nil {
			return body
		}
		body = out
		problems = append(problems, entityProblem{-1, fmt.Sprintf("Subgraph '%s' returned %d entities for %d representations", c.subgraph, n, len(reps))})
	default:
		for i, item := range items {
			want := reps[i].String()
			got := item.Get("__typename").String()
			if item.Type == gjson.Null || got == "" || got == want || c.possible[want][got] {
				continue
			}
			out, err := sjson.SetRawBytes(body, fmt.Sprintf("data._entities.%d", i), []byte("null"))
			if err != nil {
				return body
			}
			body = out
			problems = append(problems, entityProblem{i, fmt.Sprintf("Subgraph '%s' returned an entity of type %s for a representation of %s", c.subgraph, got, want)})
		}
	}
	if len(problems) == 0 {
		return body
	}
	for _, p := range problems {
		path := []any{"_entities"}
		if p.index >= 0 {
			path = append(path, p.index)
		}
		e, _ := json.Marshal(map[string]any{"message": p.message, "path": path,
			"extensions": map[string]any{"code": CodeInvalidSubgraphResponse}})
		out, err := sjson.SetRawBytes(body, "errors.-1", e)
		if err != nil {
			return body
		}
		body = out
	}
	return body
}

type entityProblem struct {
	index   int // of the item; -1 for the whole answer
	message string
}
