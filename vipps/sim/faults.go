package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Faults is what goes wrong on purpose. Endpoints are keyed by route name
// (e.g. "epayment.capture"), by API ("epayment", "login", "webhooks",
// "token", "qr", "checkin", "ordermanagement") or "*" for all; the most
// specific key wins. The same seed gives the same sequence of faults.
type Faults struct {
	Seed      int64                     `json:"seed"`
	Endpoints map[string]EndpointFaults `json:"endpoints,omitempty"`
	Webhooks  WebhookFaults             `json:"webhooks"`
}

// EndpointFaults are the faults of one endpoint. Shares are 0…1.
type EndpointFaults struct {
	Latency    Duration `json:"latency,omitempty"`    // added before answering
	LatencyMax Duration `json:"latencyMax,omitempty"` // if set: latency is uniform in [Latency, LatencyMax]
	Error5xx   float64  `json:"error5xx,omitempty"`   // 500 before anything happens
	// Error5xxAfter answers 500 although the request was carried out: the
	// nasty case that idempotency keys exist for.
	Error5xxAfter float64 `json:"error5xxAfter,omitempty"`
	TooMany       float64 `json:"tooMany,omitempty"`   // share answered 429
	Burst429      int     `json:"burst429,omitempty"`  // the next N requests answer 429
	Drop          float64 `json:"drop,omitempty"`      // connection closed, request not carried out
	DropAfter     float64 `json:"dropAfter,omitempty"` // connection closed after carrying it out
}

// WebhookFaults act on webhook deliveries, per registration.
type WebhookFaults struct {
	Drop      float64 `json:"drop,omitempty"`      // event never delivered
	Duplicate float64 `json:"duplicate,omitempty"` // delivered twice
	Reorder   float64 `json:"reorder,omitempty"`   // overtakes the event queued before it
}

// Duration is a time.Duration written as "250ms" in JSON.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return err
		}
		*d = Duration(time.Duration(n) * time.Millisecond)
		return nil
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

type faultState struct {
	mu     sync.Mutex
	cfg    Faults
	rng    *rand.Rand
	bursts map[string]int // remaining 429s per endpoint key
}

func newFaultState(f Faults) *faultState {
	fs := &faultState{}
	fs.set(f)
	return fs
}

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.cfg = f
	fs.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x6b61737365))
	fs.bursts = map[string]int{}
	for k, e := range f.Endpoints {
		fs.bursts[k] = e.Burst429
	}
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := fs.cfg
	out.Endpoints = map[string]EndpointFaults{}
	for k, e := range fs.cfg.Endpoints {
		e.Burst429 = fs.bursts[k]
		out.Endpoints[k] = e
	}
	return out
}

func (fs *faultState) webhook() WebhookFaults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.cfg.Webhooks
}

func (fs *faultState) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.rng.Float64() < p
}

// decision is what happens to one request.
type decision struct {
	latency              time.Duration
	status               int // 429 or 500 before handling
	drop, dropAfter, e5a bool
}

func (fs *faultState) decide(route string) decision {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	key, ok := "", false
	for _, k := range []string{route, strings.SplitN(route, ".", 2)[0], "*"} {
		if _, ok = fs.cfg.Endpoints[k]; ok {
			key = k
			break
		}
	}
	if !ok {
		return decision{}
	}
	e := fs.cfg.Endpoints[key]
	var d decision
	d.latency = time.Duration(e.Latency)
	if e.LatencyMax > e.Latency {
		d.latency += time.Duration(fs.rng.Int64N(int64(e.LatencyMax - e.Latency)))
	}
	roll := func(p float64) bool { return p > 0 && fs.rng.Float64() < p }
	switch {
	case fs.bursts[key] > 0:
		fs.bursts[key]--
		d.status = http.StatusTooManyRequests
	case roll(e.TooMany):
		d.status = http.StatusTooManyRequests
	case roll(e.Error5xx):
		d.status = http.StatusInternalServerError
	case roll(e.Drop):
		d.drop = true
	case roll(e.Error5xxAfter):
		d.e5a = true
	case roll(e.DropAfter):
		d.dropAfter = true
	}
	return d
}

// withFaults wraps one named route with fault injection.
func (s *Sim) withFaults(route string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d := s.faults.decide(route)
		if d.latency > 0 {
			t := time.NewTimer(d.latency)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		switch {
		case d.drop:
			dropConnection(w)
			return
		case d.status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "1")
			writeProblem(w, newProblem(r, d.status, "Too Many Requests", "Rate limit exceeded (simulated fault)."))
			return
		case d.status != 0:
			writeProblem(w, newProblem(r, d.status, "Internal Server Error", "An internal error occurred (simulated fault)."))
			return
		case d.e5a, d.dropAfter:
			h(&discardWriter{header: http.Header{}}, r) // carried out, answer lost
			if d.dropAfter {
				dropConnection(w)
				return
			}
			writeProblem(w, derr(http.StatusInternalServerError, "3010", "Internal error").problem(r))
			return
		}
		h(w, r)
	}
}

// dropConnection closes the connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // the server closes the connection
}

func (s *Sim) handleGetFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.faults.get())
}

func (s *Sim) handlePutFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := decodeStrict(r, &f); err != nil {
		http.Error(w, fmt.Sprintf("faults: %v", err), http.StatusBadRequest)
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, s.faults.get())
}

// SetFaults replaces the fault configuration (and restarts its random sequence).
func (s *Sim) SetFaults(f Faults) { s.faults.set(f) }

// CurrentFaults returns the fault configuration in force.
func (s *Sim) CurrentFaults() Faults { return s.faults.get() }

// discardWriter swallows the answer of a request that is carried out but
// whose answer the fault loses.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
