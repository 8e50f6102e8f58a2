package flow

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Reference is the Vipps reference of a sale's payment attempt: the
// installation id, the till id and the receipt number, plus "-n" from the
// second attempt on, e.g. "k7m2qx-pos1-000123" or "k7m2qx-pos1-000123-2".
// It matches ^[a-zA-Z0-9-]{8,64}$. Receipt numbers start again at 1 in a
// new database and till ids repeat across stores, so the installation id
// (random, made once per database) is what keeps a second till, a second
// installation or a reinstall on the same sales unit from ever sending a
// reference that is already taken.
func Reference(installation, posID string, receiptSeq int64, attempt int) string {
	id := sanitizeRefPart(posID)
	if id == "" {
		id = "pos"
	}
	if len(id) > 32 {
		id = id[:32]
	}
	if inst := sanitizeRefPart(installation); inst != "" {
		if len(inst) > 12 {
			inst = inst[:12]
		}
		id = inst + "-" + id
	}
	ref := fmt.Sprintf("%s-%06d", id, receiptSeq)
	if attempt > 1 {
		ref += fmt.Sprintf("-%d", attempt)
	}
	for len(ref) < 8 {
		ref = "k" + ref
	}
	return ref
}

// ReferencePrefix is what every reference of this till starts with.
func ReferencePrefix(installation, posID string) string {
	ref := Reference(installation, posID, 0, 1)
	return ref[:len(ref)-len("000000")]
}

// CreateKey is the Idempotency-Key of a payment attempt's create: derived
// from the reference and a nonce made when the attempt was stored. A retry
// re-sends the stored key; another installation that (wrongly) sent the same
// reference can never present the same key, so our key on the CREATED event
// in Vipps' event log proves the payment is ours.
func CreateKey(reference, nonce string) string {
	return IdempotencyKey(reference, "create-"+nonce)
}

// NewNonce returns 8 random lower-case letters and digits.
func NewNonce() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	for i, x := range b {
		b[i] = alphabet[int(x)%len(alphabet)]
	}
	return string(b[:])
}

func sanitizeRefPart(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// IdempotencyKey derives the Idempotency-Key of an operation on a payment
// from our own ids, so a retry (even after a restart) is the same request
// (API.md §2.2: at most 50 characters, derived from our own operation id).
// The one implementation of the rule: a key that would be longer is
// "h-" and 48 hex digits of a hash of the whole, whatever the length of
// reference and op.
func IdempotencyKey(reference, op string) string {
	k := reference + "-" + op
	if len(k) <= maxIdempotencyKey {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "h-" + hex.EncodeToString(sum[:])[:maxIdempotencyKey-2]
}

// maxIdempotencyKey is Vipps' limit on an Idempotency-Key.
const maxIdempotencyKey = 50
