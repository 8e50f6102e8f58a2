package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Per-reference rate limits of ePayment (requests per minute).
const (
	mutatingLimit = 5
	readLimit     = 120
)

// rateLimit counts the request against (op, reference) in a sliding
// minute and answers 429 with Retry-After when the bucket is full. A
// missing reference shares one bucket, as on the real service.
func (s *Sim) rateLimit(w http.ResponseWriter, r *http.Request, op, ref string, limit int) bool {
	if limit < 0 {
		return true
	}
	s.mu.Lock()
	now := s.now()
	key := op + "\x00" + ref
	hits := s.rates[key]
	i := 0
	for i < len(hits) && !hits[i].After(now.Add(-time.Minute)) {
		i++
	}
	hits = hits[i:]
	if len(hits) >= limit {
		wait := hits[0].Add(time.Minute).Sub(now)
		s.rates[key] = hits
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeProblem(w, derr(http.StatusTooManyRequests, "", "Too Many Requests").problem(r))
		return false
	}
	s.rates[key] = append(hits, now)
	s.mu.Unlock()
	return true
}

// limitFor is the per-minute limit in force (negative: none).
func (s *Sim) limitFor(mutating bool) int {
	n, def := s.cfg.ReadsPerMinute, readLimit
	if mutating {
		n, def = s.cfg.MutatingPerMinute, mutatingLimit
	}
	if n == 0 {
		return def
	}
	return n
}

type idemSpec struct {
	op, scope    string
	required     bool
	conflictCode string
}

type idemEntry struct {
	bodyHash [32]byte
	reply    reply
}

// idempotent runs do under the lock unless the Idempotency-Key was seen
// before: then the same body gets the stored answer and another body 409.
// Answers of 5xx are not stored, so a retry after a server error runs again.
func (s *Sim) idempotent(w http.ResponseWriter, r *http.Request, spec idemSpec, body []byte, do func() reply) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" && spec.required {
		writeProblem(w, validationProblem(r, []extraDetail{{Name: "Idempotency-Key", Reason: "The Idempotency-Key header is required."}}))
		return
	}
	if len(key) > 50 {
		writeProblem(w, validationProblem(r, []extraDetail{{Name: "Idempotency-Key", Reason: "The Idempotency-Key header must be at most 50 characters."}}))
		return
	}
	s.mu.Lock()
	if key == "" {
		out := do()
		s.mu.Unlock()
		s.notify()
		out.write(w)
		return
	}
	id := spec.op + "\x00" + spec.scope + "\x00" + key
	h := canonicalHash(body)
	if e, ok := s.idem[id]; ok {
		s.mu.Unlock()
		if e.bodyHash != h {
			writeProblem(w, derr(http.StatusConflict, spec.conflictCode, "Idempotency conflict: the key was used with another request body").problem(r))
			return
		}
		e.reply.write(w)
		return
	}
	out := do()
	if out.status < 500 {
		s.idem[id] = idemEntry{bodyHash: h, reply: out}
	}
	s.mu.Unlock()
	s.notify()
	out.write(w)
}

// canonicalHash ignores formatting and key order, as "the same body" means
// the same JSON value.
func canonicalHash(body []byte) [32]byte {
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			return sha256.Sum256(b)
		}
	}
	return sha256.Sum256(bytes.TrimSpace(body))
}
