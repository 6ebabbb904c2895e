package user

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// NewID returns a new user id: "usr_" and a ULID-like value (milliseconds
// then randomness, in Crockford base32), so ids sort by creation. Demo
// users have short ids (usr_0001) that sort before every generated one.
func NewID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	return fmt.Sprintf("usr_%s", crockford(b[:]))
}

const crockfordAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

func crockford(b []byte) string {
	var out []byte
	var acc uint32
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			out = append(out, crockfordAlphabet[(acc>>uint(bits))&31])
		}
	}
	if bits > 0 {
		out = append(out, crockfordAlphabet[(acc<<uint(5-bits))&31])
	}
	return string(out)
}
