package product

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// NewID returns a prefixed id that sorts by creation time ("prd_" +
// milliseconds + randomness, in hex), so id order is roughly age order and
// ids never collide across replicas.
func NewID(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return fmt.Sprintf("%s_%012x%08x", prefix, time.Now().UnixMilli(), binary.BigEndian.Uint32(b[:]))
}
