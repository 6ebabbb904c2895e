package compose

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/myshop/supergraph/router/directive"
)

// Demand control: @cost and @listSize (the IBM GraphQL Cost Directive
// specification, as Federation v2.9 imports them) are checked in each
// subgraph, merged per element and written into the supergraph, where the
// router reads them to estimate what an operation costs before running it.

const costDefinitions = `directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR

directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION

`

// listSize is the merged @listSize of one field.
type listSize struct {
	assumedSize      *int
	slicingArguments []string
	sizedFields      []string
	requireOne       bool
}

// checkDemand reports, for one subgraph, every @cost and @listSize that the
// specification does not allow where it stands, naming the subgraph, the
// coordinate and the rule.
func (c *composer) checkDemand(s *subgraph) {
	bad := func(coord, rule string, args ...any) {
		c.errorf("[COST_DIRECTIVE_INVALID] subgraph %s: on %s: %s", s.Name, coord, fmt.Sprintf(rule, args...))
	}
	for _, name := range sortedKeys(s.types) {
		t := s.types[name]
		if d := s.directive(t.Directives, "cost"); d != nil {
			switch t.Kind {
			case ast.Object, ast.Enum, ast.Scalar:
				c.checkWeight(s, name, d, bad)
			default:
				bad(name, "@cost is allowed on objects, enums, scalars, fields, arguments and input fields, not on a %s", strings.ToLower(string(t.Kind)))
			}
		}
		if s.directive(t.Directives, "listSize") != nil {
			bad(name, "@listSize is allowed on field definitions only")
		}
		for _, v := range t.EnumValues {
			if s.directive(v.Directives, "cost") != nil || s.directive(v.Directives, "listSize") != nil {
				bad(name+"."+v.Name, "@cost and @listSize are not allowed on enum values")
			}
		}
		for _, f := range t.Fields {
			coord := name + "." + f.Name
			if d := s.directive(f.Directives, "cost"); d != nil {
				if t.Kind == ast.Interface {
					bad(coord, "@cost on an interface field is not supported by this router; put it on the implementing types' fields")
				} else {
					c.checkWeight(s, coord, d, bad)
				}
			}
			if d := s.directive(f.Directives, "listSize"); d != nil {
				if t.Kind == ast.InputObject {
					bad(coord, "@listSize is allowed on field definitions, not on input fields")
				} else {
					c.checkListSize(s, coord, f, d, bad)
				}
			}
			for _, a := range f.Arguments {
				if d := s.directive(a.Directives, "cost"); d != nil {
					c.checkWeight(s, coord+"("+a.Name+":)", d, bad)
				}
				if s.directive(a.Directives, "listSize") != nil {
					bad(coord+"("+a.Name+":)", "@listSize is allowed on field definitions, not on arguments")
				}
			}
		}
	}
}

func (c *composer) checkWeight(_ *subgraph, coord string, d *ast.Directive, bad func(string, string, ...any)) {
	a := d.Arguments.ForName("weight")
	if a == nil || a.Value == nil || a.Value.Kind != ast.IntValue {
		bad(coord, "@cost needs weight: an Int literal")
		return
	}
	if _, err := strconv.ParseInt(a.Value.Raw, 10, 32); err != nil {
		bad(coord, "@cost(weight: %s) is not a 32-bit Int", a.Value.Raw)
	}
}

// checkListSize applies the specification's rules for @listSize: a list
// field (or one with sizedFields), a non-negative assumedSize, slicing
// arguments that are Int arguments of the field (or Int fields inside an
// input object argument, as "arg.field"), and sized fields that are lists
// of the returned type.
func (c *composer) checkListSize(s *subgraph, coord string, f *ast.FieldDefinition, d *ast.Directive, bad func(string, string, ...any)) {
	ls := parseListSize(d)
	if a := d.Arguments.ForName("assumedSize"); a != nil && a.Value != nil && a.Value.Kind != ast.NullValue {
		if n, err := strconv.Atoi(a.Value.Raw); err != nil || n < 0 {
			bad(coord, "@listSize(assumedSize: %s) must be a non-negative Int", a.Value.Raw)
		}
	}
	isList := f.Type.Elem != nil
	if !isList && len(ls.sizedFields) == 0 {
		bad(coord, "@listSize on a field of type %s: the field must return a list, or name the lists it sizes with sizedFields", f.Type.String())
	}
	for _, path := range ls.slicingArguments {
		if err := slicingArgument(s, f, path); err != nil {
			bad(coord, "@listSize slicing argument %q: %v", path, err)
		}
	}
	if len(ls.sizedFields) > 0 {
		target, ok := s.types[namedType(f.Type)]
		if !ok || (target.Kind != ast.Object && target.Kind != ast.Interface) {
			bad(coord, "@listSize sizedFields need a field returning an object or interface, not %s", f.Type.String())
			return
		}
		for _, name := range ls.sizedFields {
			sf := target.Fields.ForName(name)
			switch {
			case sf == nil:
				bad(coord, "@listSize sized field %q does not exist on %s", name, target.Name)
			case sf.Type.Elem == nil:
				bad(coord, "@listSize sized field %q on %s is a %s, not a list", name, target.Name, sf.Type.String())
			}
		}
	}
}

// slicingArgument checks that path names an Int argument of f, or an Int
// field reached through input object arguments.
func slicingArgument(s *subgraph, f *ast.FieldDefinition, path string) error {
	parts := strings.Split(path, ".")
	arg := f.Arguments.ForName(parts[0])
	if arg == nil {
		return fmt.Errorf("the field has no argument %s", parts[0])
	}
	typ := arg.Type
	for _, p := range parts[1:] {
		in, ok := s.types[namedType(typ)]
		if !ok || in.Kind != ast.InputObject || typ.Elem != nil {
			return fmt.Errorf("%s is not an input object, so it has no field %s", typ.String(), p)
		}
		field := in.Fields.ForName(p)
		if field == nil {
			return fmt.Errorf("input %s has no field %s", in.Name, p)
		}
		typ = field.Type
	}
	if typ.Elem != nil || typ.NamedType != "Int" {
		return fmt.Errorf("it is a %s; a slicing argument must be an Int", typ.String())
	}
	return nil
}

func parseListSize(d *ast.Directive) listSize {
	ls := listSize{requireOne: true}
	if a := d.Arguments.ForName("assumedSize"); a != nil && a.Value != nil && a.Value.Kind == ast.IntValue {
		if n, err := strconv.Atoi(a.Value.Raw); err == nil {
			ls.assumedSize = &n
		}
	}
	ls.slicingArguments = directive.Strings(d, "slicingArguments")
	ls.sizedFields = directive.Strings(d, "sizedFields")
	if a := d.Arguments.ForName("requireOneSlicingArgument"); a != nil && a.Value != nil && a.Value.Kind == ast.BooleanValue {
		ls.requireOne = a.Value.Raw == "true"
	}
	return ls
}

// demandOf merges the @cost and @listSize of one element across the
// subgraphs that define it: the highest weight, and of @listSize the
// largest assumed size, every slicing argument and sized field, and a
// required slicing argument only when all of them require one. It returns
// the directives as the supergraph prints them, each between before and
// after.
func (c *composer) demandOf(before string, all []typedDirectives, after string) string {
	var weight *int
	var ls *listSize
	for _, td := range all {
		for _, d := range td.dirs {
			switch td.s.fedName(d.Name) {
			case "cost":
				if w, err := strconv.Atoi(argString(d, "weight")); err == nil && (weight == nil || w > *weight) {
					weight = &w
				}
			case "listSize":
				next := parseListSize(d)
				if ls == nil {
					ls = &next
					continue
				}
				if next.assumedSize != nil && (ls.assumedSize == nil || *next.assumedSize > *ls.assumedSize) {
					ls.assumedSize = next.assumedSize
				}
				ls.slicingArguments = union(ls.slicingArguments, next.slicingArguments)
				ls.sizedFields = union(ls.sizedFields, next.sizedFields)
				ls.requireOne = ls.requireOne && next.requireOne
			}
		}
	}
	var b strings.Builder
	if weight != nil {
		c.cost = true
		fmt.Fprintf(&b, "%s@cost(weight: %d)%s", before, *weight, after)
	}
	if ls != nil {
		c.cost = true
		var args []string
		if ls.assumedSize != nil {
			args = append(args, "assumedSize: "+strconv.Itoa(*ls.assumedSize))
		}
		if len(ls.slicingArguments) > 0 {
			args = append(args, "slicingArguments: "+quoteList(ls.slicingArguments))
		}
		if len(ls.sizedFields) > 0 {
			args = append(args, "sizedFields: "+quoteList(ls.sizedFields))
		}
		if !ls.requireOne {
			args = append(args, "requireOneSlicingArgument: false")
		}
		b.WriteString(before + "@listSize(" + strings.Join(args, ", ") + ")" + after)
	}
	return b.String()
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// typeDirectives are the directives of each definition of a type.
func typeDirectives(defs []typeIn) []typedDirectives {
	all := make([]typedDirectives, len(defs))
	for i, d := range defs {
		all[i] = typedDirectives{d.s, d.def.Directives}
	}
	return all
}
