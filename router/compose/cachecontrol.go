package compose

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Cache hints: @cacheControl(maxAge:, scope:, inheritMaxAge:) as Apollo
// defines it, on object, interface and union types and on fields. Each
// subgraph's hints are checked, merged per element (the shortest age, and
// PRIVATE when any subgraph says so: a hint can only make caching
// stricter) and written into the supergraph, where the router computes each
// response's Cache-Control from the fields the operation touches.

const cacheControlDefinitions = `enum CacheControlScope {
  PUBLIC
  PRIVATE
}

directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION

`

// cacheHint is one element's merged @cacheControl.
type cacheHint struct {
	maxAge  *int
	private bool
	inherit bool
}

// checkCacheControl reports every @cacheControl of one subgraph that
// cannot mean anything: on a mutation or subscription (whose answers are
// never cached), with a negative or non-integer age, an unknown scope, or
// both an age and inheritMaxAge.
func (c *composer) checkCacheControl(s *subgraph) {
	bad := func(coord, rule string, args ...any) {
		c.errorf("[CACHE_CONTROL_INVALID] subgraph %s: @cacheControl on %s: %s", s.Name, coord, fmt.Sprintf(rule, args...))
	}
	check := func(coord string, d *ast.Directive) {
		var age, inherit bool
		for _, a := range d.Arguments {
			switch a.Name {
			case "maxAge":
				n, err := strconv.Atoi(a.Value.Raw)
				switch {
				case a.Value.Kind != ast.IntValue || err != nil:
					bad(coord, "maxAge must be an Int literal, not %s", a.Value.String())
				case n < 0:
					bad(coord, "maxAge %d is negative", n)
				}
				age = true
			case "scope":
				if a.Value.Kind != ast.EnumValue || (a.Value.Raw != "PUBLIC" && a.Value.Raw != "PRIVATE") {
					bad(coord, "scope must be PUBLIC or PRIVATE, not %s", a.Value.String())
				}
			case "inheritMaxAge":
				inherit = a.Value.Raw == "true"
			default:
				bad(coord, "unknown argument %s", a.Name)
			}
		}
		if age && inherit {
			bad(coord, "maxAge and inheritMaxAge: true contradict each other")
		}
	}
	for _, name := range sortedKeys(s.types) {
		t := s.types[name]
		op := s.rootOf(name)
		if d := t.Directives.ForName("cacheControl"); d != nil {
			switch {
			case op == ast.Mutation || op == ast.Subscription:
				bad(name, "a %s's answer is never cached", op)
			case t.Kind != ast.Object && t.Kind != ast.Interface && t.Kind != ast.Union:
				bad(name, "allowed on objects, interfaces and unions, not on a %s", strings.ToLower(string(t.Kind)))
			default:
				check(name, d)
			}
		}
		for _, f := range t.Fields {
			d := f.Directives.ForName("cacheControl")
			if d == nil {
				continue
			}
			coord := name + "." + f.Name
			if op == ast.Mutation || op == ast.Subscription {
				bad(coord, "a %s's answer is never cached", op)
				continue
			}
			check(coord, d)
		}
	}
}

// cacheControlOf merges the @cacheControl of one element across the
// subgraphs that define it and returns it as the supergraph prints it,
// between before and after; "" when none has one.
func (c *composer) cacheControlOf(before string, all []typedDirectives, after string) string {
	var h cacheHint
	seen, allInherit := false, true
	for _, td := range all {
		// A subgraph without a hint says nothing: it neither shortens the
		// age nor stops the others' inheritMaxAge.
		d := td.dirs.ForName("cacheControl")
		if d == nil {
			continue
		}
		seen = true
		if a := d.Arguments.ForName("maxAge"); a != nil {
			if n, err := strconv.Atoi(a.Value.Raw); err == nil && (h.maxAge == nil || n < *h.maxAge) {
				h.maxAge = &n
			}
		}
		if a := d.Arguments.ForName("scope"); a != nil && a.Value.Raw == "PRIVATE" {
			h.private = true
		}
		if a := d.Arguments.ForName("inheritMaxAge"); a == nil || a.Value.Raw != "true" {
			allInherit = false
		}
	}
	if !seen {
		return ""
	}
	c.cacheControl = true
	var args []string
	if h.maxAge != nil {
		args = append(args, "maxAge: "+strconv.Itoa(*h.maxAge))
	} else if allInherit {
		args = append(args, "inheritMaxAge: true")
	}
	if h.private {
		args = append(args, "scope: PRIVATE")
	}
	if len(args) == 0 {
		return before + "@cacheControl" + after
	}
	return before + "@cacheControl(" + strings.Join(args, ", ") + ")" + after
}
