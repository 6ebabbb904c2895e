package compose

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// selectionField is one field of a FieldSet (@key, @requires, @provides).
type selectionField struct {
	name     string
	children []selectionField
}

// parseSelection parses a FieldSet such as "id organization { id }".
// Inline fragments are not supported: our schemas do not use them there.
func parseSelection(s string) ([]selectionField, error) {
	toks := strings.Fields(strings.NewReplacer("{", " { ", "}", " } ", ",", " ").Replace(s))
	sel, rest, err := parseFields(toks)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("unexpected %q in field set %q", rest[0], s)
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("empty field set")
	}
	return sel, nil
}

func parseFields(toks []string) ([]selectionField, []string, error) {
	var out []selectionField
	for len(toks) > 0 {
		t := toks[0]
		switch {
		case t == "}":
			return out, toks, nil
		case t == "{":
			if len(out) == 0 {
				return nil, nil, fmt.Errorf("selection set without a field")
			}
			children, rest, err := parseFields(toks[1:])
			if err != nil {
				return nil, nil, err
			}
			if len(rest) == 0 || rest[0] != "}" {
				return nil, nil, fmt.Errorf("unclosed selection set")
			}
			if len(children) == 0 {
				return nil, nil, fmt.Errorf("empty selection set after %s", out[len(out)-1].name)
			}
			out[len(out)-1].children = children
			toks = rest[1:]
		case strings.HasPrefix(t, "..."):
			return nil, nil, fmt.Errorf("inline fragments in field sets are not supported")
		default:
			out = append(out, selectionField{name: t})
			toks = toks[1:]
		}
	}
	return out, nil, nil
}

// checkSelection reports the first field of sel missing from typeName in s.
func (s *subgraph) checkSelection(typeName string, sel []selectionField) error {
	t, ok := s.types[typeName]
	if !ok {
		return fmt.Errorf("type %s is not defined", typeName)
	}
	for _, f := range sel {
		if f.name == "__typename" {
			continue
		}
		fd := t.Fields.ForName(f.name)
		if fd == nil {
			return fmt.Errorf("field %s.%s is not defined", typeName, f.name)
		}
		if len(f.children) > 0 {
			if err := s.checkSelection(namedType(fd.Type), f.children); err != nil {
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
