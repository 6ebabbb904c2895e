package compose

import (
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/myshop/supergraph/router/fieldset"
)

// checkSelection reports the first field of sel missing from typeName in s.
func (s *subgraph) checkSelection(typeName string, sel []fieldset.Field) error {
	t, ok := s.types[typeName]
	if !ok {
		return fmt.Errorf("type %s is not defined", typeName)
	}
	for _, f := range sel {
		if f.On != "" {
			if f.On != typeName && !s.possibleType(typeName, f.On) {
				return fmt.Errorf("fragment on %s, which is not a possible type of %s", f.On, typeName)
			}
			if err := s.checkSelection(f.On, f.Children); err != nil {
				return err
			}
			continue
		}
		if f.Name == "__typename" {
			continue
		}
		fd := t.Fields.ForName(f.Name)
		if fd == nil {
			return fmt.Errorf("field %s.%s is not defined", typeName, f.Name)
		}
		if len(f.Children) > 0 {
			if err := s.checkSelection(namedType(fd.Type), f.Children); err != nil {
				return err
			}
		}
	}
	return nil
}

func namedType(t *ast.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	return t.NamedType
}

// possibleType says whether object type member can be a value of abstract
// type in this subgraph: it implements the interface or is in the union.
func (s *subgraph) possibleType(abstract, member string) bool {
	a, m := s.types[abstract], s.types[member]
	if a == nil || m == nil {
		return false
	}
	if a.Kind == ast.Union {
		return slices.Contains(a.Types, member)
	}
	return slices.Contains(m.Interfaces, abstract)
}
