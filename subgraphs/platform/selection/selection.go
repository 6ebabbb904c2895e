// Package selection tells a resolver what the operation selects below the
// field it resolves, so a parent can hand a whole level's keys to the
// loaders at once. Left to the child field resolvers, the keys reach a
// loader from goroutines over time, and a loaded machine splits one level
// into several statements.
package selection

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// Args finds the field at path below the field being resolved (through
// fragments of any type condition) and returns its arguments, defaults
// filled; false when the operation does not select it.
func Args(ctx context.Context, path ...string) (map[string]any, bool) {
	return ArgsOn(ctx, "", path...)
}

// ArgsOn is Args where the field being resolved is of type on: its
// fragments on other types do not count (an _entities field selects for
// every entity type at once).
func ArgsOn(ctx context.Context, on string, path ...string) (map[string]any, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return nil, false
	}
	op := graphql.GetOperationContext(ctx)
	sel := fc.Field.Selections
	var field graphql.CollectedField
	var satisfies []string
	if on != "" {
		satisfies = []string{on}
	}
	for _, name := range path {
		found := false
		for _, f := range graphql.CollectFields(op, sel, satisfies) {
			if f.Name == name {
				field, found = f, true
				break
			}
		}
		if !found {
			return nil, false
		}
		sel, satisfies = field.Selections, nil
	}
	return field.ArgumentMap(op.Variables), true
}

// Any reports whether the operation selects any of names directly below
// the field being resolved, which is of type on ("" for any type).
func Any(ctx context.Context, on string, names ...string) bool {
	for _, n := range names {
		if _, ok := ArgsOn(ctx, on, n); ok {
			return true
		}
	}
	return false
}
