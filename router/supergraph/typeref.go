package supergraph

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// parseType parses a type reference such as "[String!]!".
func parseType(s string) (*ast.Type, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty type")
	}
	if strings.HasSuffix(s, "!") {
		t, err := parseType(s[:len(s)-1])
		if err != nil {
			return nil, err
		}
		t.NonNull = true
		return t, nil
	}
	if strings.HasPrefix(s, "[") {
		if !strings.HasSuffix(s, "]") {
			return nil, fmt.Errorf("bad list type %q", s)
		}
		elem, err := parseType(s[1 : len(s)-1])
		if err != nil {
			return nil, err
		}
		return ast.ListType(elem, nil), nil
	}
	return ast.NamedType(s, nil), nil
}
