// Package fieldset reads the FieldSet strings of @key, @requires and @provides
// ("id organization { id }"), for the composer and the supergraph reader alike.
package fieldset

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Field is one field of a FieldSet and the fields selected under it, or
// an inline fragment (@provides and @requires on abstract types): then On
// is its type condition, Name is empty and Children are its selections.
type Field struct {
	Name     string
	On       string
	Children []Field
	// HasArguments: the field is selected with arguments, which @requires
	// allows (price(currency: "USD")) and @key does not.
	HasArguments bool
}

// Parse reads a FieldSet with the GraphQL parser: a FieldSet is a selection
// set without its outer braces. Aliases, directives and named fragments are
// refused, as the Federation spec refuses them; inline fragments need a
// type condition. Arguments are read (HasArguments); a @key refuses them.
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
		if fr, ok := sel.(*ast.InlineFragment); ok {
			if fr.TypeCondition == "" || len(fr.Directives) > 0 {
				return nil, fmt.Errorf("an inline fragment in a field set needs a type condition and no directives")
			}
			children, err := convert(fr.SelectionSet)
			if err != nil {
				return nil, err
			}
			out = append(out, Field{On: fr.TypeCondition, Children: children})
			continue
		}
		f, ok := sel.(*ast.Field)
		if !ok {
			return nil, fmt.Errorf("named fragments in field sets are not supported")
		}
		if f.Alias != f.Name || len(f.Directives) > 0 {
			return nil, fmt.Errorf("%s: aliases and directives are not allowed in a field set", f.Alias)
		}
		children, err := convert(f.SelectionSet)
		if err != nil {
			return nil, err
		}
		out = append(out, Field{Name: f.Name, Children: children, HasArguments: len(f.Arguments) > 0})
	}
	return out, nil
}

// TopLevel returns the outermost field names of a FieldSet (not those in
// fragments), or none when it does not parse (composition has refused such
// a supergraph already).
func TopLevel(s string) []string {
	fields, err := Parse(s)
	if err != nil {
		return nil
	}
	var names []string
	for _, f := range fields {
		if f.On == "" {
			names = append(names, f.Name)
		}
	}
	return names
}

// HasArguments reports whether any field of fields, at any depth, is
// selected with arguments.
func HasArguments(fields []Field) bool {
	for _, f := range fields {
		if f.HasArguments || HasArguments(f.Children) {
			return true
		}
	}
	return false
}
