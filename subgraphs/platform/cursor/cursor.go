// Package cursor makes the opaque Relay cursors of every connection. A cursor
// names the list it belongs to, so one reused on another list (or another
// sort, once lists have several) is refused instead of paging wrongly.
package cursor

import (
	"encoding/base64"
	"strings"

	"github.com/myshop/supergraph/platform/errs"
)

// Encode returns the cursor for the row with key in the list named list.
func Encode(list, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "|" + key))
}

// Decode returns the key inside c, which must be a cursor of list. An empty
// cursor means "from the start" and decodes to "".
func Decode(list, c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", errs.New(errs.InvalidCursor, "cursor %q is not valid", c)
	}
	l, key, ok := strings.Cut(string(b), "|")
	if !ok || l != list || key == "" {
		return "", errs.New(errs.InvalidCursor, "cursor %q does not belong to this list", c)
	}
	return key, nil
}

// Page size limits shared by every connection.
const (
	MaxFirst = 100
)

// First checks a connection's first argument.
func First(first int) error {
	if first < 0 || first > MaxFirst {
		return errs.New(errs.Invalid, "first must be between 0 and %d, got %d", MaxFirst, first)
	}
	return nil
}

// PageSize is a list's first argument, or def when the client sent none,
// checked against the bounds every list shares.
func PageSize(first *int, def int) (int, error) {
	n := def
	if first != nil {
		n = *first
	}
	return n, First(n)
}
