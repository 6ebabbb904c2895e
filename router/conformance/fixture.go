// Package conformance checks the router's Federation v2 behaviour on small
// scenarios: each has a few subgraphs answering from static fixtures, a
// supergraph composed by Hive's composition, queries and exact responses.
// The scenarios live in testdata/*.txtar; see README.md.
package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Fixtures is what a fixture subgraph knows: root fields by name (or by
// name and arguments, `product(id:"1")`), and entities by type. A value
// {"$error": "message", "extensions": {...}} resolves to null plus a
// GraphQL error at that path.
type Fixtures struct {
	Query    map[string]any              `json:"Query"`
	Mutation map[string]any              `json:"Mutation"`
	Entities map[string][]map[string]any `json:"entities"`
	// RawEntities, when set, is the _entities answer whatever was asked:
	// for scenarios where a subgraph contradicts the supergraph (too few
	// items, another type, other key values).
	RawEntities []any `json:"$entities"`
	// RawHTTP, when set, is the HTTP answer to every request: for
	// scenarios where a subgraph (or a proxy before it) fails outside
	// GraphQL, say a 502 with an HTML page.
	RawHTTP *RawHTTP `json:"$http"`
}

// RawHTTP is a subgraph's answer below GraphQL.
type RawHTTP struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

// Request is one request a fixture subgraph received.
type Request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// Subgraph is an http.Handler executing GraphQL over fixtures: a tiny
// executor that walks the selection set over JSON data, with enough of the
// subgraph schema to pick concrete types for fragments.
type Subgraph struct {
	Name  string
	types map[string]*typeInfo
	data  Fixtures

	mu       sync.Mutex
	requests []Request
}

type typeInfo struct {
	kind       ast.DefinitionKind
	fields     map[string]string // field → named type
	full       map[string]string // field → type as written (String!, [ID])
	interfaces []string
	members    []string
}

// NewSubgraph reads a subgraph's SDL and fixtures.
func NewSubgraph(name, sdl string, fixtures []byte) (*Subgraph, error) {
	doc, err := parser.ParseSchema(&ast.Source{Name: name, Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("subgraph %s SDL: %w", name, err)
	}
	s := &Subgraph{Name: name, types: map[string]*typeInfo{}}
	for _, d := range append(doc.Definitions, doc.Extensions...) {
		t := s.types[d.Name]
		if t == nil {
			t = &typeInfo{kind: d.Kind, fields: map[string]string{}, full: map[string]string{}}
			s.types[d.Name] = t
		}
		for _, f := range d.Fields {
			t.fields[f.Name] = f.Type.Name()
			t.full[f.Name] = f.Type.String()
		}
		t.interfaces = append(t.interfaces, d.Interfaces...)
		t.members = append(t.members, d.Types...)
	}
	if len(fixtures) > 0 {
		if err := json.Unmarshal(fixtures, &s.data); err != nil {
			return nil, fmt.Errorf("subgraph %s fixtures: %w", name, err)
		}
	}
	return s, nil
}

// Requests returns what the subgraph received so far.
func (s *Subgraph) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Subgraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	if raw := s.data.RawHTTP; raw != nil {
		w.Header().Set("Content-Type", raw.ContentType)
		w.WriteHeader(raw.Status)
		_, _ = w.Write([]byte(raw.Body))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.execute(req))
}

type execution struct {
	s      *Subgraph
	doc    *ast.QueryDocument
	vars   map[string]any
	errors []map[string]any
}

func (s *Subgraph) execute(req Request) map[string]any {
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil || len(doc.Operations) == 0 {
		return map[string]any{"errors": []any{map[string]any{"message": fmt.Sprintf("fixture subgraph %s cannot parse: %v", s.Name, err)}}}
	}
	op := doc.Operations[0]
	root, rootType := s.data.Query, "Query"
	if op.Operation == ast.Mutation {
		root, rootType = s.data.Mutation, "Mutation"
	}
	e := &execution{s: s, doc: doc, vars: req.Variables}
	e.checkShapes(op.SelectionSet, rootType)
	data := map[string]any{}
	for _, f := range e.fields(op.SelectionSet, rootType) {
		if f.Name == "_entities" {
			data[alias(f)] = e.entities(f)
			if s.data.RawEntities != nil {
				data[alias(f)] = s.data.RawEntities
			}
			continue
		}
		if f.Name == "__typename" {
			data[alias(f)] = rootType
			continue
		}
		v, _ := e.lookup(root, f)
		data[alias(f)] = e.complete(v, f, s.fieldType(rootType, f.Name), []any{alias(f)})
	}
	out := map[string]any{"data": data}
	if len(e.errors) > 0 {
		out["errors"] = e.errors
	}
	return out
}

func (s *Subgraph) fieldType(typeName, field string) string {
	if t := s.types[typeName]; t != nil {
		return t.fields[field]
	}
	return ""
}

// entities resolves _entities(representations:) against the entity table:
// an entity matches when every field of the representation that the entity
// also has is equal (keys, and @requires fields when the fixture has them).
func (e *execution) entities(f *ast.Field) []any {
	var reps []any
	for _, a := range f.Arguments {
		if a.Name == "representations" {
			v, _ := a.Value.Value(e.vars)
			reps, _ = v.([]any)
		}
	}
	out := make([]any, len(reps))
	for i, r := range reps {
		rep, _ := r.(map[string]any)
		typ, _ := rep["__typename"].(string)
		if !wellFormed(rep) {
			// A real subgraph's reference resolver cannot look up an
			// entity by a key that is missing or null.
			e.errors = append(e.errors, map[string]any{"message": "Invalid reference", "path": []any{"_entities", i}})
			continue
		}
		var found map[string]any
		for _, ent := range e.s.data.Entities[typ] {
			if matches(rep, ent) {
				found = ent
				break
			}
		}
		if found == nil {
			continue
		}
		obj := map[string]any{"__typename": typ}
		for k, v := range rep {
			obj[k] = v
		}
		for k, v := range found {
			obj[k] = v
		}
		out[i] = e.object(obj, f.SelectionSet, typ, []any{"_entities", i})
	}
	return out
}

// wellFormed: a representation names its type and has a key value, none
// of them null.
func wellFormed(rep map[string]any) bool {
	if _, ok := rep["__typename"].(string); !ok {
		return false
	}
	n := 0
	for k, v := range rep {
		if k == "__typename" {
			continue
		}
		if v == nil {
			return false
		}
		n++
	}
	return n > 0
}

func matches(rep, ent map[string]any) bool {
	n := 0
	for k, v := range rep {
		if k == "__typename" {
			continue
		}
		ev, ok := ent[k]
		if !ok {
			continue
		}
		if !subset(v, ev) {
			return false
		}
		n++
	}
	return n > 0
}

// subset: a is b, or an object whose fields are in b with equal values,
// or a list of as many items, each a subset of b's item at its index (a
// key such as "products { id }" on an entity whose fixture has more).
func subset(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		for k, v := range am {
			if !subset(v, bm[k]) {
				return false
			}
		}
		return true
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		if len(al) != len(bl) {
			return false
		}
		for i := range al {
			if !subset(al[i], bl[i]) {
				return false
			}
		}
		return true
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// lookup finds a field's value: by name and arguments first, then by name.
func (e *execution) lookup(obj map[string]any, f *ast.Field) (any, bool) {
	if len(f.Arguments) > 0 {
		var args []string
		for _, a := range f.Arguments {
			v, _ := a.Value.Value(e.vars)
			b, _ := json.Marshal(v)
			args = append(args, a.Name+":"+string(b))
		}
		sort.Strings(args)
		if v, ok := obj[f.Name+"("+strings.Join(args, ",")+")"]; ok {
			return v, true
		}
	}
	v, ok := obj[f.Name]
	return v, ok
}

func (e *execution) complete(v any, f *ast.Field, typ string, path []any) any {
	if m, ok := v.(map[string]any); ok {
		if msg, ok := m["$error"]; ok {
			gqlErr := map[string]any{"message": msg, "path": path}
			if ext, ok := m["extensions"]; ok {
				gqlErr["extensions"] = ext
			}
			e.errors = append(e.errors, gqlErr)
			return nil
		}
	}
	switch val := v.(type) {
	case []any:
		out := make([]any, len(val))
		for i, item := range val {
			out[i] = e.complete(item, f, typ, append(append([]any(nil), path...), i))
		}
		return out
	case map[string]any:
		if len(f.SelectionSet) == 0 {
			return val
		}
		return e.object(val, f.SelectionSet, typ, path)
	}
	return v
}

func (e *execution) object(obj map[string]any, set ast.SelectionSet, typ string, path []any) map[string]any {
	if t, ok := obj["__typename"].(string); ok {
		typ = t
	}
	out := map[string]any{}
	for _, f := range e.fields(set, typ) {
		p := append(append([]any(nil), path...), alias(f))
		if f.Name == "__typename" {
			out[alias(f)] = typ
			continue
		}
		if t := e.s.types[typ]; t != nil {
			if _, ok := t.fields[f.Name]; !ok {
				e.invalid("Cannot query field %q on type %q in subgraph %s", f.Name, typ, e.s.Name)
			}
		}
		v, _ := e.lookup(obj, f)
		out[alias(f)] = e.complete(v, f, e.s.fieldType(typ, f.Name), p)
	}
	return out
}

// fields flattens a selection set for a concrete type, applying fragments
// whose type condition the type satisfies.
func (e *execution) fields(set ast.SelectionSet, typ string) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			out = append(out, s)
		case *ast.InlineFragment:
			if s.TypeCondition != "" && e.s.types[s.TypeCondition] == nil {
				e.invalid("Unknown type %q in subgraph %s", s.TypeCondition, e.s.Name)
				continue
			}
			if s.TypeCondition == "" || e.s.satisfies(typ, s.TypeCondition) {
				out = append(out, e.fields(s.SelectionSet, typ)...)
			}
		case *ast.FragmentSpread:
			if fr := e.doc.Fragments.ForName(s.Name); fr != nil && e.s.satisfies(typ, fr.TypeCondition) {
				out = append(out, e.fields(fr.SelectionSet, typ)...)
			}
		}
	}
	return out
}

// checkShapes applies the part of the spec's "fields in set can merge"
// rule that trips gateways: fields under one response name must have the
// same type, nullability included, even when they sit in fragments on
// different object types (SameResponseShape). A real subgraph refuses such
// an operation, so a gateway must alias one of them.
func (e *execution) checkShapes(set ast.SelectionSet, typ string) {
	seen := map[string]string{}
	var walk func(set ast.SelectionSet, typ string)
	walk = func(set ast.SelectionSet, typ string) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				t := e.s.types[typ]
				if t == nil || t.full[s.Name] == "" {
					continue
				}
				full := t.full[s.Name]
				if prev, ok := seen[alias(s)]; ok && prev != full {
					e.invalid("Fields %q conflict because they return conflicting types %q and %q", alias(s), prev, full)
				}
				seen[alias(s)] = full
				if len(s.SelectionSet) > 0 {
					e.checkShapes(s.SelectionSet, t.fields[s.Name])
				}
			case *ast.InlineFragment:
				cond := s.TypeCondition
				if cond == "" {
					cond = typ
				}
				walk(s.SelectionSet, cond)
			case *ast.FragmentSpread:
				if fr := e.doc.Fragments.ForName(s.Name); fr != nil {
					walk(fr.SelectionSet, fr.TypeCondition)
				}
			}
		}
	}
	walk(set, typ)
}

// invalid records a validation error: a real subgraph would refuse the
// whole operation, so the scenario's response would show it.
func (e *execution) invalid(format string, args ...any) {
	e.errors = append(e.errors, map[string]any{"message": fmt.Sprintf(format, args...), "extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}})
}

func (s *Subgraph) satisfies(typ, cond string) bool {
	if typ == cond {
		return true
	}
	if t := s.types[typ]; t != nil && contains(t.interfaces, cond) {
		return true
	}
	if c := s.types[cond]; c != nil && contains(c.members, typ) {
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func alias(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}
