package postgres

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// NewID returns an id such as pay_01jx…: a prefix, then milliseconds and
// randomness in base 32, so ids sort by creation.
func NewID(prefix string) string {
	var b [10]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	_, _ = rand.Read(b[6:])
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	out := make([]byte, 0, 16)
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
	return fmt.Sprintf("%s_%s", prefix, out)
}

// Seed has nothing to write yet: payments are made by checkouts, which
// the orders subgraph will drive; the demo's order history arrives with it.
func Seed(context.Context, *pgxpool.Pool) error { return nil }
