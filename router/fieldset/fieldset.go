// Package fieldset reads the FieldSet strings of @key, @requires and @provides
// ("id organization { id }"), for the composer and the supergraph reader alike.
package fieldset

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Field is one field of a FieldSet and the fields selected under it.
type Field struct {
	Name     string
	Children []Field
}

// Parse reads a FieldSet with the GraphQL parser: a FieldSet is a selection
// set without its outer braces. Aliases, arguments and fragments are refused,
// as the Federation spec refuses them in keys.
func Parse(s string) ([]Field, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: "{" + s + "}"})
	if err != nil {
		return nil, fmt.Errorf("field set %q: %w", s, err)
	}
	if len(doc.Operations) != 1 || len(doc.Fragments) > 0 {
		return nil, fmt.Errorf("field set %q is not a selection set", s)
	}
	fields, err := convert(doc.Operations[0].SelectionSet)
	if err != nil {
		return nil, fmt.Errorf("field set %q: %w", s, err)
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("empty field set")
	}
	return fields, nil
}

func convert(set ast.SelectionSet) ([]Field, error) {
	var out []Field
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok {
			return nil, fmt.Errorf("fragments in field sets are not supported")
		}
		if f.Alias != f.Name || len(f.Arguments) > 0 || len(f.Directives) > 0 {
			return nil, fmt.Errorf("%s: aliases, arguments and directives are not allowed in a field set", f.Alias)
		}
		children, err := convert(f.SelectionSet)
		if err != nil {
			return nil, err
		}
		out = append(out, Field{Name: f.Name, Children: children})
	}
	return out, nil
}

// TopLevel returns the outermost field names of a FieldSet, or none when it
// does not parse (composition has refused such a supergraph already).
func TopLevel(s string) []string {
	fields, err := Parse(s)
	if err != nil {
		return nil
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}
