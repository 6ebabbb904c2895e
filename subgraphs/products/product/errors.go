package product

// The codes of the rule failures (errs.Problem) the catalog reports: the
// GraphQL enum ProductErrorCode. Anything that is not a rule failure (the
// database is down, the caller may not do this) is a top-level error.
const (
	NotFound         = "NOT_FOUND"
	SlugTaken        = "SLUG_TAKEN"
	SKUTaken         = "SKU_TAKEN"
	InvalidPrice     = "INVALID_PRICE"
	InvalidSlug      = "INVALID_SLUG"
	InvalidAttribute = "INVALID_ATTRIBUTE"
	UnknownChannel   = "UNKNOWN_CHANNEL"
	CategoryCycle    = "CATEGORY_CYCLE"
	Required         = "REQUIRED"
	Invalid          = "INVALID"
	AlreadyReviewed  = "ALREADY_REVIEWED"
	InvalidRating    = "INVALID_RATING"
	InUse            = "IN_USE"
)
