package compose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/myshop/supergraph/router/events"
	"github.com/myshop/supergraph/router/fieldset"
)

// Event sources: a subscription field marked @redisSubscribe is fed by a
// Redis channel the router listens to itself. Only an event graph declares
// them: a subgraph with no URL, no resolvers and nothing but such
// subscriptions, whose entities are stubs other subgraphs resolve (as
// Cosmo's event-driven graphs are). Each declaration is checked against the
// schema here, so the router never renders a template naming an argument
// the field does not have.

// checkEvents reports every declaration of s that cannot work, and an
// event graph that holds anything else.
func (c *composer) checkEvents(s *subgraph) {
	bad := func(coord, rule string, args ...any) {
		c.errorf("[EVENT_SOURCE_INVALID] subgraph %s: %s: %s", s.Name, coord, fmt.Sprintf(rule, args...))
	}
	eventGraph := s.URL == ""
	for _, name := range sortedKeys(s.types) {
		t := s.types[name]
		op := s.rootOf(name)
		if eventGraph && (op == ast.Query || op == ast.Mutation) && len(t.Fields) > 0 && !onlyFederationFields(t) {
			bad(name, "a subgraph without a URL is an event graph: it can hold no %s fields", strings.ToLower(string(op)))
		}
		if eventGraph && op == "" {
			for _, k := range s.keys(t) {
				if k.resolvable {
					bad(name, "an event graph resolves nothing: its @key(fields: %q) needs resolvable: false", k.fields)
				}
			}
		}
		for _, f := range t.Fields {
			coord := name + "." + f.Name
			d := f.Directives.ForName(events.Directive)
			switch {
			case d == nil && eventGraph && op == ast.Subscription:
				bad(coord, "an event graph's subscription needs @%s", events.Directive)
			case d == nil:
			case op != ast.Subscription:
				bad(coord, "@%s belongs on a subscription field", events.Directive)
			case !eventGraph:
				bad(coord, "@%s is declared in an event graph (a subgraph without a URL), not in a subgraph the router calls", events.Directive)
			default:
				c.checkSource(s, coord, f, d, bad)
			}
		}
	}
}

// onlyFederationFields says a root type holds only what federation adds.
func onlyFederationFields(t *ast.Definition) bool {
	for _, f := range t.Fields {
		if f.Name != "_service" && f.Name != "_entities" {
			return false
		}
	}
	return true
}

func (c *composer) checkSource(s *subgraph, coord string, f *ast.FieldDefinition, d *ast.Directive, bad func(string, string, ...any)) {
	args := map[string]string{}
	for _, a := range d.Arguments {
		if a.Value == nil || a.Value.Kind != ast.StringValue {
			bad(coord, "%s must be a String literal", a.Name)
			return
		}
		args[a.Name] = a.Value.Raw
	}
	src, err := events.Parse(args)
	if err != nil {
		bad(coord, "%v", err)
		return
	}
	checkArgs := func(what string, t events.Template) {
		for _, p := range t.Args() {
			if err := argPath(s, f.Arguments, p); err != nil {
				bad(coord, "%s: %v", what, err)
			}
		}
	}
	checkArgs("channel", src.Channel)
	event := s.types[f.Type.Name()]
	if event == nil || event.Kind != ast.Object {
		bad(coord, "an event source's field returns an object type, not %s", f.Type.String())
		return
	}
	if e := src.Entity; e != nil {
		for _, k := range e.Keys {
			checkArgs("entity "+k.Field, k.Value)
		}
		if t := s.types[e.Type]; t == nil || !hasKey(s, t, e.KeyFields()) {
			bad(coord, "entity %s: this graph declares no %s @key(fields: %q)", e.Type, e.Type, e.KeyFields())
		}
		if src.History != "" && !c.historyField(e.Type, src.History, event.Name) {
			bad(coord, "history: no subgraph has %s.%s: [%s!]!", e.Type, src.History, event.Name)
		}
	}
	if src.Sequence != "" {
		if sf := event.Fields.ForName(src.Sequence); sf == nil || sf.Type.Name() != "Int" || sf.Type.Elem != nil {
			bad(coord, "sequence: %s has no Int field %s", event.Name, src.Sequence)
		}
	}
	if fl := src.Filter; fl != nil {
		if event.Fields.ForName(fl.Field) == nil {
			bad(coord, "filter: %s has no field %s", event.Name, fl.Field)
		}
		if err := argPath(s, f.Arguments, fl.Arg); err != nil {
			bad(coord, "filter: %v", err)
		}
	}
}

// argPath checks that a template's path names an argument and, below it,
// fields of input objects.
func argPath(s *subgraph, args ast.ArgumentDefinitionList, p []string) error {
	a := args.ForName(p[0])
	if a == nil {
		return fmt.Errorf("args.%s: the field has no argument %s", strings.Join(p, "."), p[0])
	}
	typ := a.Type
	for _, name := range p[1:] {
		in := s.types[typ.Name()]
		if in == nil || in.Kind != ast.InputObject || in.Fields.ForName(name) == nil {
			return fmt.Errorf("args.%s: %s has no field %s", strings.Join(p, "."), typ.Name(), name)
		}
		typ = in.Fields.ForName(name).Type
	}
	return nil
}

// hasKey says t has a @key of exactly these (top-level) fields.
func hasKey(s *subgraph, t *ast.Definition, fields string) bool {
	want := fieldset.TopLevel(fields)
	slices.Sort(want)
	for _, k := range s.keys(t) {
		got := fieldset.TopLevel(k.fields)
		slices.Sort(got)
		if slices.Equal(got, want) {
			return true
		}
	}
	return false
}

// historyField says some subgraph has typeName.field as a list of event.
func (c *composer) historyField(typeName, field, event string) bool {
	for _, def := range c.definitions(typeName) {
		if f := def.def.Fields.ForName(field); f != nil && f.Type.Elem != nil && f.Type.Elem.Name() == event && len(f.Arguments) == 0 {
			return true
		}
	}
	return false
}

// eventSourceOf prints a field's declaration for the supergraph, between
// before and after; "" when it has none. Only one subgraph defines a
// subscription field, so there is nothing to merge.
func (c *composer) eventSourceOf(before string, all []typedDirectives, after string) string {
	for _, td := range all {
		d := td.dirs.ForName(events.Directive)
		if d == nil {
			continue
		}
		c.eventSources = true
		args := make([]string, 0, len(d.Arguments))
		for _, a := range d.Arguments {
			args = append(args, a.Name+": "+quote(a.Value.Raw))
		}
		return before + "@" + events.Directive + "(" + strings.Join(args, ", ") + ")" + after
	}
	return ""
}
