// Package compose merges Federation v2 subgraph schemas into a supergraph SDL
// in the join/link v0.3 format that Apollo's and Hive's tools read.
package compose

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/myshop/supergraph/router/fieldset"
)

// Subgraph is one input to composition: its name (used in errors and as the
// join__graph name), the URL the router calls, and its SDL.
type Subgraph struct {
	Name string
	URL  string
	SDL  string
}

// subgraph is a parsed Subgraph with its federation directives resolved.
type subgraph struct {
	Subgraph
	enum  string                     // join__Graph value, e.g. USERS
	types map[string]*ast.Definition // extensions merged into definitions
	// extension records types this subgraph only ever declared with `extend`.
	extension map[string]bool
	// interfaceObjects are object types marked @interfaceObject: this
	// subgraph's view of an entity interface defined elsewhere.
	interfaceObjects map[string]bool
	// fedNames maps a local directive name to its federation name, so an
	// import renamed with `as` or the `federation__` prefix is still understood.
	fedNames map[string]string
	roots    map[ast.Operation]string
}

// federationDirectives are the names composition interprets; any other
// directive on a subgraph element is dropped from the supergraph.
var federationDirectives = map[string]bool{
	"key": true, "shareable": true, "external": true, "requires": true, "provides": true,
	"override": true, "inaccessible": true, "extends": true, "tag": true, "interfaceObject": true,
	"composeDirective": true, "link": true, "authenticated": true, "requiresScopes": true, "policy": true,
	"cost": true, "listSize": true,
}

// federationTypes are definitions a subgraph may print (from `_service { sdl }`)
// that belong to the federation machinery, not to the graph.
var federationTypes = map[string]bool{
	"_Any": true, "_Entity": true, "_Service": true, "_FieldSet": true, "FieldSet": true,
	"link__Import": true, "link__Purpose": true, "federation__FieldSet": true, "federation__Scope": true,
	"federation__Policy": true,
	// @cacheControl's scope: the supergraph prints its own definition.
	"CacheControlScope": true,
}

func parseSubgraph(in Subgraph) (*subgraph, error) {
	if in.Name == "" {
		return nil, fmt.Errorf("subgraph with URL %q has no name", in.URL)
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: in.Name, Input: in.SDL})
	if err != nil {
		return nil, fmt.Errorf("subgraph %s: parse SDL: %w", in.Name, err)
	}
	s := &subgraph{
		Subgraph:  in,
		enum:      graphEnumName(in.Name),
		types:     map[string]*ast.Definition{},
		extension: map[string]bool{},
		fedNames:  map[string]string{},

		interfaceObjects: map[string]bool{},
		roots: map[ast.Operation]string{
			ast.Query: "Query", ast.Mutation: "Mutation", ast.Subscription: "Subscription",
		},
	}
	for _, sd := range append(append(ast.SchemaDefinitionList{}, doc.Schema...), doc.SchemaExtension...) {
		s.readLinks(sd.Directives)
		for _, op := range sd.OperationTypes {
			s.roots[op.Operation] = op.Type
		}
	}
	for _, d := range doc.Definitions {
		if federationTypes[d.Name] {
			continue
		}
		if _, ok := s.types[d.Name]; ok {
			return nil, fmt.Errorf("subgraph %s: type %s is defined twice", in.Name, d.Name)
		}
		s.types[d.Name] = copyDefinition(d)
	}
	for _, d := range doc.Extensions {
		if federationTypes[d.Name] {
			continue
		}
		t, ok := s.types[d.Name]
		if !ok {
			s.types[d.Name] = copyDefinition(d)
			s.extension[d.Name] = true
			continue
		}
		if t.Kind != d.Kind {
			return nil, fmt.Errorf("subgraph %s: extension of %s %s is a %s", in.Name, strings.ToLower(string(t.Kind)), d.Name, strings.ToLower(string(d.Kind)))
		}
		t.Directives = append(t.Directives, d.Directives...)
		t.Interfaces = append(t.Interfaces, d.Interfaces...)
		t.Fields = append(t.Fields, d.Fields...)
		t.Types = append(t.Types, d.Types...)
		t.EnumValues = append(t.EnumValues, d.EnumValues...)
	}
	for name, t := range s.types {
		if s.directive(t.Directives, "extends") != nil {
			s.extension[name] = true
		}
		if s.directive(t.Directives, "interfaceObject") != nil {
			if t.Kind != ast.Object || len(s.keys(t)) == 0 {
				return nil, fmt.Errorf("subgraph %s: @interfaceObject on %s needs an object type with a @key", in.Name, name)
			}
			s.interfaceObjects[name] = true
		}
		if op := s.rootOf(name); op != "" && name != defaultRoot(op) {
			return nil, fmt.Errorf("subgraph %s: renamed root type %s is not supported; name it %s", in.Name, name, defaultRoot(op))
		}
		// Subgraph SDL printed by a running server includes these fields.
		if name == "Query" {
			t.Fields = removeFields(t.Fields, "_entities", "_service")
		}
	}
	// Federation gives every subgraph a Query root (_service, _entities);
	// composers record it with a join__type even when the SDL has no Query.
	if _, ok := s.types["Query"]; !ok {
		s.types["Query"] = &ast.Definition{Kind: ast.Object, Name: "Query"}
	}
	return s, nil
}

func copyDefinition(d *ast.Definition) *ast.Definition {
	c := *d
	c.Directives = append(ast.DirectiveList{}, d.Directives...)
	c.Interfaces = append([]string{}, d.Interfaces...)
	c.Fields = append(ast.FieldList{}, d.Fields...)
	c.Types = append([]string{}, d.Types...)
	c.EnumValues = append(ast.EnumValueList{}, d.EnumValues...)
	return &c
}

func removeFields(fields ast.FieldList, names ...string) ast.FieldList {
	out := fields[:0]
	for _, f := range fields {
		drop := false
		for _, n := range names {
			drop = drop || f.Name == n
		}
		if !drop {
			out = append(out, f)
		}
	}
	return out
}

func defaultRoot(op ast.Operation) string {
	switch op {
	case ast.Mutation:
		return "Mutation"
	case ast.Subscription:
		return "Subscription"
	}
	return "Query"
}

func (s *subgraph) rootOf(typeName string) ast.Operation {
	for op, name := range s.roots {
		if name == typeName {
			return op
		}
	}
	return ""
}

// readLinks records how this subgraph's @link imports name federation directives.
func (s *subgraph) readLinks(dirs ast.DirectiveList) {
	for _, d := range dirs {
		if d.Name != "link" {
			continue
		}
		url := argString(d, "url")
		if !strings.Contains(url, "specs.apollo.dev/federation/") {
			continue
		}
		imports := d.Arguments.ForName("import")
		if imports == nil || imports.Value == nil {
			continue
		}
		for _, c := range imports.Value.Children {
			v := c.Value
			switch v.Kind {
			case ast.StringValue:
				name := strings.TrimPrefix(v.Raw, "@")
				s.fedNames[name] = name
			case ast.ObjectValue:
				name, as := "", ""
				for _, f := range v.Children {
					if f.Name == "name" {
						name = strings.TrimPrefix(f.Value.Raw, "@")
					}
					if f.Name == "as" {
						as = strings.TrimPrefix(f.Value.Raw, "@")
					}
				}
				if as == "" {
					as = name
				}
				s.fedNames[as] = name
			}
		}
	}
}

// fedName returns the federation name of a directive applied in this
// subgraph, or "" when it is not a federation directive.
func (s *subgraph) fedName(local string) string {
	if n, ok := s.fedNames[local]; ok {
		return n
	}
	if n, ok := strings.CutPrefix(local, "federation__"); ok && federationDirectives[n] {
		return n
	}
	if federationDirectives[local] {
		return local
	}
	return ""
}

func (s *subgraph) directive(dirs ast.DirectiveList, fedName string) *ast.Directive {
	for _, d := range dirs {
		if s.fedName(d.Name) == fedName {
			return d
		}
	}
	return nil
}

func (s *subgraph) directives(dirs ast.DirectiveList, fedName string) []*ast.Directive {
	var out []*ast.Directive
	for _, d := range dirs {
		if s.fedName(d.Name) == fedName {
			out = append(out, d)
		}
	}
	return out
}

// key is one @key of a type in one subgraph.
type key struct {
	fields     string
	resolvable bool
}

func (s *subgraph) keys(t *ast.Definition) []key {
	var out []key
	for _, d := range s.directives(t.Directives, "key") {
		k := key{fields: argString(d, "fields"), resolvable: true}
		if a := d.Arguments.ForName("resolvable"); a != nil && a.Value != nil && a.Value.Raw == "false" {
			k.resolvable = false
		}
		out = append(out, k)
	}
	return out
}

// keyFieldNames are the top-level fields named by any @key of t.
func (s *subgraph) keyFieldNames(t *ast.Definition) map[string]bool {
	out := map[string]bool{}
	for _, k := range s.keys(t) {
		sel, err := fieldset.Parse(k.fields)
		if err != nil {
			continue
		}
		for _, f := range sel {
			out[f.Name] = true
		}
	}
	return out
}

func argString(d *ast.Directive, name string) string {
	a := d.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return ""
	}
	return a.Value.Raw
}

// graphEnumName turns a subgraph name into its join__Graph enum value.
func graphEnumName(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case unicode.IsLetter(r) || r == '_' || (unicode.IsDigit(r) && i > 0):
			b.WriteRune(unicode.ToUpper(r))
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
