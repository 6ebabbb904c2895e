// Package ids makes the ids of things the subgraphs create: a type prefix
// and a ULID-like value (milliseconds, then randomness, in Crockford
// base 32), so ids say what they are and sort by creation.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// New returns an id such as pay_01jx4k…: prefix, "_", 26 characters.
func New(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	out := make([]byte, 0, len(prefix)+1+26)
	out = append(out, prefix...)
	out = append(out, '_')
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, alphabet[(acc>>uint(bits))&31])
		}
	}
	if bits > 0 {
		out = append(out, alphabet[(acc<<uint(5-bits))&31])
	}
	return string(out)
}
