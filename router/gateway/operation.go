package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

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
	Type      OperationType
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
	}
}

func (k *kit) reset() {
	k.doc.Reset()
	k.report.Reset()
	k.printed.Reset()
}

// parseLimits bounds the work one request can cause in the parser.
var parseLimits = astparser.TokenizerLimits{MaxDepth: 100, MaxFields: 5000}

// Prepare parses, normalizes and validates a request and finds or builds
// its plan. A failure is a *RequestError saying whose fault it is.
func (e *Engine) Prepare(req Request) (*Operation, error) {
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

	k.doc.Input.ResetInputString(req.Query)
	if _, err := k.parser.ParseWithLimits(parseLimits, k.doc, &k.report); err != nil {
		return nil, &RequestError{Code: CodeParseFailed, Message: err.Error()}
	}
	if k.report.HasErrors() {
		return nil, reportError(CodeParseFailed, &k.report)
	}
	typ, opName, err := selectOperation(k.doc, req.OperationName)
	if err != nil {
		return nil, err
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
	k.varNormalizer.NormalizeOperation(k.doc, e.clientSchema, &k.report)
	if k.report.HasErrors() {
		return nil, reportError(CodeValidationFailed, &k.report)
	}
	remap := k.varMapper.NormalizeOperation(k.doc, e.clientSchema, &k.report)
	if k.report.HasErrors() {
		return nil, reportError(CodeValidationFailed, &k.report)
	}
	if err := k.varValidator.ValidateWithRemap(k.doc, e.clientSchema, k.doc.Input.Variables, remap); err != nil {
		var inv *variablesvalidation.InvalidVariableError
		if errors.As(err, &inv) {
			return nil, &RequestError{Code: CodeBadUserInput, Message: inv.Message}
		}
		return nil, &RequestError{Code: CodeBadUserInput, Message: err.Error()}
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
	p, err := e.plan(hash, k, opName)
	if err != nil {
		return nil, err
	}
	return &Operation{
		Type:      typ,
		plan:      p,
		hash:      hash,
		variables: vars,
		remap:     copyMap(remap),
	}, nil
}

// selectOperation picks the operation to run, as the GraphQL spec's
// GetOperation does, and returns its type and name.
func selectOperation(doc *ast.Document, name string) (OperationType, string, error) {
	var ops []int
	for i := range doc.RootNodes {
		if doc.RootNodes[i].Kind == ast.NodeKindOperationDefinition {
			ops = append(ops, doc.RootNodes[i].Ref)
		}
	}
	chosen := -1
	switch {
	case len(ops) == 0:
		return 0, "", &RequestError{Code: CodeValidationFailed, Message: "the document contains no operation"}
	case name == "" && len(ops) > 1:
		return 0, "", &RequestError{Code: CodeValidationFailed, Message: "operationName is required when the document contains several operations"}
	case name == "":
		chosen = ops[0]
	default:
		for _, ref := range ops {
			if doc.OperationDefinitionNameString(ref) == name {
				chosen = ref
			}
		}
		if chosen < 0 {
			return 0, "", &RequestError{Code: CodeValidationFailed, Message: fmt.Sprintf("unknown operation named %q", name)}
		}
	}
	name = doc.OperationDefinitionNameString(chosen)
	switch doc.OperationDefinitions[chosen].OperationType {
	case ast.OperationTypeMutation:
		return Mutation, name, nil
	case ast.OperationTypeSubscription:
		return Subscription, name, nil
	}
	return Query, name, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
