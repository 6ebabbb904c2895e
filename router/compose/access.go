package compose

import (
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Access control: @authenticated and @requiresScopes compose into the
// supergraph as Apollo and Hive compose them, for the router to enforce.
// A type or field is @authenticated when any subgraph says so; the
// @requiresScopes of several subgraphs are all required (their scope sets
// combined as Hive's mergeScopePolicies does). An interface and its fields
// also take the requirements of its implementations, so that asking through
// the interface cannot get around them.

const authenticatedDefinition = `directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

`

const requiresScopesDefinition = `directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM

scalar requiresScopes__Scope

`

// access is the merged access control of one type or field.
type access struct {
	authenticated bool
	scopes        [][]string // (a AND b) OR c …
}

// and requires both.
func (a access) and(b access) access {
	return access{authenticated: a.authenticated || b.authenticated, scopes: mergeScopes(a.scopes, b.scopes)}
}

// accessOf merges the access directives applied in each subgraph.
func accessOf(all []typedDirectives) access {
	var out access
	for _, td := range all {
		for _, d := range td.dirs {
			switch td.s.fedName(d.Name) {
			case "authenticated":
				out.authenticated = true
			case "requiresScopes":
				out.scopes = mergeScopes(out.scopes, scopesArg(d))
			}
		}
	}
	return out
}

func scopesArg(d *ast.Directive) [][]string {
	a := d.Arguments.ForName("scopes")
	if a == nil || a.Value == nil {
		return nil
	}
	var out [][]string
	for _, group := range a.Value.Children {
		var all []string
		for _, s := range group.Value.Children {
			all = append(all, s.Value.Raw)
		}
		if group.Value.Kind != ast.ListValue && group.Value.Raw != "" {
			all = []string{group.Value.Raw} // list input coercion: "a" means ["a"]
		}
		out = append(out, all)
	}
	return out
}

// mergeScopes requires both scope policies: every pair of alternatives
// joined, supersets of another alternative dropped; ported from Hive's
// mergeScopePolicies so the output matches theirs.
func mergeScopes(a, b [][]string) [][]string {
	if len(a) == 0 || len(b) == 0 {
		src := a
		if len(src) == 0 {
			src = b
		}
		out := make([][]string, len(src))
		for i, g := range src {
			out[i] = slices.Clone(g)
		}
		return out
	}
	seen := map[string]bool{}
	var candidates [][]string
	for _, ga := range a {
		for _, gb := range b {
			merged := slices.Concat(ga, gb)
			slices.Sort(merged)
			merged = slices.Compact(merged)
			key := strings.Join(merged, ",")
			if !seen[key] {
				seen[key] = true
				candidates = append(candidates, merged)
			}
		}
	}
	slices.SortStableFunc(candidates, func(x, y []string) int { return len(x) - len(y) })
	var out [][]string
	for _, c := range candidates {
		if !slices.ContainsFunc(out, func(have []string) bool { return isSubset(have, c) }) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y []string) int {
		if len(x) != len(y) {
			return len(x) - len(y)
		}
		return localeCompare(strings.Join(x, ","), strings.Join(y, ","))
	})
	return out
}

func isSubset(sub, super []string) bool {
	for _, s := range sub {
		if !slices.Contains(super, s) {
			return false
		}
	}
	return true
}

// localeCompare approximates JavaScript's String.prototype.localeCompare
// for scope names: case-insensitive first, lower case before upper case.
func localeCompare(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return -strings.Compare(a, b)
}

// writeAccess prints the directives of a; the first use adds the spec's
// link and definitions to the supergraph.
func (c *composer) writeAccess(b *strings.Builder, before string, a access, after string) {
	if a.authenticated {
		c.authenticated = true
		b.WriteString(before + "@authenticated" + after)
	}
	if len(a.scopes) > 0 {
		c.requiresScopes = true
		groups := make([]string, len(a.scopes))
		for i, g := range a.scopes {
			quoted := make([]string, len(g))
			for j, s := range g {
				quoted[j] = quote(s)
			}
			groups[i] = "[" + strings.Join(quoted, ", ") + "]"
		}
		b.WriteString(before + "@requiresScopes(scopes: [" + strings.Join(groups, ", ") + "])" + after)
	}
}

// typeAccess is the merged access of a type's definitions.
func typeAccess(defs []typeIn) access {
	return accessOf(typeDirectives(defs))
}

// implementations are the object types that implement interface name in
// some subgraph.
func (c *composer) implementations(name string) []string {
	var out []string
	for _, t := range c.typeNames() {
		for _, d := range c.definitions(t) {
			if d.def.Kind == ast.Object && !d.s.interfaceObjects[t] && slices.Contains(d.def.Interfaces, name) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// interfaceTypeAccess adds the implementations' type access to an interface's.
func (c *composer) interfaceTypeAccess(name string, own access) access {
	for _, impl := range c.implementations(name) {
		own = own.and(typeAccess(c.definitions(impl)))
	}
	return own
}

// interfaceFieldAccess adds the implementations' field access to an
// interface field's.
func (c *composer) interfaceFieldAccess(name, field string, own access) access {
	for _, impl := range c.implementations(name) {
		_, byName := fields(c.definitions(impl))
		if fs := byName[field]; len(fs) > 0 {
			own = own.and(accessOf(fieldDirectives(fs)))
		}
	}
	return own
}

// objectFieldAccess adds to an object field the access of the same field
// on its interfaces that some subgraph sees as an @interfaceObject (Hive
// does; the interface object's subgraph resolves the field for it).
func (c *composer) objectFieldAccess(interfaces []string, field string, own access) access {
	for _, iface := range interfaces {
		defs := c.definitions(iface)
		if !slices.ContainsFunc(defs, func(d typeIn) bool { return d.s.interfaceObjects[iface] }) {
			continue
		}
		_, byName := fields(defs)
		if fs := byName[field]; len(fs) > 0 {
			own = own.and(accessOf(fieldDirectives(fs)))
		}
	}
	return own
}
