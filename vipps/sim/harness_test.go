package sim_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/kasse-pos/kasse/vipps/internal/openapitest"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// clock is a virtual clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// basePath puts the simulator behind a gateway prefix, as a client's
// BaseURL may carry one.
const basePath = "/gw"

type harness struct {
	t     *testing.T
	sim   *sim.Sim
	clock *clock
	url   string // base URL incl. basePath
	cfg   sim.Config
	token string
}

// validating checks every response the simulator sends against the
// official OpenAPI files. Requests are not checked: the tests send broken
// ones on purpose. Where a spec leaves out a status the real service does
// send (401, 403, 404, 429 …), the body must still be a well-formed error
// of the API's kind (checkUndeclared).
func validating(t *testing.T, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		err := openapitest.CheckResponse(r, rec.Code, rec.Header(), rec.Body.Bytes())
		var re *openapi3filter.ResponseError
		switch {
		case errors.Is(err, openapitest.ErrNoSpec):
			// CIBA, the simulator's own pages: checked by hand in the tests
		case errors.As(err, &re) && re.Reason == "status is not supported":
			checkUndeclared(t, r, rec)
		case err != nil:
			t.Errorf("response %d to %s %s breaks the OpenAPI contract: %v\nbody: %s", rec.Code, r.Method, r.URL.Path, err, rec.Body.Bytes())
		}
		validated.Add(1)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

var validated atomic.Int64

// checkUndeclared holds an error status the spec does not list to the
// API's error shape: RFC 7807 problem+json for ePayment and Webhooks.
func checkUndeclared(t *testing.T, r *http.Request, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code < 400 {
		t.Errorf("undeclared success status %d for %s %s", rec.Code, r.Method, r.URL.Path)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/epayment/") && !strings.HasPrefix(r.URL.Path, "/webhooks/") {
		return
	}
	var p struct {
		Type, Title, TraceID string
		Status               int
	}
	if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil ||
		p.Type == "" || p.Title == "" || p.TraceID == "" || p.Status != rec.Code {
		t.Errorf("%d to %s %s is not a problem+json body: %s", rec.Code, r.Method, r.URL.Path, rec.Body.Bytes())
	}
}

// newHarness serves a simulator whose every exchange is validated against
// the official OpenAPI files.
func newHarness(t *testing.T, tweak func(*sim.Config)) *harness {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	cfg := sim.DefaultConfig()
	cfg.Now = c.Now
	cfg.AuthorizingWindow = 0
	cfg.WebhookRetryDelays = []time.Duration{time.Millisecond}
	cfg.WebhookTimeout = 5 * time.Second
	cfg.HTTPWebhooks = true // the sinks are httptest servers on this machine
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	strip := http.StripPrefix(basePath, validating(t, s))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Forwarded-Prefix", basePath) // as a path-routing proxy tells the service behind it
		strip.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); s.Close() })
	return &harness{t: t, sim: s, clock: c, url: srv.URL + basePath, cfg: s.Config()}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// errorCode is the Vipps ErrorCode of a problem body ("" if none).
func (r resp) errorCode(t *testing.T) string {
	t.Helper()
	var p struct {
		ExtraDetails []struct{ Name, Reason string } `json:"extraDetails"`
	}
	r.json(t, &p)
	for _, d := range p.ExtraDetails {
		if d.Name == "ErrorCode" {
			return d.Reason
		}
	}
	return ""
}

func (h *harness) do(method, path string, hdr map[string]string, body any) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case url.Values:
		rd = strings.NewReader(b.Encode())
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	switch body.(type) {
	case nil:
	case url.Values:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// api calls an API with the standard headers (token, key, MSN) plus extra.
func (h *harness) api(method, path string, extra map[string]string, body any) resp {
	h.t.Helper()
	if h.token == "" {
		h.token = h.accessToken()
	}
	hdr := map[string]string{
		"Authorization":             "Bearer " + h.token,
		"Ocp-Apim-Subscription-Key": h.cfg.SubscriptionKey,
		"Merchant-Serial-Number":    h.cfg.MSN,
		"Vipps-System-Name":         "kasse-test",
		"Vipps-System-Version":      "1",
	}
	for k, v := range extra {
		hdr[k] = v
	}
	return h.do(method, path, hdr, body)
}

func (h *harness) accessToken() string {
	h.t.Helper()
	r := h.do("POST", "/accesstoken/get", map[string]string{
		"client_id": h.cfg.ClientID, "client_secret": h.cfg.ClientSecret,
		"Ocp-Apim-Subscription-Key": h.cfg.SubscriptionKey, "Merchant-Serial-Number": h.cfg.MSN,
	}, nil)
	if r.status != 200 {
		h.t.Fatalf("access token: %d %s", r.status, r.body)
	}
	var tok map[string]any
	r.json(h.t, &tok)
	for _, k := range []string{"expires_in", "ext_expires_in", "expires_on", "not_before"} {
		if _, ok := tok[k].(string); !ok {
			h.t.Errorf("access token %s is %T, want a JSON string", k, tok[k])
		}
	}
	return tok["access_token"].(string)
}

type amount struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

type aggregate struct {
	AuthorizedAmount, CancelledAmount, CapturedAmount, RefundedAmount amount
}

type payment struct {
	State     string    `json:"state"`
	Aggregate aggregate `json:"aggregate"`
	Reference string    `json:"reference"`
}

func (h *harness) createPush(ref, msisdn string, value int64, key string) resp {
	h.t.Helper()
	return h.api("POST", "/epayment/v1/payments", map[string]string{"Idempotency-Key": key}, map[string]any{
		"amount": amount{"NOK", value}, "paymentMethod": map[string]string{"type": "WALLET"},
		"customer": map[string]string{"phoneNumber": msisdn}, "customerInteraction": "CUSTOMER_PRESENT",
		"reference": ref, "userFlow": "PUSH_MESSAGE", "paymentDescription": "Winter jacket",
	})
}

func (h *harness) get(ref string) payment {
	h.t.Helper()
	r := h.api("GET", "/epayment/v1/payments/"+ref, nil, nil)
	if r.status != 200 {
		h.t.Fatalf("get %s: %d %s", ref, r.status, r.body)
	}
	var p payment
	r.json(h.t, &p)
	return p
}

func (h *harness) modify(ref, op string, value int64, key string) resp {
	h.t.Helper()
	return h.api("POST", "/epayment/v1/payments/"+ref+"/"+op, map[string]string{"Idempotency-Key": key},
		map[string]any{"modificationAmount": amount{"NOK", value}})
}

// pendingPush is the one pending push on msisdn's phone.
func (h *harness) pendingPush(msisdn string) sim.Push {
	h.t.Helper()
	var found []sim.Push
	for _, p := range h.sim.Pushes(msisdn) {
		if p.State == sim.PushPending {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		h.t.Fatalf("phone %s has %d pending pushes, want 1: %+v", msisdn, len(found), found)
	}
	return found[0]
}

// received is one webhook delivery as the merchant's server saw it.
type received struct {
	path   string
	host   string
	header http.Header
	body   []byte
}

// webhookSink is the merchant's webhook endpoint; fail makes it answer 500
// for the first n deliveries.
type webhookSink struct {
	url  string
	got  chan received
	mu   sync.Mutex
	fail int
}

func newSink(t *testing.T, path string) *webhookSink {
	k := &webhookSink{got: make(chan received, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		k.mu.Lock()
		failing := k.fail > 0
		if failing {
			k.fail--
		}
		k.mu.Unlock()
		k.got <- received{path: r.URL.RequestURI(), host: r.Host, header: r.Header.Clone(), body: b}
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	k.url = srv.URL + path
	return k
}

func (k *webhookSink) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-k.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivered")
		return received{}
	}
}

// verifyWebhook checks a delivery the way a merchant must (API.md §8.4),
// written independently of the simulator's signer.
func verifyWebhook(secret, registeredURL string, r received) bool {
	sum := sha256.Sum256(r.body)
	hash := base64.StdEncoding.EncodeToString(sum[:])
	if r.header.Get("x-ms-content-sha256") != hash {
		return false
	}
	u, err := url.Parse(registeredURL)
	if err != nil {
		return false
	}
	pathAndQuery := u.EscapedPath()
	if u.RawQuery != "" {
		pathAndQuery += "?" + u.RawQuery
	}
	msg := "POST\n" + pathAndQuery + "\n" + r.header.Get("x-ms-date") + ";" + u.Host + ";" + hash
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(msg))
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" +
		base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return subtle.ConstantTimeCompare([]byte(r.header.Get("Authorization")), []byte(want)) == 1
}

func (h *harness) register(url string, events ...string) (id, secret string) {
	h.t.Helper()
	r := h.api("POST", "/webhooks/v1/webhooks", nil, map[string]any{"url": url, "events": events})
	if r.status != 201 {
		h.t.Fatalf("register webhook: %d %s", r.status, r.body)
	}
	var out struct{ ID, Secret string }
	r.json(h.t, &out)
	return out.ID, out.Secret
}

func basicAuth(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
