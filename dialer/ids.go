package dialer

import (
	"crypto/rand"
	"encoding/hex"
)

// IDLength is the length of every id NewID returns. Asterisk checks a new
// channel id against live ones by prefix and case-insensitively, so ids of
// one fixed length can never collide unless equal.
const IDLength = 36

// ID kinds, the third character of an id.
const (
	KindDebtor   = 'd' // a debtor's call (also the attempt id)
	KindAgent    = 'a' // an agent's nailed-up channel
	KindBridge   = 'b'
	KindPlayback = 'p'
)

// NewID returns a random, fixed-length, lower-case id: "dc", the kind, "-"
// and 32 hex digits.
func NewID(kind byte) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return "dc" + string(kind) + "-" + hex.EncodeToString(b[:])
}
