package compose

import (
	"fmt"

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
