package conformance

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Canonical renders a supergraph as sorted lines that two composers agree
// on when their outputs mean the same: descriptions, order, directive
// definitions, link machinery and default-valued join arguments are left
// out, and a field without @join__field gets one per graph of its type, as
// the join spec defines.
func Canonical(supergraph string) ([]string, error) {
	doc, err := parser.ParseSchema(&ast.Source{Input: supergraph})
	if err != nil {
		return nil, fmt.Errorf("parse supergraph: %w", err)
	}
	defs := map[string]*ast.Definition{}
	var names []string
	for _, d := range append(doc.Definitions, doc.Extensions...) {
		if machinery(d.Name) {
			continue
		}
		if defs[d.Name] == nil {
			defs[d.Name] = &ast.Definition{Name: d.Name, Kind: d.Kind}
			names = append(names, d.Name)
		}
		m := defs[d.Name]
		m.Directives = append(m.Directives, d.Directives...)
		m.Fields = append(m.Fields, d.Fields...)
		m.Interfaces = append(m.Interfaces, d.Interfaces...)
		m.Types = append(m.Types, d.Types...)
		m.EnumValues = append(m.EnumValues, d.EnumValues...)
	}
	var lines []string
	for _, name := range names {
		d := defs[name]
		lines = append(lines, fmt.Sprintf("%s %s", strings.ToLower(string(d.Kind)), name))
		var graphs []string
		for _, dir := range d.Directives {
			if s := directive(dir); s != "" {
				lines = append(lines, name+" "+s)
			}
			if dir.Name == "join__type" {
				if g := dir.Arguments.ForName("graph"); g != nil {
					graphs = append(graphs, g.Value.Raw)
				}
			}
		}
		for _, i := range d.Interfaces {
			lines = append(lines, name+" implements "+i)
		}
		for _, m := range d.Types {
			lines = append(lines, name+" member "+m)
		}
		for _, v := range d.EnumValues {
			lines = append(lines, name+"."+v.Name)
			for _, dir := range v.Directives {
				if s := directive(dir); s != "" {
					lines = append(lines, name+"."+v.Name+" "+s)
				}
			}
		}
		for _, f := range d.Fields {
			lines = append(lines, fieldLines(name, f, graphs, d.Kind)...)
		}
	}
	sort.Strings(lines)
	return dedupe(lines), nil
}

func fieldLines(typeName string, f *ast.FieldDefinition, graphs []string, kind ast.DefinitionKind) []string {
	sig := typeName + "." + f.Name
	var args []string
	for _, a := range f.Arguments {
		arg := a.Name + ": " + a.Type.String()
		if a.DefaultValue != nil {
			arg += " = " + a.DefaultValue.String()
		}
		for _, d := range a.Directives {
			if s := directive(d); s != "" {
				arg += " " + s
			}
		}
		args = append(args, arg)
	}
	if len(args) > 0 {
		sig += "(" + strings.Join(args, ", ") + ")"
	}
	sig += ": " + f.Type.String()
	if f.DefaultValue != nil {
		sig += " = " + f.DefaultValue.String()
	}
	lines := []string{sig}
	joined := false
	for _, d := range f.Directives {
		joined = joined || d.Name == "join__field"
		if s := directive(d); s != "" {
			lines = append(lines, typeName+"."+f.Name+" "+s)
		}
	}
	if !joined && kind != ast.InputObject {
		for _, g := range graphs {
			lines = append(lines, typeName+"."+f.Name+" @join__field(graph: "+g+")")
		}
	}
	return lines
}

// defaultArgs are join arguments whose value here equals their default.
var defaultArgs = map[string]string{
	"resolvable": "true", "extension": "false", "isInterfaceObject": "false",
	"external": "false", "usedOverridden": "false",
}

func directive(d *ast.Directive) string {
	if d.Name == "link" {
		return ""
	}
	var args []string
	for _, a := range d.Arguments {
		v := a.Value.String()
		if defaultArgs[a.Name] == v {
			continue
		}
		if a.Value.Kind == ast.StringValue || a.Value.Kind == ast.BlockValue {
			v = strings.Join(strings.Fields(a.Value.Raw), " ")
			v = `"` + fragmentSpacing.ReplaceAllString(fieldSetSpacing.ReplaceAllString(v, "$1"), "...on ") + `"`
		}
		args = append(args, a.Name+": "+v)
	}
	sort.Strings(args)
	if len(args) == 0 {
		return "@" + d.Name
	}
	return "@" + d.Name + "(" + strings.Join(args, ", ") + ")"
}

// fieldSetSpacing normalizes "a { b }" and "a{b}" in field sets (and
// "f(x: 1)" and "f(x:1)"), and fragmentSpacing "... on T" and "...on T".
var (
	fieldSetSpacing = regexp.MustCompile(`\s*([{}():,])\s*`)
	fragmentSpacing = regexp.MustCompile(`\.\.\.\s*on\s+`)
)

func machinery(name string) bool {
	return strings.HasPrefix(name, "join__") || strings.HasPrefix(name, "link__")
}

func dedupe(lines []string) []string {
	out := lines[:0]
	for i, l := range lines {
		if i == 0 || l != lines[i-1] {
			out = append(out, l)
		}
	}
	return out
}

// Diff returns lines only in a and lines only in b.
func Diff(a, b []string) (onlyA, onlyB []string) {
	in := func(list []string, s string) bool {
		i := sort.SearchStrings(list, s)
		return i < len(list) && list[i] == s
	}
	for _, l := range a {
		if !in(b, l) {
			onlyA = append(onlyA, l)
		}
	}
	for _, l := range b {
		if !in(a, l) {
			onlyB = append(onlyB, l)
		}
	}
	return onlyA, onlyB
}
