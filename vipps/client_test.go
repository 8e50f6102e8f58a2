package vipps

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func paymentJSON(ref, state string, authorized, captured, cancelled, refunded int64) map[string]any {
	amt := func(v int64) map[string]any { return map[string]any{"currency": "NOK", "value": v} }
	return map[string]any{
		"reference": ref, "state": state, "amount": amt(49900), "pspReference": "psp-" + ref,
		"aggregate": map[string]any{"authorizedAmount": amt(authorized), "capturedAmount": amt(captured),
			"cancelledAmount": amt(cancelled), "refundedAmount": amt(refunded)},
		"paymentMethod": map[string]any{"type": "WALLET"}, "profile": map[string]any{},
	}
}

const ref = "pos1-sale-000042"

func TestAccessTokenIsCachedUntilShortlyBeforeExpiry(t *testing.T) {
	f := newFixture(t)
	f.gw.on("GET /epayment/v1/payments/"+ref, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, paymentJSON(ref, StateAuthorized, 49900, 0, 0, 0))
	})
	for range 3 {
		if _, err := f.c.GetPayment(ctx(t), ref); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.gw.CallsTo("POST", "/accesstoken/get")); n != 1 {
		t.Fatalf("fetched the token %d times for 3 calls, want once", n)
	}
	// expires_in "3600" (a JSON string): renewed 5 minutes early.
	f.clock.Advance(54 * time.Minute)
	_, _ = f.c.GetPayment(ctx(t), ref)
	if n := len(f.gw.CallsTo("POST", "/accesstoken/get")); n != 1 {
		t.Fatalf("token refetched after 54 min, want it cached until 55")
	}
	f.clock.Advance(2 * time.Minute)
	_, _ = f.c.GetPayment(ctx(t), ref)
	if n := len(f.gw.CallsTo("POST", "/accesstoken/get")); n != 2 {
		t.Fatalf("token fetched %d times after 56 min, want a fresh one", n)
	}
	tok := f.gw.CallsTo("POST", "/accesstoken/get")[0]
	if tok.Header.Get("client_id") != testClientID || tok.Header.Get("client_secret") != testClientSecret ||
		tok.Header.Get("Ocp-Apim-Subscription-Key") != testSubKey || len(tok.Body) != 0 {
		t.Errorf("token request lacks credential headers or has a body: %v %q", tok.Header, tok.Body)
	}
}

func TestRefusedTokenIsRefreshedOnce(t *testing.T) {
	f := newFixture(t)
	refusals := 1
	f.gw.on("GET /epayment/v1/payments/"+ref, func(w http.ResponseWriter, r *http.Request) {
		if refusals > 0 {
			refusals--
			w.WriteHeader(401)
			return
		}
		writeJSON(w, 200, paymentJSON(ref, StateCreated, 0, 0, 0, 0))
	})
	f.gw.skipRespVal = true // the spec lists no 401 for GET
	if _, err := f.c.GetPayment(ctx(t), ref); err != nil {
		t.Fatalf("one 401 should be healed by a new token: %v", err)
	}
	if n := len(f.gw.CallsTo("POST", "/accesstoken/get")); n != 2 {
		t.Fatalf("token fetched %d times, want 2 (initial + refresh)", n)
	}
	refusals = 5
	_, err := f.c.GetPayment(ctx(t), ref)
	if KindOf(err) != Unauthorized {
		t.Fatalf("persistent 401: kind %v (%v), want unauthorized", KindOf(err), err)
	}
	if n := len(f.gw.CallsTo("GET", "/epayment/v1/payments/"+ref)); n != 4 {
		t.Fatalf("%d GETs, want 4: the refresh is tried once per call, not in a loop", n)
	}
}

func TestTransientFailuresAreRetriedWithTheSameIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	f.gw.skipRespVal = true // 503 from a gateway is not in the spec
	failures := 2
	f.gw.on("POST /epayment/v1/payments", func(w http.ResponseWriter, r *http.Request) {
		if failures > 0 {
			failures--
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			_, _ = w.Write([]byte("<html>upstream unavailable</html>"))
			return
		}
		writeJSON(w, 201, map[string]string{"reference": ref})
	})
	_, err := f.c.CreatePayment(ctx(t), CreatePayment{Reference: ref, IdempotencyKey: "sale-42-pay-1",
		Amount: Amount{"NOK", 49900}, MSISDN: testMSISDN, Description: "Groceries"})
	if err != nil {
		t.Fatal(err)
	}
	calls := f.gw.CallsTo("POST", "/epayment/v1/payments")
	if len(calls) != 3 {
		t.Fatalf("%d attempts, want 3", len(calls))
	}
	for _, c := range calls {
		if c.Header.Get("Idempotency-Key") != "sale-42-pay-1" || string(c.Body) != string(calls[0].Body) {
			t.Errorf("a retry changed the key or body: %q %s", c.Header.Get("Idempotency-Key"), c.Body)
		}
	}
	// 500 ms base doubling, equal jitter at 0.5: 375 ms, 750 ms.
	if got, want := f.clock.Slept(), []time.Duration{375 * time.Millisecond, 750 * time.Millisecond}; !reflect.DeepEqual(got, want) {
		t.Errorf("backoff %v, want %v", got, want)
	}
}

func TestBackoffIsCappedAndHonoursRetryAfter(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxRetries = 6 })
	f.gw.skipRespVal = true
	n := 0
	f.gw.on("GET /epayment/v1/payments/"+ref, func(w http.ResponseWriter, r *http.Request) {
		n++
		switch {
		case n == 1:
			w.Header().Set("Retry-After", "7")
			writeProblem(w, 429, "Too many requests", "")
		case n < 7:
			writeProblem(w, 502, "Bad gateway", "")
		default:
			writeJSON(w, 200, paymentJSON(ref, StateCreated, 0, 0, 0, 0))
		}
	})
	if _, err := f.c.GetPayment(ctx(t), ref); err != nil {
		t.Fatal(err)
	}
	got := f.clock.Slept()
	if got[0] != 7*time.Second {
		t.Errorf("first wait %v, want Retry-After's 7s", got[0])
	}
	for _, d := range got {
		if d > 8*time.Second {
			t.Errorf("wait %v beyond the 8 s cap", d)
		}
	}
	if last := got[len(got)-1]; last != 6*time.Second { // capped 8 s, equal jitter at 0.5
		t.Errorf("last wait %v, want 6s", last)
	}
}

func TestNothingIsRetriedWhenVippsSaysNo(t *testing.T) {
	f := newFixture(t)
	f.gw.on("POST /epayment/v1/payments/"+ref+"/capture", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, 400, "Capture amount too high", "6090")
	})
	_, err := f.c.Capture(ctx(t), ref, Amount{"NOK", 99900}, "sale-42-cap-1")
	var ve *Error
	if !errors.As(err, &ve) || ve.Kind != Permanent || ve.Code != "6090" || ve.Status != 400 || ve.TraceID != "00-trace-6090-01" {
		t.Fatalf("got %#v", err)
	}
	if n := len(f.gw.CallsTo("POST", "/epayment/v1/payments/"+ref+"/capture")); n != 1 {
		t.Fatalf("%d attempts of a refused capture, want 1", n)
	}
}

func TestErrorKinds(t *testing.T) {
	cases := []struct {
		name       string
		respond    http.HandlerFunc
		kind       Kind
		code       string
		retryAfter time.Duration
	}{
		{"5xx is transient", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 500, "Internal", "") }, Transient, "", 0},
		{"423 order processing: try again with a new key", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 423, "Locked", "6160") }, RetryLater, "6160", 0},
		{"400 capture failed, try again later: a new key", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 400, "Bad Request", "6280") }, RetryLater, "6280", 0},
		{"500 internal error is transient", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 500, "Internal", "3010") }, Transient, "3010", 0},
		{"429 is rate-limited", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			writeProblem(w, 429, "Too many", "")
		}, RateLimited, "", 30 * time.Second},
		{"409 idempotency is conflict", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 409, "Idempotency", "4010") }, Conflict, "4010", 0},
		{"already captured is conflict", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 400, "Already captured", "6170") }, Conflict, "6170", 0},
		{"validation without code is invalid", func(w http.ResponseWriter, r *http.Request) {
			writeProblem(w, 400, "Bad Request", "", FieldError{"modificationAmount", "must be positive"})
		}, Invalid, "", 0},
		{"4xxx code is invalid", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 400, "Invalid amount", "4040") }, Invalid, "4040", 0},
		{"state error is permanent", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 400, "Before reservation", "6080") }, Permanent, "6080", 0},
		{"403 is unauthorized", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 403, "Forbidden", "") }, Unauthorized, "", 0},
		{"404 is not found", func(w http.ResponseWriter, r *http.Request) { writeProblem(w, 404, "Reference not found", "5090") }, NotFound, "5090", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *Config) { c.MaxRetries = -1 })
			f.gw.skipRespVal = true
			f.gw.on("POST /epayment/v1/payments/"+ref+"/capture", tc.respond)
			_, err := f.c.Capture(ctx(t), ref, Amount{"NOK", 100}, "k-1")
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is not *Error", err)
			}
			if ve.Kind != tc.kind || ve.Code != tc.code || ve.RetryAfter != tc.retryAfter || KindOf(err) != tc.kind {
				t.Fatalf("got kind %v code %q retry-after %v, want %v %q %v", ve.Kind, ve.Code, ve.RetryAfter, tc.kind, tc.code, tc.retryAfter)
			}
		})
	}
	t.Run("unauthorized token endpoint", func(t *testing.T) {
		f := newFixture(t)
		f.gw.skipRespVal = true
		f.gw.on("POST /accesstoken/get", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) })
		_, err := f.c.GetPayment(ctx(t), ref)
		if KindOf(err) != Unauthorized {
			t.Fatalf("kind %v, want unauthorized", KindOf(err))
		}
	})
	t.Run("no answer is transient", func(t *testing.T) {
		f := newFixture(t, func(c *Config) { c.MaxRetries = -1 })
		f.gw.srv.Close()
		_, err := f.c.GetPayment(ctx(t), ref)
		var ve *Error
		if !errors.As(err, &ve) || ve.Kind != Transient || ve.Status != 0 {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("our own mistakes are invalid before any call", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.c.CreatePayment(ctx(t), CreatePayment{Reference: "short", IdempotencyKey: "k", Amount: Amount{"NOK", 1000},
			MSISDN: testMSISDN, Description: "Groceries"})
		if KindOf(err) != Invalid || len(f.gw.Calls()) != 0 {
			t.Fatalf("kind %v after %d calls", KindOf(err), len(f.gw.Calls()))
		}
	})
}

// recordingTransport notes the deadline of every outgoing request.
type recordingTransport struct{ deadlines []bool }

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_, ok := r.Context().Deadline()
	rt.deadlines = append(rt.deadlines, ok)
	return http.DefaultTransport.RoundTrip(r)
}

func TestEveryCallHasADeadline(t *testing.T) {
	rt := &recordingTransport{}
	f := newFixture(t, func(c *Config) { c.HTTPClient = &http.Client{Transport: rt} })
	f.gw.on("GET /epayment/v1/payments/"+ref, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, paymentJSON(ref, StateCreated, 0, 0, 0, 0))
	})
	if _, err := f.c.GetPayment(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if len(rt.deadlines) != 2 || !rt.deadlines[0] || !rt.deadlines[1] {
		t.Fatalf("deadlines on token + GET: %v", rt.deadlines)
	}
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := f.c.GetPayment(expired, ref)
	if KindOf(err) != Transient || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired context: %v", err)
	}
}

func TestSystemHeadersOnEveryCallButUserinfo(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.SystemName = strings.Repeat("x", 40) })
	f.gw.on("GET /epayment/v1/payments/"+ref, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, paymentJSON(ref, StateCreated, 0, 0, 0, 0))
	})
	_, _ = f.c.GetPayment(ctx(t), ref)
	for _, c := range f.gw.Calls() {
		if got := c.Header.Get("Vipps-System-Name"); got != strings.Repeat("x", 30) {
			t.Errorf("%s: Vipps-System-Name %q, want cut to 30", c.Path, got)
		}
		if c.Header.Get("Vipps-System-Plugin-Name") == "" || c.Header.Get("Vipps-System-Version") == "" ||
			c.Header.Get("Vipps-System-Plugin-Version") == "" {
			t.Errorf("%s: system headers missing", c.Path)
		}
	}
}

func TestNoRetryWaitBeyondTheDeadline(t *testing.T) {
	f := newFixture(t)
	f.gw.skipRespVal = true
	f.gw.on("GET /epayment/v1/payments/"+ref, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		writeProblem(w, 429, "Too many requests", "")
	})
	_, err := f.c.GetPayment(ctx(t), ref) // 10 s deadline
	var ve *Error
	if !errors.As(err, &ve) || ve.Kind != RateLimited || ve.RetryAfter != time.Hour || len(f.clock.Slept()) != 0 {
		t.Fatalf("got %v after waits %v; want the 429 handed back at once", err, f.clock.Slept())
	}
}
