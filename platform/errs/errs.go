// Package errs holds the error codes every subgraph speaks, so a store, a
// rule and the GraphQL layer agree on what went wrong without sharing types.
package errs

import (
	"errors"
	"fmt"
)

// Code is machine-readable; it becomes a GraphQL error's extensions.code.
type Code string

// The codes a client may see. Anything else is Internal and shown only as
// "internal error".
const (
	NotFound        Code = "NOT_FOUND"
	Invalid         Code = "BAD_USER_INPUT"
	InvalidCursor   Code = "INVALID_CURSOR"
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	Conflict        Code = "CONFLICT"
	RateLimited     Code = "RATE_LIMIT_EXCEEDED"
	Internal        Code = "INTERNAL"
)

// Error is an error meant for the client: its message is safe to show.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// New returns an Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Problem is a business-rule failure the client can act on. It goes into a
// mutation payload's errors (every schema's XxxError: field, code,
// message), not the top-level GraphQL errors, which are for callers who
// may not ask and requests that went wrong.
type Problem struct {
	// Field is the path of the input field at fault, e.g. ["input",
	// "slug"]; nil for the input as a whole.
	Field []string
	// Code is a value of the subgraph's XxxErrorCode enum.
	Code    string
	Message string
	// Err is the failure behind a code a payload says more about (which
	// variants lack stock, where an order may go instead); errors.As finds
	// it through the Problem.
	Err error
}

func (p *Problem) Error() string { return p.Message }

func (p *Problem) Unwrap() error { return p.Err }

// Problemf returns a Problem with a formatted message.
func Problemf(field []string, code, format string, args ...any) *Problem {
	return &Problem{Field: field, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Field is the path of one input field for Problem.Field: nil for "", the
// input as a whole.
func Field(name string) []string {
	if name == "" {
		return nil
	}
	return []string{name}
}

// AsProblem splits a rule failure, for a payload's errors, from any other
// error, for the top-level errors: exactly one of its results is non-nil
// when err is.
func AsProblem(err error) (*Problem, error) {
	var p *Problem
	if errors.As(err, &p) {
		return p, nil
	}
	return nil, err
}
