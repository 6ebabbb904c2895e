package supergraph

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Coordinate names a field of an object or interface type.
type Coordinate struct {
	TypeName, FieldName string
}

func (c Coordinate) String() string { return c.TypeName + "." + c.FieldName }

// Rule is what a protected field requires of the request, from
// @authenticated and @requiresScopes on the field itself, on the type it
// returns and on the type that declares it (as Apollo's router applies
// them); every part must hold.
type Rule struct {
	// Authenticated: the request must carry verified claims.
	Authenticated bool
	// Scopes holds one entry per @requiresScopes that applies. An entry is
	// alternatives of scope sets: [["A","B"],["C"]] means (A and B) or C.
	// Any entry implies Authenticated.
	Scopes [][][]string
}

// Allows reports whether a request satisfies the rule. authenticated says
// whether it carries verified claims; hasScope answers for its scopes.
func (r Rule) Allows(authenticated bool, hasScope func(string) bool) bool {
	if (r.Authenticated || len(r.Scopes) > 0) && !authenticated {
		return false
	}
	for _, alternatives := range r.Scopes {
		if !slices.ContainsFunc(alternatives, func(all []string) bool {
			for _, s := range all {
				if !hasScope(s) {
					return false
				}
			}
			return true
		}) {
			return false
		}
	}
	return true
}

// Reason says what the rule requires, for the error a denied field gets.
func (r Rule) Reason() string {
	if len(r.Scopes) == 0 {
		return "the field requires an authenticated request"
	}
	var parts []string
	for _, alternatives := range r.Scopes {
		var alts []string
		for _, all := range alternatives {
			alts = append(alts, "("+strings.Join(all, " AND ")+")")
		}
		parts = append(parts, strings.Join(alts, " OR "))
	}
	return "the field requires the scopes " + strings.Join(parts, " AND ")
}

func (r Rule) empty() bool { return !r.Authenticated && len(r.Scopes) == 0 }

// and combines two rules: both must hold.
func (r Rule) and(o Rule) Rule {
	out := Rule{Authenticated: r.Authenticated || o.Authenticated}
	out.Scopes = append(out.Scopes, r.Scopes...)
	for _, s := range o.Scopes {
		if !slices.ContainsFunc(out.Scopes, func(have [][]string) bool { return equalScopes(have, s) }) {
			out.Scopes = append(out.Scopes, s)
		}
	}
	return out
}

func equalScopes(a, b [][]string) bool {
	return slices.EqualFunc(a, b, func(x, y []string) bool { return slices.Equal(x, y) })
}

// Names of the authorization specs and what they define.
const (
	authenticatedSpec  = "authenticated"
	requiresScopesSpec = "requiresScopes"
	policySpec         = "policy"
)

// securityMachinery reports definitions of the authorization specs: the
// router enforces them, clients never see them.
func securityMachinery(name string) bool {
	return name == authenticatedSpec || name == requiresScopesSpec || strings.HasPrefix(name, requiresScopesSpec+"__")
}

// directiveRule reads the rule of one element's directives.
func directiveRule(dirs ast.DirectiveList) (Rule, error) {
	var r Rule
	for _, d := range dirs {
		switch d.Name {
		case authenticatedSpec:
			r.Authenticated = true
		case requiresScopesSpec:
			a := d.Arguments.ForName("scopes")
			if a == nil || a.Value == nil || a.Value.Kind != ast.ListValue {
				return Rule{}, fmt.Errorf("@requiresScopes needs scopes: [[String!]!]!")
			}
			var alternatives [][]string
			for _, group := range a.Value.Children {
				if group.Value.Kind != ast.ListValue {
					return Rule{}, fmt.Errorf("@requiresScopes(scopes: %s): want a list of lists of scopes", a.Value)
				}
				var all []string
				for _, s := range group.Value.Children {
					if s.Value.Kind != ast.StringValue {
						return Rule{}, fmt.Errorf("@requiresScopes(scopes: %s): scopes are strings", a.Value)
					}
					all = append(all, s.Value.Raw)
				}
				alternatives = append(alternatives, all)
			}
			// No alternative at all can never be satisfied: deny rather than allow.
			if len(alternatives) == 0 {
				alternatives = [][]string{{"\x00no scope satisfies an empty @requiresScopes"}}
			}
			r = r.and(Rule{Scopes: [][][]string{alternatives}})
		}
	}
	return r, nil
}

// authorizationRules maps every protected field to its rule: the field's
// own directives, those of the type it returns and those of the type that
// declares it. An interface field also takes the rules of every
// implementation's field and type, so asking through the interface cannot
// get around an implementation's protection.
func (g *graph) authorizationRules() (map[Coordinate]Rule, error) {
	typeRules := map[string]Rule{}
	for _, def := range g.doc.Definitions {
		r, err := directiveRule(def.Directives)
		if err != nil {
			return nil, fmt.Errorf("supergraph: type %s: %w", def.Name, err)
		}
		if !r.empty() {
			typeRules[def.Name] = r
		}
	}
	own := func(def *ast.Definition, f *ast.FieldDefinition) (Rule, error) {
		r, err := directiveRule(f.Directives)
		if err != nil {
			return Rule{}, fmt.Errorf("supergraph: field %s.%s: %w", def.Name, f.Name, err)
		}
		return r.and(typeRules[def.Name]).and(typeRules[named(f.Type)]), nil
	}
	out := map[Coordinate]Rule{}
	for _, def := range g.doc.Definitions {
		if machinery(def.Name) || (def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
		for _, f := range def.Fields {
			r, err := own(def, f)
			if err != nil {
				return nil, err
			}
			if def.Kind == ast.Interface {
				for _, impl := range g.doc.Definitions {
					if impl.Kind != ast.Object && impl.Kind != ast.Interface || !slices.Contains(impl.Interfaces, def.Name) {
						continue
					}
					if implField := impl.Fields.ForName(f.Name); implField != nil {
						ir, err := own(impl, implField)
						if err != nil {
							return nil, err
						}
						r = r.and(ir)
					}
				}
			}
			if !r.empty() {
				out[Coordinate{def.Name, f.Name}] = r
			}
		}
	}
	return out, nil
}
