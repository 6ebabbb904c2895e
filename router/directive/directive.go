// Package directive reads directive arguments of an SDL, for the composer
// and the supergraph reader alike.
package directive

import "github.com/vektah/gqlparser/v2/ast"

// Strings returns a [String!] argument of d; a single string counts as a list
// of one, as GraphQL's input coercion says.
func Strings(d *ast.Directive, name string) []string {
	a := d.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return nil
	}
	if a.Value.Kind == ast.StringValue {
		return []string{a.Value.Raw}
	}
	var out []string
	for _, c := range a.Value.Children {
		out = append(out, c.Value.Raw)
	}
	return out
}
