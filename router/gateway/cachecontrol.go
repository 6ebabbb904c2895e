package gateway

import (
	"strconv"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"

	"github.com/myshop/supergraph/router/supergraph"
)

// CachePolicy is how long, and by whom, a query's answer may be kept, as
// the schema's @cacheControl hints say for the fields it selects (Apollo's
// rules): the shortest age of any field that sets one, and private when any
// field or type is PRIVATE or protected by @authenticated/@requiresScopes.
// A root field, or a field returning an object, interface or union, has
// age 0 unless a hint (its own, its type's, or inheritMaxAge) says more; a
// scalar field takes its parent's.
type CachePolicy struct {
	MaxAge  int
	Private bool
}

// Header is the Cache-Control of an answer under the policy: no-store for
// anything but a query without errors, or an age of 0.
func (p CachePolicy) Header(typ OperationType, hasErrors bool) string {
	if typ != Query || hasErrors || p.MaxAge <= 0 {
		return "no-store"
	}
	scope := "public"
	if p.Private {
		scope = "private"
	}
	return "max-age=" + strconv.Itoa(p.MaxAge) + ", " + scope
}

// cachePolicy computes the policy of the (normalized, validated) operation
// in doc.
func cachePolicy(doc, schema *ast.Document, hints supergraph.CacheHints, rules map[supergraph.Coordinate]supergraph.Rule) CachePolicy {
	p := CachePolicy{MaxAge: -1}
	restrict := func(age int) {
		if p.MaxAge < 0 || age < p.MaxAge {
			p.MaxAge = age
		}
	}
	var walk func(set int, typeName string, parentAge int, root bool)
	walk = func(set int, typeName string, parentAge int, root bool) {
		node, ok := schema.NodeByNameStr(typeName)
		for _, sel := range doc.SelectionSets[set].SelectionRefs {
			s := doc.Selections[sel]
			switch s.Kind {
			case ast.SelectionKindInlineFragment:
				fr := doc.InlineFragments[s.Ref]
				cond := typeName
				if fr.TypeCondition.Type != -1 {
					cond = doc.InlineFragmentTypeConditionNameString(s.Ref)
				}
				if fr.HasSelections {
					walk(fr.SelectionSet, cond, parentAge, root)
				}
			case ast.SelectionKindField:
				name := doc.FieldNameString(s.Ref)
				if name == "__typename" || !ok {
					continue
				}
				def, found := schema.NodeFieldDefinitionByName(node, []byte(name))
				if !found {
					continue // introspection fields: not in the schema's types
				}
				returns := schema.FieldDefinitionTypeNode(def)
				composite := returns.Kind == ast.NodeKindObjectTypeDefinition || returns.Kind == ast.NodeKindInterfaceTypeDefinition || returns.Kind == ast.NodeKindUnionTypeDefinition
				returnsName := schema.NodeNameString(returns)
				fh := hints.Fields[supergraph.Coordinate{TypeName: typeName, FieldName: name}]
				th := hints.Types[returnsName]
				if fh.Private || (composite && th.Private) {
					p.Private = true
				}
				if _, protected := rules[supergraph.Coordinate{TypeName: typeName, FieldName: name}]; protected {
					p.Private = true
				}
				age, restricts := parentAge, root || composite
				switch {
				case fh.MaxAge != nil:
					age, restricts = *fh.MaxAge, true
				case fh.InheritMaxAge:
					age = parentAge
				case composite && th.MaxAge != nil:
					age = *th.MaxAge
				case composite && th.InheritMaxAge:
					age = parentAge
				case restricts:
					age = 0
				}
				if restricts {
					restrict(age)
				}
				f := doc.Fields[s.Ref]
				if f.HasSelections {
					walk(f.SelectionSet, returnsName, age, false)
				}
			}
		}
	}
	for _, n := range doc.RootNodes {
		if n.Kind != ast.NodeKindOperationDefinition {
			continue
		}
		op := doc.OperationDefinitions[n.Ref]
		if op.HasSelections {
			walk(op.SelectionSet, rootTypeName(schema, op.OperationType), 0, true)
		}
	}
	if p.MaxAge < 0 {
		p.MaxAge = 0
	}
	return p
}
