// Package idempotency holds what every keyed mutation shares: which keys a
// client may send, and the hash that tells a repeat of a request from
// another request reusing its key.
package idempotency

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/myshop/supergraph/platform/errs"
)

// MaxKeyLength is the longest key stored; the schemas say so to clients.
const MaxKeyLength = 255

// CheckKey refuses a blank key, which would make unrelated requests one,
// and one longer than MaxKeyLength.
func CheckKey(key string) error {
	if strings.TrimSpace(key) == "" || len(key) > MaxKeyLength {
		return errs.New(errs.Invalid, "idempotencyKey must be 1 to %d characters", MaxKeyLength)
	}
	return nil
}

// Hash is a keyed request's fingerprint, stored with its key: a repeat
// with the same parts replays the first answer, other parts under the same
// key are refused. Each part is written with %v and a NUL after it, so
// ("ab", "c") and ("a", "bc") differ. Stored hashes must stay valid, so the
// encoding never changes.
func Hash(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%v\x00", p)
	}
	return hex.EncodeToString(h.Sum(nil))
}
