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
	var entropy [10]byte
	_, _ = rand.Read(entropy[:])
	return At(prefix, time.Now(), entropy)
}

// At is the id New would have made at t with that randomness: for data
// made up after the fact (the demo seed), whose ids must sort by when it
// happened like live ones and be the same on every run.
func At(prefix string, t time.Time, entropy [10]byte) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	copy(b[6:], entropy[:])
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
