package user

// Codes of the rule failures (errs.Problem) in mutation payloads
// (AccountErrorCode).
const (
	CodeInvalidEmail       = "INVALID_EMAIL"
	CodeEmailTaken         = "EMAIL_TAKEN"
	CodePasswordTooShort   = "PASSWORD_TOO_SHORT"
	CodePasswordTooCommon  = "PASSWORD_TOO_COMMON"
	CodeRequired           = "REQUIRED"
	CodeInvalidCredentials = "INVALID_CREDENTIALS"
	CodeInvalidToken       = "INVALID_TOKEN"
)

// More payload error codes.
const (
	CodeInvalid          = "INVALID"
	CodeNotFound         = "NOT_FOUND"
	CodeInvalidPassword  = "INVALID_PASSWORD"
	CodeUnknownRole      = "UNKNOWN_ROLE"
	CodeCannotChangeSelf = "CANNOT_CHANGE_SELF"
)
