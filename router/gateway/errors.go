package gateway

import (
	"encoding/json"
	"strings"

	"github.com/wundergraph/graphql-go-tools/v2/pkg/operationreport"
)

// Error codes put in extensions.code of request errors, as Apollo names them.
const (
	CodeBadRequest       = "BAD_REQUEST"
	CodeParseFailed      = "GRAPHQL_PARSE_FAILED"
	CodeValidationFailed = "GRAPHQL_VALIDATION_FAILED"
	CodeBadUserInput     = "BAD_USER_INPUT"
	CodeInternal         = "INTERNAL_SERVER_ERROR"
	// CodeQueryPlanningFailed: a valid operation the router could not plan.
	CodeQueryPlanningFailed = "QUERY_PLANNING_FAILED"
	// CodeIntrospectionDisabled rejects __schema/__type when introspection is off.
	CodeIntrospectionDisabled = "INTROSPECTION_DISABLED"
	// CodeBatchingUnsupported rejects a JSON array of operations.
	CodeBatchingUnsupported = "BATCHING_NOT_SUPPORTED"
)

// RequestError is a request the client got wrong: it never reached a subgraph.
type RequestError struct {
	Code      string
	Message   string
	Locations []Location
	// More holds further errors of the same request, e.g. several
	// validation failures.
	More []*RequestError
}

// Location is a position in the query document.
type Location struct {
	Line   uint32 `json:"line"`
	Column uint32 `json:"column"`
}

func (e *RequestError) Error() string {
	msgs := []string{e.Message}
	for _, m := range e.More {
		msgs = append(msgs, m.Message)
	}
	return strings.ToLower(e.Code) + ": " + strings.Join(msgs, "; ")
}

// MarshalResponse renders the error as a GraphQL response body.
func (e *RequestError) MarshalResponse() []byte {
	type ext struct {
		Code string `json:"code"`
	}
	type gqlError struct {
		Message    string     `json:"message"`
		Locations  []Location `json:"locations,omitempty"`
		Extensions ext        `json:"extensions"`
	}
	var body struct {
		Errors []gqlError `json:"errors"`
	}
	for _, re := range append([]*RequestError{e}, e.More...) {
		body.Errors = append(body.Errors, gqlError{Message: re.Message, Locations: re.Locations, Extensions: ext{Code: re.Code}})
	}
	out, _ := json.Marshal(body)
	return out
}

// reportError converts the engine's report; internal errors are not shown.
func reportError(code string, report *operationreport.Report) *RequestError {
	var all []*RequestError
	for _, ee := range report.ExternalErrors {
		re := &RequestError{Code: code, Message: ee.Message}
		for _, l := range ee.Locations {
			re.Locations = append(re.Locations, Location{Line: l.Line, Column: l.Column})
		}
		all = append(all, re)
	}
	if len(all) == 0 {
		return &RequestError{Code: code, Message: "the operation is invalid"}
	}
	all[0].More = all[1:]
	return all[0]
}

// rendered is a response as the engine renders it, its parts left as they
// are, for the layers that rewrite its errors; marshalled again, the keys
// keep the engine's order.
type rendered struct {
	Errors     []json.RawMessage `json:"errors,omitempty"`
	Data       json.RawMessage   `json:"data,omitempty"`
	Extensions json.RawMessage   `json:"extensions,omitempty"`
}
