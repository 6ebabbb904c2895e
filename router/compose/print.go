package compose

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/myshop/supergraph/router/events"
)

const joinDefinitions = `directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA

scalar join__FieldSet
`

const inaccessibleDefinition = `directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION

`

const tagDefinition = `directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA

`

const linkDefinitions = `scalar link__Import

enum link__Purpose {
  """
  ` + "`SECURITY`" + ` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  ` + "`EXECUTION`" + ` features provide metadata necessary for operation execution.
  """
  EXECUTION
}
`

// print renders the supergraph. Types are printed first into a buffer so the
// header knows whether @inaccessible is used.
func (c *composer) print() string {
	var body strings.Builder
	for _, name := range c.typeNames() {
		defs := c.definitions(name)
		kind, first := c.kind(name, defs)
		mismatch := false
		for _, d := range defs {
			if d.def.Kind != kind && !d.s.interfaceObjects[name] {
				mismatch = true
				c.errorf("[TYPE_KIND_MISMATCH] type %s is a %s in subgraph %s but a %s in subgraph %s",
					name, strings.ToLower(string(kind)), first.s.Name, strings.ToLower(string(d.def.Kind)), d.s.Name)
			}
		}
		if mismatch {
			continue // its fields cannot be merged meaningfully
		}
		body.WriteString("\n")
		switch kind {
		case ast.Object, ast.Interface:
			c.printComposite(&body, name, kind, defs)
		case ast.Union:
			c.printUnion(&body, name, defs)
		case ast.Enum:
			c.printEnum(&body, name, defs)
		case ast.InputObject:
			c.printInput(&body, name, defs)
		case ast.Scalar:
			c.printScalar(&body, name, defs)
		}
	}

	var b strings.Builder
	b.WriteString("schema\n  @link(url: \"https://specs.apollo.dev/link/v1.0\")\n  @link(url: \"https://specs.apollo.dev/join/v0.3\", for: EXECUTION)\n")
	if c.inaccessible {
		b.WriteString("  @link(url: \"https://specs.apollo.dev/inaccessible/v0.2\", for: SECURITY)\n")
	}
	if c.tag {
		b.WriteString("  @link(url: \"https://specs.apollo.dev/tag/v0.3\")\n")
	}
	if c.requiresScopes {
		b.WriteString("  @link(url: \"https://specs.apollo.dev/requiresScopes/v0.1\", for: SECURITY)\n")
	}
	if c.authenticated {
		b.WriteString("  @link(url: \"https://specs.apollo.dev/authenticated/v0.1\", for: SECURITY)\n")
	}
	if c.cost {
		b.WriteString("  @link(url: \"https://specs.apollo.dev/cost/v0.1\", import: [\"@cost\", \"@listSize\"])\n")
	}
	b.WriteString("{\n  query: Query\n")
	if len(c.definitions("Query")) == 0 {
		c.errorf("no subgraph defines type Query")
	}
	for _, root := range []string{"mutation", "subscription"} {
		typ := strings.ToUpper(root[:1]) + root[1:]
		if len(c.definitions(typ)) > 0 {
			fmt.Fprintf(&b, "  %s: %s\n", root, typ)
		}
	}
	b.WriteString("}\n\n")
	if c.inaccessible {
		b.WriteString(inaccessibleDefinition)
	}
	if c.tag {
		b.WriteString(tagDefinition)
	}
	if c.requiresScopes {
		b.WriteString(requiresScopesDefinition)
	}
	if c.authenticated {
		b.WriteString(authenticatedDefinition)
	}
	if c.cost {
		b.WriteString(costDefinitions)
	}
	if c.cacheControl {
		b.WriteString(cacheControlDefinitions)
	}
	if c.eventSources {
		b.WriteString(events.Definition + "\n")
	}
	b.WriteString(joinDefinitions)
	b.WriteString("\nenum join__Graph {\n")
	for _, s := range c.subgraphs {
		fmt.Fprintf(&b, "  %s @join__graph(name: %s, url: %s)\n", s.enum, quote(s.Name), quote(s.URL))
	}
	b.WriteString("}\n\n")
	b.WriteString(linkDefinitions)
	b.WriteString(body.String())
	return b.String()
}

// kind is the kind of a merged type: an @interfaceObject stands for an
// interface that another subgraph defines.
func (c *composer) kind(name string, defs []typeIn) (ast.DefinitionKind, typeIn) {
	for _, d := range defs {
		if !d.s.interfaceObjects[name] {
			return d.def.Kind, d
		}
	}
	c.errorf("type %s is an @interfaceObject in %s but no subgraph defines the interface", name, defs[0].s.Name)
	return ast.Interface, defs[0]
}

func (c *composer) printComposite(b *strings.Builder, name string, kind ast.DefinitionKind, defs []typeIn) {
	writeDescription(b, "", firstDescription(defs))
	keyword := "type"
	if kind == ast.Interface {
		keyword = "interface"
	}
	b.WriteString(keyword + " " + name)
	var interfaces []string
	for _, d := range defs {
		for _, i := range d.def.Interfaces {
			if !contains(interfaces, i) {
				interfaces = append(interfaces, i)
			}
		}
	}
	if len(interfaces) > 0 {
		b.WriteString(" implements " + strings.Join(interfaces, " & "))
	}
	b.WriteString("\n")
	c.writeJoinTypes(b, defs)
	for _, d := range defs {
		for _, i := range d.def.Interfaces {
			fmt.Fprintf(b, "  @join__implements(graph: %s, interface: %s)\n", d.s.enum, quote(i))
		}
	}
	c.writeTypeDirectives(b, defs)
	typeAcc := typeAccess(defs)
	if kind == ast.Interface {
		typeAcc = c.interfaceTypeAccess(name, typeAcc)
	}
	c.writeAccess(b, "  ", typeAcc, "\n")
	if kind == ast.Object {
		b.WriteString(c.demandOf("  ", typeDirectives(defs), "\n"))
	}
	b.WriteString(c.cacheControlOf("  ", typeDirectives(defs), "\n"))
	b.WriteString("{\n")
	order, byName := fields(defs)
	for _, fname := range order {
		fs := byName[fname]
		c.checkField(name, kind, defs, fs)
		acc := accessOf(fieldDirectives(fs))
		if kind == ast.Interface {
			acc = c.interfaceFieldAccess(name, fname, acc)
		} else {
			acc = c.objectFieldAccess(interfaces, fname, acc)
		}
		c.printField(b, fs, len(fs) != len(defs), acc)
	}
	if kind == ast.Object {
		c.printInterfaceObjectFields(b, interfaces, order)
	}
	b.WriteString("}\n")
}

// printInterfaceObjectFields adds to an implementation the fields that
// @interfaceObject subgraphs contribute to its interfaces. No subgraph
// resolves them on the object itself (a bare @join__field): the router gets
// them through the interface object's entity.
func (c *composer) printInterfaceObjectFields(b *strings.Builder, interfaces, have []string) {
	for _, iface := range interfaces {
		for _, d := range c.definitions(iface) {
			if !d.s.interfaceObjects[iface] {
				continue
			}
			for _, f := range d.def.Fields {
				if contains(have, f.Name) {
					continue
				}
				have = append(have, f.Name)
				fs := []*fieldIn{{s: d.s, def: f}}
				b.WriteString("  " + f.Name + c.printArgDefs(f.Arguments, fs) + ": " + f.Type.String() + " @join__field")
				c.writeBuiltinDirectives(b, fieldDirectives(fs))
				c.writeAccess(b, " ", accessOf(fieldDirectives(fs)), "")
				b.WriteString("\n")
			}
		}
	}
}

func (c *composer) printField(b *strings.Builder, fs []*fieldIn, partial bool, acc access) {
	def := fs[0].def
	for _, f := range fs {
		if !f.external && f.overriddenBy == "" {
			def = f.def
			break
		}
	}
	var desc string
	for _, f := range fs {
		if desc = f.def.Description; desc != "" {
			break
		}
	}
	writeDescription(b, "  ", desc)
	typ := fieldType(fs).String()
	b.WriteString("  " + def.Name + c.printArgDefs(def.Arguments, fs) + ": " + typ)

	needJoin := partial
	typesDiffer := false
	for _, f := range fs {
		typesDiffer = typesDiffer || f.def.Type.String() != typ
	}
	needJoin = needJoin || typesDiffer
	for _, f := range fs {
		needJoin = needJoin || f.external || f.override != "" || f.overriddenBy != "" ||
			f.s.directive(f.def.Directives, "requires") != nil || f.s.directive(f.def.Directives, "provides") != nil
	}
	for _, f := range fs {
		if !needJoin {
			break
		}
		args := []string{"graph: " + f.s.enum}
		if typesDiffer {
			args = append(args, "type: "+quote(f.def.Type.String()))
		}
		if f.overriddenBy != "" {
			if !f.s.keyFieldNames(f.s.types[typeOf(f)])[f.def.Name] {
				continue
			}
			args = append(args, "usedOverridden: true")
		}
		if d := f.s.directive(f.def.Directives, "requires"); d != nil {
			args = append(args, "requires: "+quote(argString(d, "fields")))
		}
		if d := f.s.directive(f.def.Directives, "provides"); d != nil {
			args = append(args, "provides: "+quote(argString(d, "fields")))
		}
		if f.external {
			args = append(args, "external: true")
		}
		if f.override != "" {
			args = append(args, "override: "+quote(f.override))
		}
		b.WriteString(" @join__field(" + strings.Join(args, ", ") + ")")
	}
	c.writeBuiltinDirectives(b, fieldDirectives(fs))
	c.writeAccess(b, " ", acc, "")
	b.WriteString(c.demandOf(" ", fieldDirectives(fs), ""))
	b.WriteString(c.cacheControlOf(" ", fieldDirectives(fs), ""))
	b.WriteString(c.eventSourceOf(" ", fieldDirectives(fs), ""))
	b.WriteString("\n")
}

// typeOf finds the name of the type that declares f in its subgraph.
func typeOf(f *fieldIn) string {
	for name, t := range f.s.types {
		for _, fd := range t.Fields {
			if fd == f.def {
				return name
			}
		}
	}
	return ""
}

func fieldDirectives(fs []*fieldIn) []typedDirectives {
	out := make([]typedDirectives, len(fs))
	for i, f := range fs {
		out[i] = typedDirectives{f.s, f.def.Directives}
	}
	return out
}

// typedDirectives are directives applied in one subgraph.
type typedDirectives struct {
	s    *subgraph
	dirs ast.DirectiveList
}

// writeBuiltinDirectives copies @deprecated (from the first subgraph using
// it) and @inaccessible (when any subgraph uses it); every other directive
// stays in its subgraph.
func (c *composer) writeBuiltinDirectives(b *strings.Builder, all []typedDirectives) {
	inaccessible := false
	deprecated := ""
	for _, td := range all {
		for _, d := range td.dirs {
			if td.s.fedName(d.Name) == "inaccessible" {
				inaccessible = true
			}
			if d.Name == "deprecated" && deprecated == "" {
				deprecated = " @deprecated"
				if r := d.Arguments.ForName("reason"); r != nil && r.Value != nil {
					deprecated = " @deprecated(reason: " + quote(r.Value.Raw) + ")"
				}
			}
		}
	}
	b.WriteString(deprecated)
	c.writeInaccessible(b, " ", inaccessible, "")
	for _, tag := range tags(all) {
		c.tag = true
		b.WriteString(" @tag(name: " + quote(tag) + ")")
	}
}

// writeTypeDirectives writes a type's @inaccessible and @tag lines.
func (c *composer) writeTypeDirectives(b *strings.Builder, defs []typeIn) {
	c.writeInaccessible(b, "  ", c.anyInaccessible(defs), "\n")
	all := make([]typedDirectives, len(defs))
	for i, d := range defs {
		all[i] = typedDirectives{d.s, d.def.Directives}
	}
	for _, tag := range tags(all) {
		c.tag = true
		b.WriteString("  @tag(name: " + quote(tag) + ")\n")
	}
}

// tags returns the distinct @tag names applied in any subgraph; contracts
// filter on them, the router itself ignores them.
func tags(all []typedDirectives) []string {
	var out []string
	for _, td := range all {
		for _, d := range td.dirs {
			if td.s.fedName(d.Name) != "tag" {
				continue
			}
			if name := argString(d, "name"); name != "" && !contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

func (c *composer) writeInaccessible(b *strings.Builder, before string, yes bool, after string) {
	if yes {
		c.inaccessible = true
		b.WriteString(before + "@inaccessible" + after)
	}
}

func (c *composer) anyInaccessible(defs []typeIn) bool {
	for _, d := range defs {
		if d.s.directive(d.def.Directives, "inaccessible") != nil {
			return true
		}
	}
	return false
}

func (c *composer) printArgDefs(args ast.ArgumentDefinitionList, fs []*fieldIn) string {
	if len(args) == 0 {
		return ""
	}
	parts := make([]string, len(args))
	for i, a := range args {
		var p strings.Builder
		if a.Description != "" {
			p.WriteString(quote(a.Description) + " ")
		}
		p.WriteString(a.Name + ": " + a.Type.String())
		if a.DefaultValue != nil {
			p.WriteString(" = " + a.DefaultValue.String())
		}
		var dirs []typedDirectives
		for _, f := range fs {
			if fa := f.def.Arguments.ForName(a.Name); fa != nil {
				dirs = append(dirs, typedDirectives{f.s, fa.Directives})
			}
		}
		c.writeBuiltinDirectives(&p, dirs)
		p.WriteString(c.demandOf(" ", dirs, ""))
		parts[i] = p.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// writeJoinTypes writes one @join__type per subgraph and key.
func (c *composer) writeJoinTypes(b *strings.Builder, defs []typeIn) {
	for _, d := range defs {
		ext := ""
		if d.s.extension[d.def.Name] {
			ext = ", extension: true"
		}
		if d.s.interfaceObjects[d.def.Name] {
			ext += ", isInterfaceObject: true"
		}
		keys := d.s.keys(d.def)
		if len(keys) == 0 || (d.def.Kind != ast.Object && d.def.Kind != ast.Interface) {
			fmt.Fprintf(b, "  @join__type(graph: %s%s)\n", d.s.enum, ext)
			continue
		}
		for _, k := range keys {
			res := ""
			if !k.resolvable {
				res = ", resolvable: false"
			}
			fmt.Fprintf(b, "  @join__type(graph: %s, key: %s%s%s)\n", d.s.enum, quote(k.fields), ext, res)
		}
	}
}

func (c *composer) printUnion(b *strings.Builder, name string, defs []typeIn) {
	writeDescription(b, "", firstDescription(defs))
	b.WriteString("union " + name + "\n")
	c.writeJoinTypes(b, defs)
	var members []string
	for _, d := range defs {
		for _, m := range d.def.Types {
			fmt.Fprintf(b, "  @join__unionMember(graph: %s, member: %s)\n", d.s.enum, quote(m))
			if !contains(members, m) {
				members = append(members, m)
			}
		}
	}
	c.writeTypeDirectives(b, defs)
	b.WriteString(c.cacheControlOf("  ", typeDirectives(defs), "\n"))
	b.WriteString(" = " + strings.Join(members, " | ") + "\n")
}

func (c *composer) printEnum(b *strings.Builder, name string, defs []typeIn) {
	writeDescription(b, "", firstDescription(defs))
	b.WriteString("enum " + name + "\n")
	c.writeJoinTypes(b, defs)
	c.writeTypeDirectives(b, defs)
	c.writeAccess(b, "  ", typeAccess(defs), "\n")
	b.WriteString(c.demandOf("  ", typeDirectives(defs), "\n"))
	b.WriteString("{\n")
	var order []string
	by := map[string][]typeIn{}
	for _, d := range defs {
		for _, v := range d.def.EnumValues {
			if _, ok := by[v.Name]; !ok {
				order = append(order, v.Name)
			}
			by[v.Name] = append(by[v.Name], d)
		}
	}
	order = c.mergeEnumValues(name, defs, order, by)
	for _, v := range order {
		var desc string
		var dirs []typedDirectives
		for _, d := range by[v] {
			ev := d.def.EnumValues.ForName(v)
			if desc == "" {
				desc = ev.Description
			}
			dirs = append(dirs, typedDirectives{d.s, ev.Directives})
		}
		writeDescription(b, "  ", desc)
		b.WriteString("  " + v)
		for _, d := range by[v] {
			fmt.Fprintf(b, " @join__enumValue(graph: %s)", d.s.enum)
		}
		c.writeBuiltinDirectives(b, dirs)
		b.WriteString("\n")
	}
	b.WriteString("}\n")
}

// printInput keeps the fields every subgraph defines (input types merge by
// intersection); a required field missing somewhere is an error.
func (c *composer) printInput(b *strings.Builder, name string, defs []typeIn) {
	writeDescription(b, "", firstDescription(defs))
	b.WriteString("input " + name + "\n")
	c.writeJoinTypes(b, defs)
	c.writeTypeDirectives(b, defs)
	b.WriteString("{\n")
	order, byName := fields(defs)
	for _, fname := range order {
		fs := byName[fname]
		first := fs[0].def
		for _, f := range fs[1:] {
			if f.def.Type.String() != first.Type.String() {
				c.errorf("input field %s.%s has type %s in subgraph %s but %s in subgraph %s",
					name, fname, first.Type, fs[0].s.Name, f.def.Type, f.s.Name)
			}
		}
		if len(fs) != len(defs) {
			if first.Type.NonNull && first.DefaultValue == nil {
				c.errorf("input field %s.%s is required in subgraph %s but missing in others", name, fname, subgraphNames(fs))
			}
			continue
		}
		var desc string
		for _, f := range fs {
			if desc = f.def.Description; desc != "" {
				break
			}
		}
		writeDescription(b, "  ", desc)
		b.WriteString("  " + fname + ": " + first.Type.String())
		if first.DefaultValue != nil {
			b.WriteString(" = " + first.DefaultValue.String())
		}
		c.writeBuiltinDirectives(b, fieldDirectives(fs))
		b.WriteString(c.demandOf(" ", fieldDirectives(fs), ""))
		b.WriteString("\n")
	}
	b.WriteString("}\n")
}

func (c *composer) printScalar(b *strings.Builder, name string, defs []typeIn) {
	writeDescription(b, "", firstDescription(defs))
	b.WriteString("scalar " + name + "\n")
	c.writeJoinTypes(b, defs)
	for _, d := range defs {
		if sb := d.def.Directives.ForName("specifiedBy"); sb != nil {
			fmt.Fprintf(b, "  @specifiedBy(url: %s)\n", quote(argString(sb, "url")))
			break
		}
	}
	c.writeTypeDirectives(b, defs)
	c.writeAccess(b, "  ", typeAccess(defs), "\n")
	b.WriteString(c.demandOf("  ", typeDirectives(defs), "\n"))
}

// firstDescription picks the description of the subgraph that declares the
// most fields of the type (the one that most likely owns it), ties broken by
// subgraph order, so an entity is described by its owner rather than by a
// subgraph that only contributes a field.
func firstDescription(defs []typeIn) string {
	desc, most := "", -1
	for _, d := range defs {
		if d.def.Description != "" && len(d.def.Fields)+len(d.def.EnumValues) > most {
			desc, most = d.def.Description, len(d.def.Fields)+len(d.def.EnumValues)
		}
	}
	return desc
}

// writeDescription prints a description as a block string, on one line when
// it fits, as graphql-js does.
func writeDescription(b *strings.Builder, indent, desc string) {
	if desc == "" {
		return
	}
	escaped := strings.ReplaceAll(desc, `"""`, `\"""`)
	if !strings.Contains(desc, "\n") && !strings.HasSuffix(desc, `"`) && !strings.HasSuffix(desc, `\`) {
		b.WriteString(indent + `"""` + escaped + `"""` + "\n")
		return
	}
	b.WriteString(indent + `"""` + "\n")
	for _, line := range strings.Split(escaped, "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString(indent + line + "\n")
	}
	b.WriteString(indent + `"""` + "\n")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// quote prints s as a GraphQL string literal.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
