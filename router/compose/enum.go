package compose

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// enumUse is where an enum appears in any subgraph: as the type of an
// output field, and as the type of an argument or input field.
type enumUse struct {
	output, input string // an example coordinate of each use, "" when none
}

// enumUses finds, for every enum of every subgraph, an output and an input
// position where it is used.
func (c *composer) enumUses() map[string]*enumUse {
	if c.enums != nil {
		return c.enums
	}
	c.enums = map[string]*enumUse{}
	use := func(t *ast.Type, s *subgraph, coord string, input bool) {
		name := namedType(t)
		// Only enums: the map is consulted for enum types only, but keep it small.
		isEnum := false
		for _, sg := range c.subgraphs {
			if d, ok := sg.types[name]; ok && d.Kind == ast.Enum {
				isEnum = true
				break
			}
		}
		if !isEnum {
			return
		}
		u := c.enums[name]
		if u == nil {
			u = &enumUse{}
			c.enums[name] = u
		}
		coord = fmt.Sprintf("%q (subgraph %s)", coord, s.Name)
		if input && u.input == "" {
			u.input = coord
		}
		if !input && u.output == "" {
			u.output = coord
		}
	}
	for _, s := range c.subgraphs {
		for _, name := range sortedKeys(s.types) {
			t := s.types[name]
			for _, f := range t.Fields {
				switch t.Kind {
				case ast.InputObject:
					use(f.Type, s, name+"."+f.Name, true)
				case ast.Object, ast.Interface:
					use(f.Type, s, name+"."+f.Name, false)
					for _, a := range f.Arguments {
						use(a.Type, s, name+"."+f.Name+"("+a.Name+":)", true)
					}
				}
			}
		}
	}
	return c.enums
}

// mergeEnumValues decides the values of a merged enum as Apollo's and Hive's
// composition do: an enum only used in output positions gets every value of
// every subgraph (a subgraph may return any of them); one only used as an
// input gets the values all subgraphs define (any subgraph may receive the
// value), and an enum used as both must define the same values everywhere
// (ENUM_VALUE_MISMATCH).
func (c *composer) mergeEnumValues(name string, defs []typeIn, order []string, by map[string][]typeIn) []string {
	u := c.enumUses()[name]
	if u == nil || u.input == "" {
		return order
	}
	var all, partial []string
	for _, v := range order {
		if len(by[v]) == len(defs) {
			all = append(all, v)
			continue
		}
		partial = append(partial, v)
	}
	if len(partial) == 0 {
		return order
	}
	if u.output != "" {
		for _, v := range partial {
			var have, lack []string
			for _, d := range defs {
				if d.def.EnumValues.ForName(v) != nil {
					have = append(have, d.s.Name)
				} else {
					lack = append(lack, d.s.Name)
				}
			}
			c.errorf("[ENUM_VALUE_MISMATCH] Enum type %q is used as both input type (for example, as type of %s) and output type (for example, as type of %s), but value %q is not defined in all the subgraphs defining %q: it is defined in %s but not in %s",
				name, u.input, u.output, v, name, strings.Join(have, ", "), strings.Join(lack, ", "))
		}
		return order
	}
	if len(all) == 0 {
		c.errorf("[EMPTY_MERGED_ENUM_TYPE] None of the values of enum type %q are defined consistently in all the subgraphs defining that type (%s). As only values common to all subgraphs are merged (it is used only as an input), this would result in an empty type", name, typeSubgraphNames(defs))
	}
	return all
}

func typeSubgraphNames(defs []typeIn) string {
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.s.Name
	}
	return strings.Join(names, ", ")
}
