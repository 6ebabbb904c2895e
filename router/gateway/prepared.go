package gateway

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/buger/jsonparser"
	"github.com/cespare/xxhash/v2"
	"github.com/tidwall/sjson"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astparser"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/operationreport"
)

// The prepared-operation cache lets a repeated request skip parsing,
// normalization, validation and planning. What those steps produce depends
// only on the query text, the operation name and the boolean values of the
// variables used by @skip/@include (Cosmo keys its normalization cache the
// same way). The variables themselves differ per request, so the hit path
// replays, on the JSON alone, what variable normalization did on the first
// request, then coerces and validates the variables against the
// operation's variable definitions.

// Bounds on what one query text may cache: operations with more
// @skip/@include variables always take the full path, and at most
// maxVariants combinations of their values are kept.
const (
	maxSkipIncludeVariables = 8
	maxVariants             = 16
)

// shape is everything cached for one query text and operation name.
type shape struct {
	query, operationName string   // compared on hit: a hash collision must not serve another operation
	skipInclude          []string // variables read by @skip/@include, in document order
	mu                   sync.Mutex
	variants             map[string]*prepared // keyed by skipInclude signature
}

// prepared is one normalized, validated and planned operation plus the recipe
// that turns a request's variables into the plan's variables.
type prepared struct {
	typ        OperationType
	name       string
	rootFields []string
	cache      CachePolicy
	plan       *cachedPlan
	hash       uint64
	// remap (plan variable name → request variable name) is shared read-only
	// by every request of this operation.
	remap map[string]string
	// deleted are variables that normalization removed from the operation
	// (e.g. only used under a skipped field); they leave the JSON too.
	deleted []string
	// defaults are variable default values, set when the request lacks them.
	defaults []namedJSON
	// extracted are argument literals turned into variables.
	extracted []namedJSON
	// varDefs is a document holding just the operation's variable
	// definitions, for list coercion and variable validation. Read-only.
	varDefs *ast.Document
}

type namedJSON struct {
	name  string
	value []byte
}

func shapeKey(query, operationName string) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.WriteString(query)
	_, _ = d.WriteString("\x00")
	_, _ = d.WriteString(operationName)
	return d.Sum64()
}

// signature records, per @skip/@include variable, what normalization saw:
// true, false, or anything else (absent, null, not a boolean), which all make
// it fall back to the variable's default. buf must hold len(names) bytes.
func signature(names []string, variables []byte, buf []byte) []byte {
	buf = buf[:0]
	for _, name := range names {
		v, err := jsonparser.GetBoolean(variables, name)
		switch {
		case err != nil:
			buf = append(buf, 'o')
		case v:
			buf = append(buf, 't')
		default:
			buf = append(buf, 'f')
		}
	}
	return buf
}

// lookupPrepared finds the prepared operation for a request, if cached.
func (e *Engine) lookupPrepared(req Request, variables []byte) *prepared {
	s, ok := e.shapes.get(shapeKey(req.Query, req.OperationName))
	if !ok || s.query != req.Query || s.operationName != req.OperationName {
		return nil
	}
	var buf [maxSkipIncludeVariables]byte
	sig := signature(s.skipInclude, variables, buf[:])
	s.mu.Lock()
	p := s.variants[string(sig)]
	s.mu.Unlock()
	return p
}

// storePrepared caches p for the request's query and signature.
func (e *Engine) storePrepared(req Request, variables []byte, skipInclude []string, p *prepared) {
	key := shapeKey(req.Query, req.OperationName)
	s, ok := e.shapes.get(key)
	if !ok || s.query != req.Query || s.operationName != req.OperationName {
		s = &shape{query: req.Query, operationName: req.OperationName, skipInclude: skipInclude, variants: map[string]*prepared{}}
		e.shapes.put(key, s)
	}
	var buf [maxSkipIncludeVariables]byte
	sig := string(signature(s.skipInclude, variables, buf[:]))
	s.mu.Lock()
	if len(s.variants) < maxVariants {
		s.variants[sig] = p
	}
	s.mu.Unlock()
}

// variables turns a request's variables into the plan's, as normalization
// did on the request that prepared the operation, then coerces and
// validates them.
func (p *prepared) variables(k *kit, schema *ast.Document, in []byte) ([]byte, error) {
	vars := in
	var err error
	for _, name := range p.deleted {
		if _, _, _, e := jsonparser.Get(vars, name); e == nil {
			if vars, err = sjson.DeleteBytes(vars, name); err != nil {
				return nil, fmt.Errorf("delete variable %s: %w", name, err)
			}
		}
	}
	for _, d := range p.defaults {
		if _, _, _, e := jsonparser.Get(vars, d.name); e != nil {
			if vars, err = sjson.SetRawBytes(vars, d.name, d.value); err != nil {
				return nil, fmt.Errorf("default for variable %s: %w", d.name, err)
			}
		}
	}
	for _, x := range p.extracted {
		if vars, err = sjson.SetRawBytes(vars, x.name, x.value); err != nil {
			return nil, fmt.Errorf("extracted variable %s: %w", x.name, err)
		}
	}
	if p.varDefs == nil {
		return vars, nil
	}
	if vars, err = k.coercer.CoerceInput(p.varDefs, schema, vars); err != nil {
		return nil, fmt.Errorf("coerce variables: %w", err)
	}
	// With an explicit nil remap: the validator keeps the last remap it was given.
	if err := k.varValidator.ValidateWithRemap(p.varDefs, schema, vars, nil); err != nil {
		return nil, variablesError(err)
	}
	return vars, nil
}

// skipIncludeVariables lists the variables read by @skip(if:) and
// @include(if:) anywhere in a freshly parsed document. More than the selected
// operation uses only makes the cache key longer.
func skipIncludeVariables(doc *ast.Document) []string {
	var names []string
	for i := range doc.Directives {
		name := doc.DirectiveNameString(i)
		if name != "skip" && name != "include" {
			continue
		}
		for _, arg := range doc.Directives[i].Arguments.Refs {
			v := doc.Arguments[arg].Value
			if v.Kind == ast.ValueKindVariable {
				vn := strings.Clone(doc.VariableValueNameString(v.Ref)) // the doc's bytes are reused
				if !contains(names, vn) {
					names = append(names, vn)
				}
			}
		}
	}
	return names
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// operationVariables returns the variable definitions of the only operation
// of a normalized document.
func operationVariables(doc *ast.Document) []int {
	for _, n := range doc.RootNodes {
		if n.Kind == ast.NodeKindOperationDefinition {
			return doc.OperationDefinitions[n.Ref].VariableDefinitions.Refs
		}
	}
	return nil
}

func variableNames(doc *ast.Document) []string {
	var out []string
	for _, ref := range operationVariables(doc) {
		// A copy: the name string aliases the pooled document's input, which
		// the next request overwrites, and prepared operations keep the names.
		out = append(out, strings.Clone(doc.VariableDefinitionNameString(ref)))
	}
	return out
}

// replayable reports whether variable normalization of the document depends
// on the variables only in ways prepared.variables replays: an argument
// literal that embeds a variable ({id: $id}) is extracted with the variable's
// value inlined, so its operation must take the full path every time.
func replayable(doc *ast.Document) bool {
	for i := range doc.Arguments {
		v := doc.Arguments[i].Value
		if v.Kind != ast.ValueKindVariable && doc.ValueContainsVariable(v) {
			return false
		}
	}
	return true
}

// variableDefaults returns the default values that variable normalization
// will put into the JSON when a request lacks the variable, list-wrapped the
// way it does.
func variableDefaults(doc *ast.Document) ([]namedJSON, error) {
	var out []namedJSON
	for _, ref := range operationVariables(doc) {
		if !doc.VariableDefinitionHasDefaultValue(ref) {
			continue
		}
		value, err := doc.ValueToJSON(doc.VariableDefinitionDefaultValue(ref))
		if err != nil {
			return nil, fmt.Errorf("default value of %s: %w", doc.VariableDefinitionNameString(ref), err)
		}
		value = append([]byte(nil), value...)
		typ := doc.VariableDefinitions[ref].Type
		if doc.TypeIsList(typ) && len(value) > 0 && value[0] != '[' {
			for range doc.TypeNumberOfListWraps(typ) {
				value = append(append([]byte{'['}, value...), ']')
			}
		}
		out = append(out, namedJSON{name: strings.Clone(doc.VariableDefinitionNameString(ref)), value: value})
	}
	return out, nil
}

// variableDefinitionsDoc builds a tiny document declaring the normalized
// operation's variables, enough for coercion and variable validation.
func variableDefinitionsDoc(doc *ast.Document) (*ast.Document, error) {
	refs := operationVariables(doc)
	if len(refs) == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString("query(")
	for i, ref := range refs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + doc.VariableDefinitionNameString(ref) + ": ")
		t, err := doc.PrintTypeBytes(doc.VariableDefinitions[ref].Type, nil)
		if err != nil {
			return nil, fmt.Errorf("print variable type: %w", err)
		}
		b.Write(t)
	}
	b.WriteString(") { __typename }")
	out := ast.NewSmallDocument()
	var report operationreport.Report
	out.Input.ResetInputString(b.String())
	astparser.NewParser().Parse(out, &report)
	if report.HasErrors() {
		return nil, fmt.Errorf("parse variable definitions %q: %s", b.String(), report.Error())
	}
	return out, nil
}

// extractedVariables returns the variables normalization added to the
// operation for argument literals, with their values.
func extractedVariables(doc *ast.Document, before []string, vars []byte) ([]namedJSON, error) {
	var out []namedJSON
	for _, name := range variableNames(doc) {
		if contains(before, name) {
			continue
		}
		v, typ, _, err := jsonparser.Get(vars, name)
		if err != nil {
			return nil, fmt.Errorf("extracted variable %s not in variables: %w", name, err)
		}
		value := bytes.Clone(v)
		if typ == jsonparser.String {
			// jsonparser returns string contents raw (still escaped) without quotes.
			value = append(append([]byte{'"'}, v...), '"')
		}
		out = append(out, namedJSON{name: name, value: value})
	}
	return out, nil
}
