package compose

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/myshop/supergraph/router/fieldset"
)

// Compose merges the subgraphs into a Federation v2 supergraph SDL (join
// v0.3). The output depends only on the input, not on its order, so it can be
// checked in and compared byte for byte. Conflicts are reported with the
// subgraph, type and field involved; all of them, not only the first.
func Compose(in []Subgraph) (string, error) {
	if len(in) == 0 {
		return "", errors.New("compose: no subgraphs")
	}
	var sgs []*subgraph
	seen := map[string]string{}
	for _, sub := range in {
		s, err := parseSubgraph(sub)
		if err != nil {
			return "", err
		}
		if other, ok := seen[s.enum]; ok {
			return "", fmt.Errorf("subgraphs %q and %q have the same join__Graph name %s", other, s.Name, s.enum)
		}
		seen[s.enum] = s.Name
		sgs = append(sgs, s)
	}
	slices.SortFunc(sgs, func(a, b *subgraph) int { return strings.Compare(a.enum, b.enum) })

	c := &composer{subgraphs: sgs}
	for _, s := range sgs {
		c.checkFieldSets(s)
		c.checkDemand(s)
		c.checkCacheControl(s)
		c.checkEvents(s)
	}
	if len(c.errs) > 0 {
		return "", errors.Join(c.errs...)
	}
	out := c.print()
	if len(c.errs) > 0 {
		return "", errors.Join(c.errs...)
	}
	return out, nil
}

type composer struct {
	subgraphs []*subgraph
	errs      []error
	// inaccessible is set once any element is @inaccessible, which adds the
	// inaccessible spec link and directive definition.
	inaccessible bool
	// tag likewise adds the tag spec once any element has a @tag.
	tag bool
	// authenticated and requiresScopes add their specs once used.
	authenticated, requiresScopes bool
	// cost adds the cost spec (@cost, @listSize) once used.
	cost bool
	// cacheControl adds the @cacheControl definitions once used.
	cacheControl bool
	// eventSources adds the @redisSubscribe definition once used.
	eventSources bool
	// enums records where each enum is used (enumUses), computed once.
	enums map[string]*enumUse
}

func (c *composer) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// checkFieldSets verifies, in one subgraph, that every @key, @requires and
// @provides names fields that exist there, that @requires and @provides
// name @external fields (the others the subgraph resolves itself), that
// @provides is on a field returning a composite type, and that every
// @external field is used by one of them or by an interface. Messages
// carry Apollo's error code in brackets and name the subgraph, type and
// field, worded like Apollo's and Hive's.
func (c *composer) checkFieldSets(s *subgraph) {
	used := map[string]bool{} // "Type.field" of fields a federation directive names
	for _, name := range sortedKeys(s.types) {
		t := s.types[name]
		c.checkUnenforced(s, name, t.Directives)
		for _, f := range t.Fields {
			c.checkUnenforced(s, name+"."+f.Name, f.Directives)
		}
		for _, k := range s.keys(t) {
			err := s.checkFieldSet(name, k.fields)
			if sel, _ := fieldset.Parse(k.fields); err == nil && fieldset.HasArguments(sel) {
				err = fmt.Errorf("a key's fields cannot take arguments")
			}
			if err != nil {
				c.errorf("[KEY_INVALID_FIELDS] subgraph %s: On type %q, for @key(fields: %q): %v (the field should either be added to this subgraph or, if it should not be resolved by this subgraph, added with @external)", s.Name, name, k.fields, err)
				continue
			}
			sel, _ := fieldset.Parse(k.fields)
			s.markUsed(name, sel, used)
		}
		for _, f := range t.Fields {
			coord := name + "." + f.Name
			if d := s.directive(f.Directives, "requires"); d != nil {
				fields := argString(d, "fields")
				if err := s.checkFieldSet(name, fields); err != nil {
					c.errorf("[REQUIRES_INVALID_FIELDS] subgraph %s: On field %q, for @requires(fields: %q): %v (if the field is defined in another subgraph, add it to this subgraph with @external)", s.Name, coord, fields, err)
				} else {
					sel, _ := fieldset.Parse(fields)
					s.markUsed(name, sel, used)
					for _, missing := range s.notExternal(name, sel) {
						c.errorf("[REQUIRES_FIELDS_MISSING_EXTERNAL] subgraph %s: On field %q, for @requires(fields: %q): field %q should not be part of a @requires since it is already provided by this subgraph (it is not marked @external)", s.Name, coord, fields, missing)
					}
				}
			}
			if d := s.directive(f.Directives, "provides"); d != nil {
				fields, target := argString(d, "fields"), namedType(f.Type)
				tt, ok := s.types[target]
				switch {
				case !ok || (tt.Kind != ast.Object && tt.Kind != ast.Interface && tt.Kind != ast.Union):
					c.errorf("[PROVIDES_ON_NON_OBJECT_FIELD] subgraph %s: Invalid @provides directive on field %q: field has type %q which is not a Composite Type", s.Name, coord, f.Type.String())
				default:
					if err := s.checkFieldSet(target, fields); err != nil {
						c.errorf("[PROVIDES_INVALID_FIELDS] subgraph %s: On field %q, for @provides(fields: %q): %v (if the field is defined in another subgraph, add it to this subgraph with @external)", s.Name, coord, fields, err)
						break
					}
					sel, _ := fieldset.Parse(fields)
					s.markUsed(target, sel, used)
					for _, missing := range s.notExternal(target, sel) {
						c.errorf("[PROVIDES_FIELDS_MISSING_EXTERNAL] subgraph %s: On field %q, for @provides(fields: %q): field %q should not be part of a @provides since it is already provided by this subgraph (it is not marked @external)", s.Name, coord, fields, missing)
					}
				}
			}
			if d := s.directive(f.Directives, "override"); d != nil && argString(d, "from") == s.Name {
				c.errorf("subgraph %s: field %s.%s overrides its own subgraph", s.Name, name, f.Name)
			}
			if d := s.directive(f.Directives, "override"); d != nil && argString(d, "label") != "" {
				c.errorf("[OVERRIDE_LABEL_UNSUPPORTED] subgraph %s: @override(from: %q, label: %q) on field %s.%s: progressive override is not supported by this router, which cannot split traffic between subgraphs; drop the label to move the field, or the @override to keep it in %s",
					s.Name, argString(d, "from"), argString(d, "label"), name, f.Name, argString(d, "from"))
			}
		}
	}
	for _, name := range sortedKeys(s.types) {
		t := s.types[name]
		if t.Kind != ast.Object && t.Kind != ast.Interface {
			continue
		}
		for _, f := range t.Fields {
			if s.directive(f.Directives, "external") == nil || used[name+"."+f.Name] || s.satisfiesInterface(t, f.Name) {
				continue
			}
			c.errorf("[EXTERNAL_UNUSED] subgraph %s: Field %q is marked @external but is not used in any federation directive (@key, @provides, @requires) or to satisfy an interface; the field declaration has no use and should be removed (or the field should not be @external)", s.Name, name+"."+f.Name)
		}
	}
}

// markUsed records the fields a valid field set selects, nested ones under
// the type of their parent field.
func (s *subgraph) markUsed(typeName string, sel []fieldset.Field, used map[string]bool) {
	t := s.types[typeName]
	for _, f := range sel {
		if f.On != "" {
			s.markUsed(f.On, f.Children, used)
			continue
		}
		used[typeName+"."+f.Name] = true
		if fd := t.Fields.ForName(f.Name); fd != nil && len(f.Children) > 0 {
			s.markUsed(namedType(fd.Type), f.Children, used)
		}
	}
}

// notExternal lists the top-level fields of a valid @requires or @provides
// selection that this subgraph resolves itself. (Fields nested under an
// @external field belong to a value the subgraph does not resolve.)
func (s *subgraph) notExternal(typeName string, sel []fieldset.Field) []string {
	var out []string
	t := s.types[typeName]
	for _, f := range sel {
		if f.On != "" {
			out = append(out, s.notExternal(f.On, f.Children)...)
			continue
		}
		if f.Name == "__typename" {
			continue
		}
		fd := t.Fields.ForName(f.Name)
		if fd == nil || s.directive(fd.Directives, "external") != nil || s.externalType(t) ||
			(t.Kind == ast.Interface && s.externalInImplementation(typeName, f.Name)) {
			continue
		}
		// A field of this subgraph's own may lead to external ones
		// (comments(limit: 3) { authorId } where only authorId is
		// external): then those are what is required.
		if len(f.Children) > 0 {
			out = append(out, s.notExternal(namedType(fd.Type), f.Children)...)
			continue
		}
		out = append(out, typeName+"."+f.Name)
	}
	return out
}

// externalInImplementation: an interface field cannot be @external itself;
// it is external here when an object type implementing the interface in
// this subgraph marks it so (Hive's and Apollo's composition agree).
func (s *subgraph) externalInImplementation(iface, field string) bool {
	for _, t := range s.types {
		if t.Kind != ast.Object || !slices.Contains(t.Interfaces, iface) {
			continue
		}
		if fd := t.Fields.ForName(field); fd != nil && (s.directive(fd.Directives, "external") != nil || s.externalType(t)) {
			return true
		}
	}
	return false
}

// externalType: Federation 1 style `type T @external`, every field external.
func (s *subgraph) externalType(t *ast.Definition) bool {
	return s.directive(t.Directives, "external") != nil
}

// satisfiesInterface: an @external field an interface of the type declares.
func (s *subgraph) satisfiesInterface(t *ast.Definition, field string) bool {
	for _, i := range t.Interfaces {
		if it, ok := s.types[i]; ok && it.Fields.ForName(field) != nil {
			return true
		}
	}
	return false
}

// unenforced are access-control directives the router does not implement
// (it enforces @authenticated and @requiresScopes). Dropping them would
// silently serve protected fields to anyone, so composition refuses them.
var unenforced = []string{"policy"}

func (c *composer) checkUnenforced(s *subgraph, element string, dirs ast.DirectiveList) {
	for _, name := range unenforced {
		if s.directive(dirs, name) != nil {
			c.errorf("subgraph %s: @%s on %s: this router does not enforce @%s (only @authenticated and @requiresScopes), and would serve the element unprotected", s.Name, name, element, name)
		}
	}
}

func (s *subgraph) checkFieldSet(typeName, fields string) error {
	sel, err := fieldset.Parse(fields)
	if err != nil {
		return err
	}
	return s.checkSelection(typeName, sel)
}

// typeIn is one subgraph's definition of a type.
type typeIn struct {
	s   *subgraph
	def *ast.Definition
}

// typeNames returns every type of every subgraph, sorted.
func (c *composer) typeNames() []string {
	all := map[string]bool{}
	for _, s := range c.subgraphs {
		for name := range s.types {
			all[name] = true
		}
	}
	return sortedKeys(all)
}

func (c *composer) definitions(name string) []typeIn {
	var out []typeIn
	for _, s := range c.subgraphs {
		if d, ok := s.types[name]; ok {
			out = append(out, typeIn{s, d})
		}
	}
	return out
}

// fieldIn is one subgraph's definition of a field.
type fieldIn struct {
	s            *subgraph
	def          *ast.FieldDefinition
	external     bool
	overriddenBy string // name of the subgraph whose @override takes the field
	override     string // the subgraph this one takes the field from
}

// fields collects, per field name in first-seen order, every subgraph's definition.
func fields(defs []typeIn) ([]string, map[string][]*fieldIn) {
	var order []string
	by := map[string][]*fieldIn{}
	for _, d := range defs {
		// In a type extension (extend type, @extends) an @external key
		// field is the Federation 1 way of naming the key: the subgraph
		// can still answer it from the representation, so composition
		// (Apollo's and Hive's) does not mark it external.
		var extKeys map[string]bool
		if d.s.extension[d.def.Name] {
			extKeys = d.s.keyFieldNames(d.def)
		}
		for _, f := range d.def.Fields {
			if _, ok := by[f.Name]; !ok {
				order = append(order, f.Name)
			}
			fi := &fieldIn{s: d.s, def: f, external: d.s.directive(f.Directives, "external") != nil && !extKeys[f.Name]}
			if o := d.s.directive(f.Directives, "override"); o != nil {
				fi.override = argString(o, "from")
			}
			by[f.Name] = append(by[f.Name], fi)
		}
	}
	for _, fs := range by {
		for _, taker := range fs {
			for _, from := range fs {
				if taker.override != "" && taker.override == from.s.Name {
					from.overriddenBy = taker.s.Name
				}
			}
		}
	}
	return order, by
}

// checkField reports type, argument and shareability conflicts of one field.
func (c *composer) checkField(typeName string, kind ast.DefinitionKind, defs []typeIn, fs []*fieldIn) {
	first := fs[0]
	var resolving []*fieldIn
	for _, f := range fs {
		if _, ok := mergeOutputTypes(first.def.Type, f.def.Type); !ok {
			c.errorf("[FIELD_TYPE_MISMATCH] Type of field %q is incompatible across subgraphs: field %s.%s has type %s in subgraph %s but %s in subgraph %s",
				typeName+"."+f.def.Name, typeName, f.def.Name, first.def.Type, first.s.Name, f.def.Type, f.s.Name)
		}
		if !f.external && f.overriddenBy == "" {
			resolving = append(resolving, f)
		}
	}
	if len(resolving) == 0 {
		c.errorf("[EXTERNAL_MISSING_ON_BASE] Field %q is marked @external on all the subgraphs in which it is listed (%s): no subgraph resolves it, so a @requires, @provides or @key naming it cannot be satisfied",
			typeName+"."+first.def.Name, quotedSubgraphs(fs))
		return
	}
	for _, f := range resolving[1:] {
		if a, b := printArgs(resolving[0].def.Arguments), printArgs(f.def.Arguments); a != b {
			c.errorf("[FIELD_ARGUMENT_TYPE_MISMATCH] field %s.%s has arguments %q in subgraph %s but %q in subgraph %s",
				typeName, f.def.Name, a, resolving[0].s.Name, b, f.s.Name)
		}
	}
	// Interface fields are not resolved by anyone: each subgraph's
	// implementations resolve them, so @shareable does not apply.
	if len(resolving) < 2 || kind == ast.Interface {
		return
	}
	var notShareable []string
	for _, f := range resolving {
		if !f.shareable(typeName, defs) {
			notShareable = append(notShareable, f.s.Name)
		}
	}
	if len(notShareable) > 0 {
		c.errorf("[INVALID_FIELD_SHARING] Non-shareable field %q is resolved from multiple subgraphs: field %s.%s is resolved by subgraphs %s but is not @shareable in %s",
			typeName+"."+first.def.Name, typeName, first.def.Name, subgraphNames(resolving), strings.Join(notShareable, ", "))
	}
}

// mergeOutputTypes merges two subgraphs' types of one output field: they
// may differ only in nullability, and the merged type is non-null only where
// both are (each subgraph's own type is kept in @join__field(type:)).
func mergeOutputTypes(a, b *ast.Type) (*ast.Type, bool) {
	if a.NamedType != b.NamedType || (a.Elem == nil) != (b.Elem == nil) {
		return nil, false
	}
	out := &ast.Type{NamedType: a.NamedType, NonNull: a.NonNull && b.NonNull}
	if a.Elem != nil {
		elem, ok := mergeOutputTypes(a.Elem, b.Elem)
		if !ok {
			return nil, false
		}
		out.Elem = elem
	}
	return out, true
}

// fieldType is the merged type of a field defined in several subgraphs.
func fieldType(fs []*fieldIn) *ast.Type {
	t := fs[0].def.Type
	for _, f := range fs[1:] {
		if m, ok := mergeOutputTypes(t, f.def.Type); ok {
			t = m
		}
	}
	return t
}

// shareable reports whether this subgraph allows others to resolve the field
// too: marked @shareable on the field or its type, or a key field.
func (f *fieldIn) shareable(typeName string, defs []typeIn) bool {
	if f.s.directive(f.def.Directives, "shareable") != nil {
		return true
	}
	for _, d := range defs {
		if d.s == f.s {
			return d.s.directive(d.def.Directives, "shareable") != nil || d.s.keyFieldNames(d.def)[f.def.Name]
		}
	}
	return false
}

func subgraphNames(fs []*fieldIn) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.s.Name
	}
	return strings.Join(names, ", ")
}

func quotedSubgraphs(fs []*fieldIn) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = "subgraph " + strconv.Quote(f.s.Name)
	}
	return strings.Join(names, ", ")
}

func printArgs(args ast.ArgumentDefinitionList) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.Name + ": " + a.Type.String()
		if a.DefaultValue != nil {
			parts[i] += " = " + a.DefaultValue.String()
		}
	}
	return strings.Join(parts, ", ")
}
