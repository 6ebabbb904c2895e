package supergraph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/myshop/supergraph/router/events"
	"github.com/myshop/supergraph/router/fieldset"
)

// EventSource is a subscription field fed by a Redis channel the router
// listens to (@redisSubscribe, composed from an event graph).
type EventSource struct {
	events.Source
	// Field is the subscription field; Type the object type it returns.
	Field, Type string
	// Required are the fields every message must carry: the non-null
	// fields of Type.
	Required []string
	// Selection asks for an event as messages carry it: every field of
	// Type, and of an entity only __typename and its key.
	Selection string
	// EntityGraph is the subgraph that resolves Entity by its key (and has
	// History): where the subscriber's read goes.
	EntityGraph string
}

func eventsMachinery(name string) bool { return name == events.Directive }

// eventSources reads graph gr's declarations; nil when it has none.
func (g *graph) eventSources(gr joinGraph) (map[string]EventSource, error) {
	var out map[string]EventSource
	for _, def := range g.doc.Definitions {
		if def.Kind != ast.Object || !g.roots[def.Name] {
			continue
		}
		for _, f := range def.Fields {
			d := f.Directives.ForName(events.Directive)
			if d == nil {
				continue
			}
			if in, _ := fieldIn(f, gr); !in || len(joinTypes(def, gr)) == 0 {
				continue
			}
			args := map[string]string{}
			for _, a := range d.Arguments {
				args[a.Name] = a.Value.Raw
			}
			src, err := events.Parse(args)
			if err != nil {
				return nil, fmt.Errorf("supergraph: %s.%s: @%s: %w", def.Name, f.Name, events.Directive, err)
			}
			es := EventSource{Source: src, Field: f.Name, Type: f.Type.Name()}
			typ := g.doc.Definitions.ForName(es.Type)
			if typ == nil {
				return nil, fmt.Errorf("supergraph: %s.%s returns unknown type %s", def.Name, f.Name, es.Type)
			}
			for _, tf := range typ.Fields {
				if in, _ := fieldIn(tf, gr); in && tf.Type.NonNull {
					es.Required = append(es.Required, tf.Name)
				}
			}
			es.Selection = g.eventSelection(typ, gr)
			if src.Entity != nil {
				if es.EntityGraph = g.entityGraph(src.Entity, src.History); es.EntityGraph == "" {
					return nil, fmt.Errorf("supergraph: %s.%s: no subgraph resolves %s by %q", def.Name, f.Name, src.Entity.Type, src.Entity.KeyFields())
				}
			}
			if out == nil {
				out = map[string]EventSource{}
			}
			out[f.Name] = es
		}
	}
	return out, nil
}

// eventSelection is every field gr has of typ; a composite field gets
// __typename and the key gr declares for it.
func (g *graph) eventSelection(typ *ast.Definition, gr joinGraph) string {
	var parts []string
	parts = append(parts, "__typename")
	for _, f := range typ.Fields {
		if in, _ := fieldIn(f, gr); !in {
			continue
		}
		t := g.doc.Definitions.ForName(f.Type.Name())
		if t == nil || (t.Kind != ast.Object && t.Kind != ast.Interface) {
			parts = append(parts, f.Name)
			continue
		}
		key := ""
		for _, jt := range joinTypes(t, gr) {
			if k := argValue(jt, "key"); k != "" {
				key = k
				break
			}
		}
		parts = append(parts, f.Name+" { __typename "+key+" }")
	}
	return strings.Join(parts, " ")
}

// entityGraph names the subgraph that resolves e by its key and, when
// asked, has the history field.
func (g *graph) entityGraph(e *events.Entity, history string) string {
	def := g.doc.Definitions.ForName(e.Type)
	if def == nil {
		return ""
	}
	want := strings.Fields(e.KeyFields())
	slices.Sort(want)
	for _, gr := range g.graphs {
		for _, jt := range joinTypes(def, gr) {
			if argBool(jt, "resolvable") || jt.Arguments.ForName("resolvable") == nil {
				got := fieldset.TopLevel(argValue(jt, "key"))
				slices.Sort(got)
				if !slices.Equal(got, want) {
					continue
				}
				if history != "" {
					f := def.Fields.ForName(history)
					if f == nil {
						continue
					}
					if in, _ := fieldIn(f, gr); !in {
						continue
					}
				}
				return gr.name
			}
		}
	}
	return ""
}
