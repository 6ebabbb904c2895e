package supergraph

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/plan"

	"github.com/myshop/supergraph/router/fieldset"
)

// executableLocations are directive locations in operations; definitions of
// such directives are copied into every subgraph so they can be forwarded.
var executableLocations = map[ast.DirectiveLocation]bool{
	ast.LocationQuery: true, ast.LocationMutation: true, ast.LocationSubscription: true, ast.LocationField: true,
	ast.LocationFragmentDefinition: true, ast.LocationFragmentSpread: true, ast.LocationInlineFragment: true,
	ast.LocationVariableDefinition: true,
}

// joinTypes returns the @join__type directives of def for graph gr.
func joinTypes(def *ast.Definition, gr joinGraph) []*ast.Directive {
	var out []*ast.Directive
	for _, d := range def.Directives {
		if d.Name == "join__type" && argValue(d, "graph") == gr.enum {
			out = append(out, d)
		}
	}
	return out
}

// fieldIn reports whether graph gr defines the field, and its @join__field.
// A field without any @join__field is in every graph that has its type; one
// whose @join__field entries have no graph comes from an @interfaceObject.
func fieldIn(f *ast.FieldDefinition, gr joinGraph) (bool, *ast.Directive) {
	joins := 0
	for _, d := range f.Directives {
		if d.Name != "join__field" {
			continue
		}
		joins++
		if argValue(d, "graph") == gr.enum {
			return true, d
		}
	}
	return joins == 0, nil
}

// subgraph extracts one graph's SDL and planner metadata.
func (g *graph) subgraph(gr joinGraph) (Subgraph, error) {
	doc := &ast.SchemaDocument{}
	meta := plan.DataSourceMetadata{}
	for _, d := range g.doc.Directives {
		if slices.ContainsFunc(d.Locations, func(l ast.DirectiveLocation) bool { return executableLocations[l] }) && !builtinDirectives[d.Name] {
			doc.Directives = append(doc.Directives, d)
		}
	}
	for _, def := range g.doc.Definitions {
		if machinery(def.Name) {
			continue
		}
		jts := joinTypes(def, gr)
		if len(jts) == 0 {
			continue
		}
		out := &ast.Definition{Kind: def.Kind, Name: def.Name, Description: def.Description}
		switch def.Kind {
		case ast.Object, ast.Interface:
			g.extractComposite(def, jts, gr, out, &meta)
		case ast.InputObject:
			for _, f := range def.Fields {
				if in, _ := fieldIn(f, gr); in {
					out.Fields = append(out.Fields, f)
				}
			}
		case ast.Union:
			out.Types = g.unionMembers(def, gr)
		case ast.Enum:
			out.EnumValues = enumValues(def, gr)
		}
		doc.Definitions = append(doc.Definitions, out)
	}
	meta.CostConfig = g.costConfig(gr)
	if err := meta.Init(); err != nil {
		return Subgraph{}, fmt.Errorf("supergraph: subgraph %s: %w", gr.name, err)
	}
	return Subgraph{Name: gr.name, URL: gr.url, SDL: printDoc(doc), Metadata: meta}, nil
}

// extractComposite fills out with the object or interface fields graph gr
// serves and records its nodes, keys, requires and provides in meta.
func (g *graph) extractComposite(def *ast.Definition, jts []*ast.Directive, gr joinGraph, out *ast.Definition, meta *plan.DataSourceMetadata) {
	node := plan.TypeField{TypeName: def.Name}
	var keys []plan.FederationFieldConfiguration
	interfaceObject := false
	for _, jt := range jts {
		interfaceObject = interfaceObject || argBool(jt, "isInterfaceObject")
		k := argValue(jt, "key")
		if k == "" {
			continue
		}
		resolvable := argValue(jt, "resolvable") != "false"
		keys = append(keys, plan.FederationFieldConfiguration{TypeName: def.Name, SelectionSet: k, DisableEntityResolver: !resolvable})
		kd := &ast.Directive{Name: "key", Arguments: ast.ArgumentList{{Name: "fields", Value: &ast.Value{Kind: ast.StringValue, Raw: k}}}}
		if !resolvable {
			kd.Arguments = append(kd.Arguments, &ast.Argument{Name: "resolvable", Value: &ast.Value{Kind: ast.BooleanValue, Raw: "false"}})
		}
		out.Directives = append(out.Directives, kd)
	}
	if interfaceObject {
		out.Kind = ast.Object
		out.Directives = append(out.Directives, &ast.Directive{Name: "interfaceObject"})
	} else {
		out.Interfaces = g.implements(def, gr)
	}
	keyFields := map[string]bool{}
	for _, k := range keys {
		for _, name := range fieldset.TopLevel(k.SelectionSet) {
			keyFields[name] = true
		}
	}
	for _, f := range def.Fields {
		in, jf := fieldIn(f, gr)
		if !in {
			continue
		}
		fc := &ast.FieldDefinition{Name: f.Name, Description: f.Description, Arguments: f.Arguments, Type: f.Type}
		if d := f.Directives.ForName("deprecated"); d != nil {
			fc.Directives = append(fc.Directives, d)
		}
		external := false
		if jf != nil {
			external = argBool(jf, "external") || argBool(jf, "usedOverridden")
			if t := argValue(jf, "type"); t != "" {
				if parsed, err := parseType(t); err == nil {
					fc.Type = parsed
				}
			}
			if r := argValue(jf, "requires"); r != "" {
				fc.Directives = append(fc.Directives, fieldSetDirective("requires", r))
				meta.Requires = append(meta.Requires, plan.FederationFieldConfiguration{TypeName: def.Name, FieldName: f.Name, SelectionSet: r})
			}
			if p := argValue(jf, "provides"); p != "" {
				fc.Directives = append(fc.Directives, fieldSetDirective("provides", p))
				meta.Provides = append(meta.Provides, plan.FederationFieldConfiguration{TypeName: def.Name, FieldName: f.Name, SelectionSet: p})
			}
		}
		if external {
			fc.Directives = append(fc.Directives, &ast.Directive{Name: "external"})
			node.ExternalFieldNames = append(node.ExternalFieldNames, f.Name)
		}
		// A Fed1-style external key field is still resolvable by this graph.
		if !external || keyFields[f.Name] {
			node.FieldNames = append(node.FieldNames, f.Name)
		}
		out.Fields = append(out.Fields, fc)
	}
	if len(keys) == 0 && def.Kind == ast.Object && !interfaceObject && !g.roots[def.Name] {
		keys = borrowedKeys(def, gr, node, out)
	}
	meta.Keys = append(meta.Keys, keys...)
	if len(keys) == 0 && !g.roots[def.Name] {
		meta.ChildNodes = append(meta.ChildNodes, node)
		return
	}
	meta.RootNodes = append(meta.RootNodes, node)
	if len(keys) == 0 {
		return
	}
	switch {
	case interfaceObject:
		// The graph only knows the interface; the planner needs every
		// implementer as an entity it can be asked for.
		impls := g.implementers(def.Name, joinGraph{})
		meta.InterfaceObjects = append(meta.InterfaceObjects, plan.EntityInterfaceConfiguration{InterfaceTypeName: def.Name, ConcreteTypeNames: impls})
		for _, impl := range impls {
			n := node
			n.TypeName = impl
			meta.RootNodes = append(meta.RootNodes, n)
			for _, k := range keys {
				k.TypeName = impl
				meta.Keys = append(meta.Keys, k)
			}
		}
	case def.Kind == ast.Interface:
		meta.EntityInterfaces = append(meta.EntityInterfaces, plan.EntityInterfaceConfiguration{InterfaceTypeName: def.Name, ConcreteTypeNames: g.implementers(def.Name, gr)})
	}
}

// borrowedKeys gives an object type that graph gr holds without a @key the
// keys other graphs resolve it by, as keys gr cannot be asked for
// (resolvable: false), when gr has every key field. Only then does the
// engine's planner see that an entity of that type fetched from gr (a
// list item under a @provides, say) can be sent to its owner for more
// fields; without it the planner finds no way there and fails the
// operation (router/docs/engine-behaviour.md, entry 7).
func borrowedKeys(def *ast.Definition, gr joinGraph, node plan.TypeField, out *ast.Definition) []plan.FederationFieldConfiguration {
	has := map[string]bool{}
	for _, f := range node.FieldNames {
		has[f] = true
	}
	for _, f := range node.ExternalFieldNames {
		has[f] = true
	}
	var keys []plan.FederationFieldConfiguration
	seen := map[string]bool{}
	for _, d := range def.Directives {
		if d.Name != "join__type" || argValue(d, "graph") == gr.enum || argValue(d, "resolvable") == "false" {
			continue
		}
		k := argValue(d, "key")
		if k == "" || seen[k] {
			continue
		}
		names := fieldset.TopLevel(k)
		if len(names) == 0 || !allIn(names, has) {
			continue
		}
		seen[k] = true
		keys = append(keys, plan.FederationFieldConfiguration{TypeName: def.Name, SelectionSet: k, DisableEntityResolver: true})
		out.Directives = append(out.Directives, &ast.Directive{Name: "key", Arguments: ast.ArgumentList{
			{Name: "fields", Value: &ast.Value{Kind: ast.StringValue, Raw: k}},
			{Name: "resolvable", Value: &ast.Value{Kind: ast.BooleanValue, Raw: "false"}},
		}})
	}
	return keys
}

func allIn(names []string, set map[string]bool) bool {
	for _, n := range names {
		if !set[n] {
			return false
		}
	}
	return true
}

// implements lists the interfaces def implements in gr. Without any
// @join__implements the type implements its interfaces everywhere.
func (g *graph) implements(def *ast.Definition, gr joinGraph) []string {
	var out []string
	seen := false
	for _, d := range def.Directives {
		if d.Name == "join__implements" {
			seen = true
			if argValue(d, "graph") == gr.enum {
				out = append(out, argValue(d, "interface"))
			}
		}
	}
	if !seen {
		return def.Interfaces
	}
	return out
}

// implementers lists object types implementing iface, in gr when gr.enum is
// set, in the supergraph otherwise.
func (g *graph) implementers(iface string, gr joinGraph) []string {
	var out []string
	for _, def := range g.doc.Definitions {
		if def.Kind != ast.Object {
			continue
		}
		if gr.enum == "" {
			if slices.Contains(def.Interfaces, iface) {
				out = append(out, def.Name)
			}
			continue
		}
		if len(joinTypes(def, gr)) > 0 && slices.Contains(g.implements(def, gr), iface) {
			out = append(out, def.Name)
		}
	}
	return out
}

func (g *graph) unionMembers(def *ast.Definition, gr joinGraph) []string {
	var out []string
	seen := false
	for _, d := range def.Directives {
		if d.Name == "join__unionMember" {
			seen = true
			if argValue(d, "graph") == gr.enum {
				out = append(out, argValue(d, "member"))
			}
		}
	}
	if seen {
		return out
	}
	for _, m := range def.Types {
		if t := g.doc.Definitions.ForName(m); t != nil && len(joinTypes(t, gr)) > 0 {
			out = append(out, m)
		}
	}
	return out
}

func enumValues(def *ast.Definition, gr joinGraph) ast.EnumValueList {
	var out ast.EnumValueList
	seen := false
	for _, v := range def.EnumValues {
		for _, d := range v.Directives {
			if d.Name != "join__enumValue" {
				continue
			}
			seen = true
			if argValue(d, "graph") == gr.enum {
				out = append(out, &ast.EnumValueDefinition{Name: v.Name, Description: v.Description})
			}
		}
	}
	if seen {
		return out
	}
	for _, v := range def.EnumValues {
		out = append(out, &ast.EnumValueDefinition{Name: v.Name, Description: v.Description})
	}
	return out
}

func fieldSetDirective(name, fields string) *ast.Directive {
	return &ast.Directive{Name: name, Arguments: ast.ArgumentList{{Name: "fields", Value: &ast.Value{Kind: ast.StringValue, Raw: fields}}}}
}
