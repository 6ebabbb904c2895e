package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/ast"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astnormalization"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astparser"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astprinter"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/astvalidation"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/operationreport"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/variablesvalidation"
)

// Request is a GraphQL request as received over HTTP.
type Request struct {
	Query         string
	OperationName string
	Variables     json.RawMessage // a JSON object, or empty
}

// OperationType is the kind of a prepared operation.
type OperationType int

// Operation types.
const (
	Query OperationType = iota
	Mutation
	Subscription
)

// Operation is a request that parsed, validated and has a plan; Execute runs it.
type Operation struct {
	Type OperationType
	// Name is the operation's name, "" when anonymous.
	Name string
	// RootFields are the coordinates of the root selections ("Mutation.login"),
	// one per selection, so an aliased field counts each time: rate limits
	// are weighted by them.
	RootFields []string
	// Cost is the static cost estimate with this request's variables and,
	// after Execute, the actual cost.
	Cost Cost
	// ExposeCost asks Execute to add the cost to the response's
	// extensions (extensions.cost), as the client asked.
	ExposeCost bool
	// Cache is how long the answer may be kept (cachecontrol.go).
	Cache     CachePolicy
	plan      *cachedPlan
	hash      uint64
	variables []byte
	remap     map[string]string
}

// kit holds the stateful, reusable pieces of request preparation; kits are
// pooled because the walkers inside them are expensive to build.
type kit struct {
	parser        *astparser.Parser
	doc           *ast.Document
	normalizer    *astnormalization.OperationNormalizer
	validator     *astvalidation.OperationValidator
	varNormalizer *astnormalization.VariablesNormalizer
	varMapper     *astnormalization.VariablesMapper
	varValidator  *variablesvalidation.VariablesValidator
	coercer       *astnormalization.ListInputCoercion
	printed       bytes.Buffer
	report        operationreport.Report
}

func newKit() *kit {
	return &kit{
		parser: astparser.NewParser(),
		doc:    ast.NewSmallDocument(),
		normalizer: astnormalization.NewWithOpts(
			astnormalization.WithRemoveNotMatchingOperationDefinitions(),
			astnormalization.WithInlineFragmentSpreads(),
			astnormalization.WithRemoveFragmentDefinitions(),
			astnormalization.WithRemoveUnusedVariables(),
		),
		validator:     astvalidation.DefaultOperationValidator(),
		varNormalizer: astnormalization.NewVariablesNormalizer(),
		varMapper:     astnormalization.NewVariablesMapper(),
		varValidator:  variablesvalidation.NewVariablesValidator(variablesvalidation.VariablesValidatorOptions{}),
		coercer:       astnormalization.NewListInputCoercion(),
	}
}

func (k *kit) reset() {
	k.doc.Reset()
	k.report.Reset()
	k.printed.Reset()
}

// Prepare turns a request into an Operation ready to Execute. A repeated
// operation comes from the prepared-operation cache with only its variables
// processed; otherwise it is parsed, normalized, validated and planned. A
// failure is a *RequestError saying whose fault it is.
func (e *Engine) Prepare(req Request) (*Operation, error) {
	variables := []byte(req.Variables)
	if len(bytes.TrimSpace(variables)) == 0 || bytes.Equal(bytes.TrimSpace(variables), []byte("null")) {
		variables = []byte("{}")
	}
	if !json.Valid(variables) || bytes.TrimSpace(variables)[0] != '{' {
		return nil, &RequestError{Code: CodeBadRequest, Message: "variables must be a JSON object"}
	}
	if req.Query == "" {
		return nil, &RequestError{Code: CodeBadRequest, Message: "the request has no query"}
	}

	k, _ := e.kits.Get().(*kit)
	if k == nil {
		k = newKit()
	}
	defer func() {
		// Drop kits that grew on a huge request rather than keep the memory.
		if len(k.doc.Input.RawBytes) < 1<<20 {
			k.reset()
			e.kits.Put(k)
		}
	}()
	k.reset()

	p := e.lookupPrepared(req, variables)
	if obs := e.observer; obs != nil {
		obs.Prepared(p != nil)
	}
	if p != nil {
		vars, err := p.variables(k, e.clientSchema, variables)
		if err != nil {
			return nil, err
		}
		// Variables may size lists (first: $n): the cost is per request.
		cost, err := e.estimate(p.plan, vars, p.remap)
		if err != nil {
			return nil, err
		}
		return &Operation{Type: p.typ, Name: p.name, RootFields: p.rootFields, Cost: cost, Cache: p.cache,
			plan: p.plan, hash: p.hash, variables: vars, remap: p.remap}, nil
	}
	return e.prepareFull(k, req, variables)
}

// prepareFull runs the whole pipeline and, when the operation's variable
// handling can be replayed, caches the result for the next request.
func (e *Engine) prepareFull(k *kit, req Request, variables []byte) (*Operation, error) {
	l := &e.limits
	if l.ParserTokens > 0 && countTokens(req.Query, l.ParserTokens) > l.ParserTokens {
		return nil, &RequestError{Code: CodeParseFailed, Message: fmt.Sprintf("the document has more than %d tokens", l.ParserTokens)}
	}
	k.doc.Input.ResetInputString(req.Query)
	if _, err := k.parser.ParseWithLimits(astparser.TokenizerLimits{MaxDepth: l.ParserDepth, MaxFields: l.ParserFields}, k.doc, &k.report); err != nil {
		return nil, &RequestError{Code: CodeParseFailed, Message: err.Error()}
	}
	if k.report.HasErrors() {
		return nil, reportError(CodeParseFailed, &k.report)
	}
	if err := l.checkParsed(k.doc); err != nil {
		return nil, err
	}
	typ, opRef, err := selectOperation(k.doc, req.OperationName)
	if err != nil {
		return nil, err
	}
	opName := strings.Clone(k.doc.OperationDefinitionNameString(opRef)) // outlives the pooled document
	skipInclude := skipIncludeVariables(k.doc)
	var declared []string
	for _, ref := range k.doc.OperationDefinitions[opRef].VariableDefinitions.Refs {
		declared = append(declared, strings.Clone(k.doc.VariableDefinitionNameString(ref))) // kept by the prepared cache
	}

	// Variables must be attached before normalization: @skip/@include with
	// variable conditions are folded there.
	k.doc.Input.Variables = variables
	k.normalizer.NormalizeNamedOperation(k.doc, e.clientSchema, []byte(opName), &k.report)
	if k.report.HasErrors() {
		return nil, reportError(CodeValidationFailed, &k.report)
	}
	// Validate before extracting variables, or an enum literal turned into a
	// JSON string would pass a String argument.
	k.validator.Validate(k.doc, e.clientSchema, &k.report)
	if k.report.HasErrors() {
		return nil, reportError(CodeValidationFailed, &k.report)
	}
	// Checked before caching, so a rejected operation is never served from it.
	if e.noIntrospect && selectsIntrospection(k.doc) {
		return nil, &RequestError{Code: CodeIntrospectionDisabled, Message: "GraphQL introspection is disabled on this router"}
	}
	stats := measureShape(k.doc, e.clientSchema)
	policy := cachePolicy(k.doc, e.clientSchema, e.cacheHints, e.rules)
	if err := l.checkShape(stats); err != nil {
		return nil, err
	}
	// Record what variable normalization will do, to replay it on cache hits.
	kept := variableNames(k.doc)
	replay := len(skipInclude) <= maxSkipIncludeVariables && replayable(k.doc)
	defaults, err := variableDefaults(k.doc)
	if err != nil {
		return nil, err
	}

	k.varNormalizer.NormalizeOperation(k.doc, e.clientSchema, &k.report)
	if k.report.HasErrors() {
		return nil, reportError(CodeValidationFailed, &k.report)
	}
	var p *prepared
	if replay {
		if p, err = recipe(k.doc, declared, kept, defaults); err != nil {
			return nil, err
		}
	}
	remap := k.varMapper.NormalizeOperation(k.doc, e.clientSchema, &k.report)
	if k.report.HasErrors() {
		return nil, reportError(CodeValidationFailed, &k.report)
	}
	if err := k.varValidator.ValidateWithRemap(k.doc, e.clientSchema, k.doc.Input.Variables, remap); err != nil {
		return nil, variablesError(err)
	}

	// The printed, normalized operation with remapped variable names is the
	// plan's identity: operations differing only in literals, variable names
	// or formatting share a plan.
	if err := astprinter.Print(k.doc, &k.printed); err != nil {
		return nil, fmt.Errorf("print operation: %w", err)
	}
	hash := xxhash.Sum64(k.printed.Bytes())
	// Planning may rewrite the document; keep the variables as validated.
	vars := append([]byte(nil), k.doc.Input.Variables...)
	plan, err := e.plan(hash, k, opName)
	if err != nil {
		return nil, err
	}
	cost, err := e.estimate(plan, vars, remap)
	if err != nil {
		return nil, err
	}
	op := &Operation{Type: typ, Name: opName, RootFields: stats.rootFields, Cost: cost, Cache: policy,
		plan: plan, hash: hash, variables: vars, remap: copyMap(remap)}
	if p != nil {
		p.typ, p.plan, p.hash, p.remap = typ, plan, hash, op.remap
		p.name, p.rootFields, p.cache = opName, stats.rootFields, policy
		e.storePrepared(req, variables, skipInclude, p)
	}
	return op, nil
}

// recipe describes, for a document fresh from variable normalization, how
// that normalization changed the variables JSON.
func recipe(doc *ast.Document, declared, kept []string, defaults []namedJSON) (*prepared, error) {
	p := &prepared{defaults: defaults}
	for _, name := range declared {
		if !contains(kept, name) {
			p.deleted = append(p.deleted, name)
		}
	}
	now := variableNames(doc)
	for _, name := range kept {
		if !contains(now, name) {
			// Variable normalization dropped a variable: not a case replayed.
			return nil, nil
		}
	}
	var err error
	if p.extracted, err = extractedVariables(doc, kept, doc.Input.Variables); err != nil {
		return nil, err
	}
	if p.varDefs, err = variableDefinitionsDoc(doc); err != nil {
		return nil, err
	}
	return p, nil
}

// variablesError reports invalid variable values to the client.
func variablesError(err error) *RequestError {
	var inv *variablesvalidation.InvalidVariableError
	if errors.As(err, &inv) {
		return &RequestError{Code: CodeBadUserInput, Message: inv.Message}
	}
	return &RequestError{Code: CodeBadUserInput, Message: err.Error()}
}

// selectOperation picks the operation to run, as the GraphQL spec's
// GetOperation does, and returns its type and ref.
func selectOperation(doc *ast.Document, name string) (OperationType, int, error) {
	var ops []int
	for i := range doc.RootNodes {
		if doc.RootNodes[i].Kind == ast.NodeKindOperationDefinition {
			ops = append(ops, doc.RootNodes[i].Ref)
		}
	}
	chosen := -1
	switch {
	case len(ops) == 0:
		return 0, -1, &RequestError{Code: CodeValidationFailed, Message: "the document contains no operation"}
	case name == "" && len(ops) > 1:
		return 0, -1, &RequestError{Code: CodeValidationFailed, Message: "operationName is required when the document contains several operations"}
	case name == "":
		chosen = ops[0]
	default:
		for _, ref := range ops {
			if doc.OperationDefinitionNameString(ref) == name {
				chosen = ref
			}
		}
		if chosen < 0 {
			return 0, -1, &RequestError{Code: CodeValidationFailed, Message: fmt.Sprintf("unknown operation named %q", name)}
		}
	}
	switch doc.OperationDefinitions[chosen].OperationType {
	case ast.OperationTypeMutation:
		return Mutation, chosen, nil
	case ast.OperationTypeSubscription:
		return Subscription, chosen, nil
	}
	return Query, chosen, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
