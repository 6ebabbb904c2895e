package gateway

import "github.com/wundergraph/graphql-go-tools/v2/pkg/ast"

// selectsIntrospection reports whether a normalized operation selects
// __schema or __type. Both exist only on the query root, so the root
// selection set (and inline fragments in it) is all there is to check;
// fragment spreads are already inlined. __typename is not introspection
// of the schema and stays allowed.
func selectsIntrospection(doc *ast.Document) bool {
	for _, n := range doc.RootNodes {
		if n.Kind != ast.NodeKindOperationDefinition {
			continue
		}
		op := doc.OperationDefinitions[n.Ref]
		if op.HasSelections && selectionSetIntrospects(doc, op.SelectionSet) {
			return true
		}
	}
	return false
}

func selectionSetIntrospects(doc *ast.Document, set int) bool {
	for _, sel := range doc.SelectionSets[set].SelectionRefs {
		s := doc.Selections[sel]
		switch s.Kind {
		case ast.SelectionKindField:
			if name := doc.FieldNameString(s.Ref); name == "__schema" || name == "__type" {
				return true
			}
		case ast.SelectionKindInlineFragment:
			if doc.InlineFragments[s.Ref].HasSelections && selectionSetIntrospects(doc, doc.InlineFragments[s.Ref].SelectionSet) {
				return true
			}
		}
	}
	return false
}
