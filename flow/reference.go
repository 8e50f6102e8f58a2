package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Reference is the Vipps reference of a sale's payment attempt: the POS id
// and the receipt number, plus "-n" from the second attempt on, e.g.
// "pos1-000123" or "pos1-000123-2". It matches ^[a-zA-Z0-9-]{8,64}$ and is
// unique per sales unit as long as POS ids are.
func Reference(posID string, receiptSeq int64, attempt int) string {
	id := sanitizeRefPart(posID)
	if id == "" {
		id = "pos"
	}
	if len(id) > 40 {
		id = id[:40]
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
// from our own ids, so a retry (even after a restart) is the same request.
// Keys are at most 50 characters; longer ones are shortened by a hash.
func IdempotencyKey(reference, op string) string {
	k := reference + "-" + op
	if len(k) <= 50 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return op + "-" + hex.EncodeToString(sum[:])[:49-len(op)]
}
