package user

// Codes of the typed errors in mutation payloads (AccountErrorCode).
const (
	CodeInvalidEmail       = "INVALID_EMAIL"
	CodeEmailTaken         = "EMAIL_TAKEN"
	CodePasswordTooShort   = "PASSWORD_TOO_SHORT"
	CodePasswordTooCommon  = "PASSWORD_TOO_COMMON"
	CodeRequired           = "REQUIRED"
	CodeInvalidCredentials = "INVALID_CREDENTIALS"
	CodeInvalidToken       = "INVALID_TOKEN"
)

// FieldError is a business-rule failure the client can act on; it goes
// into the mutation payload's errors, not the top-level GraphQL errors.
type FieldError struct {
	Field   string // input field at fault, "" for the whole input
	Code    string
	Message string
}

func (e *FieldError) Error() string { return e.Message }

// More payload error codes.
const (
	CodeInvalid          = "INVALID"
	CodeNotFound         = "NOT_FOUND"
	CodeInvalidPassword  = "INVALID_PASSWORD"
	CodeUnknownRole      = "UNKNOWN_ROLE"
	CodeCannotChangeSelf = "CANNOT_CHANGE_SELF"
)
