package vipps

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/vipps/internal/openapitest"
)

// Secrets and personal data that must never reach a log line.
const (
	testClientID     = "b3f7c2a4-0c1e-4d5f-9a8b-1c2d3e4f5a6b"
	testClientSecret = "cs-Zq8Xw2Lk9Pm4Nv7Rt1"
	testSubKey       = "sk-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	testAccessToken  = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.access-SECRET.sig"
	testLoginToken   = "ciba.W_IfLoginTokenSECRET"
	testMSN          = "123456"
	testMSISDN       = "4791234567"
	basePath         = "/vipps-gw"
)

// call is one request as the fake Vipps saw it.
type call struct {
	Method string
	Path   string // wire path below the base path
	Header http.Header
	Body   []byte
}

func (c call) Form() url.Values {
	v, _ := url.ParseQuery(string(c.Body))
	return v
}

// gateway is a fake Vipps behind a non-empty base path. Every request the
// client sends is validated against the official OpenAPI files (or, for
// the CIBA endpoints that have none, by hand), and so is every answer the
// fake gives, so the fakes cannot drift from the contract either.
type gateway struct {
	t           *testing.T
	srv         *httptest.Server
	mu          sync.Mutex
	calls       []call
	routes      map[string]http.HandlerFunc
	skipRespVal bool // for answers the spec does not list (e.g. 503 from a gateway)
}

func newGateway(t *testing.T) *gateway {
	g := &gateway{t: t, routes: map[string]http.HandlerFunc{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	g.on("POST /accesstoken/get", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"token_type": "Bearer", "expires_in": "3600", "ext_expires_in": "3600",
			"expires_on": "1495271273", "not_before": "1495184574", "resource": "00000002-0000-0000-c000-000000000000",
			"access_token": testAccessToken})
	})
	g.on("GET "+discoveryPath, func(w http.ResponseWriter, r *http.Request) {
		root := g.srv.URL + basePath
		writeJSON(w, 200, map[string]any{
			"issuer":                                root + "/access-management-1.0/access/",
			"authorization_endpoint":                root + "/access-management-1.0/access/oauth2/auth",
			"token_endpoint":                        root + tokenPath,
			"userinfo_endpoint":                     root + userinfoPath,
			"backchannel_authentication_endpoint":   root + backchannelPath,
			"jwks_uri":                              root + "/access-management-1.0/access/.well-known/jwks.json",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		})
	})
	return g
}

func (g *gateway) on(route string, h http.HandlerFunc) { g.routes[route] = h }

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	t := g.t
	body, _ := io.ReadAll(r.Body)
	path, ok := strings.CutPrefix(r.URL.Path, basePath)
	if !ok {
		t.Errorf("request %s %s ignores the base path %s", r.Method, r.URL.Path, basePath)
		http.NotFound(w, r)
		return
	}
	g.mu.Lock()
	g.calls = append(g.calls, call{Method: r.Method, Path: path, Header: r.Header.Clone(), Body: body})
	g.mu.Unlock()

	_, _, ferr := openapitest.FindRoute(r.Method, r.URL.Path)
	spec := !errors.Is(ferr, openapitest.ErrNoSpec)
	if spec {
		openapitest.ValidateRequest(t, r, body)
	} else {
		checkCIBARequest(t, r, path, body)
	}
	h := g.routes[r.Method+" "+path]
	if h == nil {
		t.Errorf("unexpected request %s %s", r.Method, path)
		http.NotFound(w, r)
		return
	}
	rec := httptest.NewRecorder()
	r.Body = io.NopCloser(bytes.NewReader(body))
	h(rec, r)
	if spec && !g.skipRespVal {
		openapitest.ValidateResponse(t, r, rec.Code, rec.Header(), rec.Body.Bytes())
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// checkCIBARequest checks by hand what API.md §5.2–5.5 asks of the CIBA
// endpoints, which have no OpenAPI file: POST, form body, client_secret_basic,
// no subscription key.
func checkCIBARequest(t *testing.T, r *http.Request, path string, body []byte) {
	t.Helper()
	if path != backchannelPath && path != userExistsPath {
		t.Errorf("%s %s has no OpenAPI file and is not a known CIBA endpoint", r.Method, path)
		return
	}
	if r.Method != "POST" {
		t.Errorf("%s: method %s, want POST", path, r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("%s: Content-Type %q, want a form", path, ct)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testClientID+":"+testClientSecret))
	if got := r.Header.Get("Authorization"); got != want {
		t.Errorf("%s: Authorization is not client_secret_basic", path)
	}
	if r.Header.Get("Ocp-Apim-Subscription-Key") != "" {
		t.Errorf("%s: sends a subscription key; CIBA takes none", path)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		t.Errorf("%s: body is not a form: %v", path, err)
	}
	hint := form.Get("login_hint")
	if !strings.HasPrefix(hint, "urn:msisdn:") || !msisdnDigits.MatchString(strings.TrimPrefix(hint, "urn:msisdn:")) {
		t.Errorf("%s: login_hint %q is not urn:msisdn:<MSISDN>", path, hint)
	}
	if path == backchannelPath {
		if !strings.Contains(" "+form.Get("scope")+" ", " openid ") {
			t.Errorf("scope %q lacks openid", form.Get("scope"))
		}
		if bm := form.Get("binding_message"); bm != "" && !bindingPattern.MatchString(bm) {
			t.Errorf("binding_message %q breaks ^[A-Z0-9-]{5,8}$", bm)
		}
	}
}

func (g *gateway) Calls() []call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]call(nil), g.calls...)
}

// CallsTo returns the calls to method+path.
func (g *gateway) CallsTo(method, path string) []call {
	var out []call
	for _, c := range g.Calls() {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, title, code string, extra ...FieldError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	det := extra
	if code != "" {
		det = append(det, FieldError{Name: "ErrorCode", Reason: code})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://httpstatuses.io/" + http.StatusText(status),
		"title": title, "detail": title, "status": status, "traceId": "00-trace-" + code + "-01", "extraDetails": det})
}

// fakeClock is the injected time: Sleep advances it instead of waiting.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Advance(d time.Duration) { _ = c.Sleep(context.Background(), d) }

func (c *fakeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// syncBuffer collects log output from concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	gw    *gateway
	clock *fakeClock
	c     *Client
	logs  *syncBuffer
}

func newFixture(t *testing.T, tweak ...func(*Config)) *fixture {
	t.Helper()
	f := &fixture{gw: newGateway(t), clock: &fakeClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, logs: &syncBuffer{}}
	cfg := Config{
		BaseURL: f.gw.srv.URL + basePath, ClientID: testClientID, ClientSecret: testClientSecret,
		SubscriptionKey: testSubKey, MSN: testMSN, SystemName: "kasse", SystemVersion: "1.0.0",
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    f.clock.Now, Sleep: f.clock.Sleep, Jitter: func() float64 { return 0.5 },
	}
	for _, fn := range tweak {
		fn(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.c = c
	return f
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
