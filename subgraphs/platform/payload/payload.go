// Package payload turns a use case's error into a mutation payload's
// errors, the same way in every subgraph: a rule failure (*errs.Problem)
// becomes one error of the schema's XxxError type with its field, code and
// message; anything else stays a top-level GraphQL error.
package payload

import (
	"fmt"

	"github.com/myshop/supergraph/platform/errs"
)

// Code is a gqlgen enum: a payload error's XxxErrorCode.
type Code interface {
	~string
	IsValid() bool
}

// Errors returns the payload errors for err: none (an empty list, never
// null: the schema says [XxxError!]!) when err is nil, one made by build for
// a Problem, and err itself otherwise. A Problem whose code the schema does
// not know is a bug, reported as a top-level error rather than sent as an
// enum value the client cannot parse.
func Errors[E any, C Code](err error, build func(p *errs.Problem, code C) E) ([]E, error) {
	if err == nil {
		return []E{}, nil
	}
	p, err := errs.AsProblem(err)
	if err != nil {
		return nil, err
	}
	code := C(p.Code)
	if !code.IsValid() {
		return nil, fmt.Errorf("payload: problem code %q is not in the schema: %w", p.Code, p)
	}
	return []E{build(p, code)}, nil
}
