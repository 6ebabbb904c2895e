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
