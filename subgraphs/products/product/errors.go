package product

import "fmt"

// Code says which business rule refused a change; it is the GraphQL enum
// ProductErrorCode.
type Code string

// The rule codes. Anything that is not a rule failure (the database is
// down, the caller may not do this) is a top-level error, not a Problem.
const (
	NotFound         Code = "NOT_FOUND"
	SlugTaken        Code = "SLUG_TAKEN"
	SKUTaken         Code = "SKU_TAKEN"
	InvalidPrice     Code = "INVALID_PRICE"
	InvalidSlug      Code = "INVALID_SLUG"
	InvalidAttribute Code = "INVALID_ATTRIBUTE"
	UnknownChannel   Code = "UNKNOWN_CHANNEL"
	CategoryCycle    Code = "CATEGORY_CYCLE"
	Required         Code = "REQUIRED"
	Invalid          Code = "INVALID"
	AlreadyReviewed  Code = "ALREADY_REVIEWED"
	InvalidRating    Code = "INVALID_RATING"
	InUse            Code = "IN_USE"
)

// Problem is a business rule failure, reported in a mutation payload's
// errors with the input field at fault.
type Problem struct {
	Field   []string
	Code    Code
	Message string
}

func (p *Problem) Error() string { return p.Message }

// Problemf returns a Problem with a formatted message.
func Problemf(field []string, code Code, format string, args ...any) *Problem {
	return &Problem{Field: field, Code: code, Message: fmt.Sprintf(format, args...)}
}
