package supergraph

import (
	"bytes"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// builtinDirectives are defined by graphql-go-tools' base schema; defining
// them again makes the schema invalid there.
var builtinDirectives = map[string]bool{
	"deprecated": true, "specifiedBy": true, "oneOf": true, "include": true, "skip": true, "defer": true, "stream": true,
}

// routerDoc is the supergraph without the join/link machinery.
func (g *graph) routerDoc() *ast.SchemaDocument {
	out := &ast.SchemaDocument{}
	out.Schema = ast.SchemaDefinitionList{{OperationTypes: g.doc.Schema[0].OperationTypes}}
	for _, d := range g.doc.Directives {
		if !machinery(d.Name) && !builtinDirectives[d.Name] {
			out.Directives = append(out.Directives, d)
		}
	}
	for _, def := range g.doc.Definitions {
		if machinery(def.Name) {
			continue
		}
		c := *def
		c.Directives = withoutMachinery(def.Directives)
		c.Fields = nil
		for _, f := range def.Fields {
			fc := *f
			fc.Directives = withoutMachinery(f.Directives)
			fc.Arguments = nil
			for _, a := range f.Arguments {
				ac := *a
				ac.Directives = withoutMachinery(a.Directives)
				fc.Arguments = append(fc.Arguments, &ac)
			}
			c.Fields = append(c.Fields, &fc)
		}
		c.EnumValues = nil
		for _, v := range def.EnumValues {
			vc := *v
			vc.Directives = withoutMachinery(v.Directives)
			c.EnumValues = append(c.EnumValues, &vc)
		}
		out.Definitions = append(out.Definitions, &c)
	}
	return out
}

func withoutMachinery(dirs ast.DirectiveList) ast.DirectiveList {
	var out ast.DirectiveList
	for _, d := range dirs {
		if !machinery(d.Name) {
			out = append(out, d)
		}
	}
	return out
}

// apiDoc removes @inaccessible elements (and @tag) from a router document,
// then anything left dangling, as Apollo's API schema does.
func apiDoc(doc *ast.SchemaDocument) *ast.SchemaDocument {
	hidden := func(dirs ast.DirectiveList) bool { return dirs.ForName("inaccessible") != nil }
	strip := func(dirs ast.DirectiveList) ast.DirectiveList {
		var out ast.DirectiveList
		for _, d := range dirs {
			if d.Name != "inaccessible" && d.Name != "tag" {
				out = append(out, d)
			}
		}
		return out
	}
	var dirs ast.DirectiveDefinitionList
	for _, d := range doc.Directives {
		if d.Name != "inaccessible" && d.Name != "tag" {
			dirs = append(dirs, d)
		}
	}
	doc.Directives = dirs

	removed := map[string]bool{}
	for _, def := range doc.Definitions {
		if hidden(def.Directives) {
			removed[def.Name] = true
		}
	}
	// Removing a field can empty a type, which removes fields of other types:
	// repeat until nothing changes.
	for changed := true; changed; {
		changed = false
		var defs ast.DefinitionList
		for _, def := range doc.Definitions {
			if removed[def.Name] {
				continue
			}
			def.Directives = strip(def.Directives)
			var fields ast.FieldList
			for _, f := range def.Fields {
				if hidden(f.Directives) || removed[named(f.Type)] {
					continue
				}
				var args ast.ArgumentDefinitionList
				for _, a := range f.Arguments {
					if !hidden(a.Directives) {
						a.Directives = strip(a.Directives)
						args = append(args, a)
					}
				}
				f.Arguments = args
				f.Directives = strip(f.Directives)
				fields = append(fields, f)
			}
			def.Fields = fields
			var values ast.EnumValueList
			for _, v := range def.EnumValues {
				if !hidden(v.Directives) {
					v.Directives = strip(v.Directives)
					values = append(values, v)
				}
			}
			def.EnumValues = values
			def.Types = withoutNames(def.Types, removed)
			def.Interfaces = withoutNames(def.Interfaces, removed)
			empty := (def.Kind == ast.Object || def.Kind == ast.Interface || def.Kind == ast.InputObject) && len(def.Fields) == 0 ||
				def.Kind == ast.Union && len(def.Types) == 0 || def.Kind == ast.Enum && len(def.EnumValues) == 0
			if empty {
				removed[def.Name] = true
				changed = true
				continue
			}
			defs = append(defs, def)
		}
		doc.Definitions = defs
	}
	var ops ast.OperationTypeDefinitionList
	for _, op := range doc.Schema[0].OperationTypes {
		if !removed[op.Type] {
			ops = append(ops, op)
		}
	}
	doc.Schema = ast.SchemaDefinitionList{{OperationTypes: ops}}
	return doc
}

func withoutNames(names []string, removed map[string]bool) []string {
	var out []string
	for _, n := range names {
		if !removed[n] {
			out = append(out, n)
		}
	}
	return out
}

func named(t *ast.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
}

func printDoc(doc *ast.SchemaDocument) string {
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchemaDocument(doc)
	return b.String()
}
