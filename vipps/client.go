// Package vipps is the till's client for the Vipps MobilePay APIs it uses:
// access token, personal QR exchange, Check-in, Login (CIBA), ePayment,
// Order Management and Webhooks. It follows the HTTP contract in
// shared/vipps/API.md and is tested against the official OpenAPI files.
//
// One Client talks to one sales unit (MSN) in one environment; point
// BaseURL at TestBaseURL, ProductionBaseURL or the simulator.
package vipps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Base URLs of the two Vipps MobilePay environments (API.md §0).
const (
	TestBaseURL       = "https://apitest.vipps.no"
	ProductionBaseURL = "https://api.vipps.no"
)

// Config is what a Client needs. Only BaseURL, ClientID, ClientSecret,
// SubscriptionKey and MSN are required; the rest have sensible defaults.
type Config struct {
	BaseURL         string // no trailing slash needed; may carry a path (a proxy or test server)
	ClientID        string
	ClientSecret    string
	SubscriptionKey string // Ocp-Apim-Subscription-Key of the sales unit
	MSN             string // Merchant-Serial-Number, 4–7 digits

	// Vipps-System-* headers, each cut to 30 characters. Plugin values
	// default to the system values, as the docs ask when there is no plugin.
	SystemName, SystemVersion, PluginName, PluginVersion string

	HTTPClient  *http.Client
	Logger      *slog.Logger  // nil: no logging
	CallTimeout time.Duration // applied when the caller's context has no deadline; default 20 s

	// Retries of transient failures (network, 5xx, 423, 429) for calls
	// that are safe to repeat. Default 3 retries (negative: none), backoff 500 ms doubling,
	// capped at 8 s, jittered; Retry-After wins when longer.
	MaxRetries int
	RetryBase  time.Duration
	RetryCap   time.Duration

	// Injectable time, so token expiry, polling and backoff are testable.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64 // in [0,1)
}

// Client calls Vipps for one sales unit. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	hc   *http.Client
	log  *slog.Logger

	tokMu  sync.Mutex
	tok    string
	tokExp time.Time

	discMu  sync.Mutex
	disc    *Discovery
	discExp time.Time
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("vipps: BaseURL %q is not an absolute URL", cfg.BaseURL)
	}
	var missing []string
	for name, v := range map[string]string{"ClientID": cfg.ClientID, "ClientSecret": cfg.ClientSecret,
		"SubscriptionKey": cfg.SubscriptionKey, "MSN": cfg.MSN} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("vipps: config lacks %s", strings.Join(missing, ", "))
	}
	if !msnPattern.MatchString(cfg.MSN) {
		return nil, fmt.Errorf("vipps: MSN %q is not 4–7 digits", cfg.MSN)
	}
	if cfg.SystemName == "" {
		cfg.SystemName = "kasse"
	}
	if cfg.SystemVersion == "" {
		cfg.SystemVersion = "dev"
	}
	if cfg.PluginName == "" {
		cfg.PluginName = cfg.SystemName
	}
	if cfg.PluginVersion == "" {
		cfg.PluginVersion = cfg.SystemVersion
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 20 * time.Second
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = 3
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0 // never retry
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 500 * time.Millisecond
	}
	if cfg.RetryCap <= 0 {
		cfg.RetryCap = 8 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepCtx
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	c := &Client{cfg: cfg, base: base, hc: cfg.HTTPClient, log: cfg.Logger}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// MSN returns the sales unit this client acts for.
func (c *Client) MSN() string { return c.cfg.MSN }

type authMode int

const (
	authAccessToken authMode = iota // Bearer from /accesstoken/get + subscription key + MSN
	authCredentials                 // the /accesstoken/get call itself
	authBasic                       // Login/CIBA: client_secret_basic, no subscription key
	authLoginBearer                 // userinfo: Bearer <login token> and nothing else
	authNone                        // discovery
)

type request struct {
	op     string
	method string
	path   string // below BaseURL, or an absolute URL (from discovery)
	query  url.Values
	json   any
	form   url.Values
	idem   string // Idempotency-Key, identical on every attempt
	auth   authMode
	bearer string // for authLoginBearer
	retry  bool   // safe to repeat after a transient failure
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) url(r request) string {
	if strings.HasPrefix(r.path, "https://") || strings.HasPrefix(r.path, "http://") {
		return r.path
	}
	u := *c.base
	u.Path = c.base.Path + r.path
	u.RawPath = ""
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	return u.String()
}

func cut30(s string) string {
	if len(s) > 30 {
		return s[:30]
	}
	return s
}

func (c *Client) newHTTPRequest(ctx context.Context, r request, body []byte, token string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.url(r), rd)
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("Accept", "application/json")
	switch {
	case r.json != nil:
		h.Set("Content-Type", "application/json")
	case r.form != nil:
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.auth != authLoginBearer {
		// Userinfo takes the Bearer token only (API.md §5.6); everyone
		// else gets the system headers.
		h.Set("Vipps-System-Name", cut30(c.cfg.SystemName))
		h.Set("Vipps-System-Version", cut30(c.cfg.SystemVersion))
		h.Set("Vipps-System-Plugin-Name", cut30(c.cfg.PluginName))
		h.Set("Vipps-System-Plugin-Version", cut30(c.cfg.PluginVersion))
	}
	switch r.auth {
	case authAccessToken:
		h.Set("Authorization", "Bearer "+token)
		h.Set("Ocp-Apim-Subscription-Key", c.cfg.SubscriptionKey)
		h.Set("Merchant-Serial-Number", c.cfg.MSN)
	case authCredentials:
		h.Set("client_id", c.cfg.ClientID)
		h.Set("client_secret", c.cfg.ClientSecret)
		h.Set("Ocp-Apim-Subscription-Key", c.cfg.SubscriptionKey)
		h.Set("Merchant-Serial-Number", c.cfg.MSN)
	case authBasic:
		req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
		h.Set("Merchant-Serial-Number", c.cfg.MSN)
	case authLoginBearer:
		h.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.idem != "" {
		h.Set("Idempotency-Key", r.idem)
	}
	return req, nil
}

// do sends r, retrying transient failures when r.retry, refreshing the
// access token once on 401, and turns error answers into *Error.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.CallTimeout)
		defer cancel()
	}
	var body []byte
	switch {
	case r.json != nil:
		b, err := json.Marshal(r.json)
		if err != nil {
			return nil, &Error{Op: r.op, Kind: Invalid, Err: err}
		}
		body = b
	case r.form != nil:
		body = []byte(r.form.Encode())
	}
	refreshed := false
	for attempt := 0; ; {
		token := ""
		if r.auth == authAccessToken {
			t, err := c.accessToken(ctx)
			if err != nil {
				return nil, err
			}
			token = t
		}
		req, err := c.newHTTPRequest(ctx, r, body, token)
		if err != nil {
			return nil, &Error{Op: r.op, Kind: Invalid, Err: err}
		}
		start := c.cfg.Now()
		resp, err := c.send(req)
		var verr *Error
		switch {
		case err != nil:
			verr = &Error{Op: r.op, Kind: Transient, Err: err}
			if ctx.Err() != nil {
				verr.Err = ctx.Err()
				c.logCall(r, attempt, 0, start, verr)
				return nil, verr
			}
		case resp.status/100 == 2:
			c.logCall(r, attempt, resp.status, start, nil)
			return resp, nil
		case resp.status == http.StatusUnauthorized && r.auth == authAccessToken && !refreshed:
			// A token revoked or expired early: fetch a new one, once.
			c.logCall(r, attempt, resp.status, start, errors.New("access token refused; refreshing"))
			c.dropToken(token)
			refreshed = true
			continue
		default:
			verr = parseError(r.op, resp.status, resp.header, resp.body, c.cfg.Now())
		}
		c.logCall(r, attempt, statusOf(resp), start, verr)
		if !r.retry || attempt >= c.cfg.MaxRetries || (verr.Kind != Transient && verr.Kind != RateLimited) {
			return nil, verr
		}
		wait := c.backoff(attempt, verr.RetryAfter)
		// Deadlines run on the real clock, whatever Now is injected.
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, verr // no time left to wait; the caller decides
		}
		c.log.Warn("vipps retry", "op", r.op, "attempt", attempt+1, "wait", wait.String(), "kind", verr.Kind.String())
		if err := c.cfg.Sleep(ctx, wait); err != nil {
			return nil, verr
		}
		attempt++
	}
}

func statusOf(r *response) int {
	if r == nil {
		return 0
	}
	return r.status
}

func (c *Client) send(req *http.Request) (*response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// backoff is capped exponential with equal jitter; a longer Retry-After wins.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := c.cfg.RetryBase << attempt
	if d > c.cfg.RetryCap || d <= 0 {
		d = c.cfg.RetryCap
	}
	d = d/2 + time.Duration(c.cfg.Jitter()*float64(d/2))
	if retryAfter > d {
		d = retryAfter
	}
	return d
}

// logCall logs one attempt. Only the operation, method, path (which holds
// at most a payment reference) and outcome are logged: never headers,
// bodies, tokens or phone numbers.
func (c *Client) logCall(r request, attempt, status int, start time.Time, err error) {
	path := r.path
	if u, perr := url.Parse(path); perr == nil && u.Host != "" {
		path = u.Path
	}
	attrs := []any{"op", r.op, "method", r.method, "path", path, "status", status,
		"attempt", attempt + 1, "duration", c.cfg.Now().Sub(start).String()}
	if err == nil {
		c.log.Debug("vipps call", attrs...)
		return
	}
	c.log.Info("vipps call failed", append(attrs, "error", err.Error())...)
}

// decode unmarshals a success body; a body that does not parse is an
// error of unknown kind (Vipps said yes, but we cannot tell to what).
func decode(op string, resp *response, out any) error {
	if err := json.Unmarshal(resp.body, out); err != nil {
		return &Error{Op: op, Status: resp.status, Kind: KindUnknown, Err: fmt.Errorf("unreadable answer: %w", err)}
	}
	return nil
}

func invalid(op, format string, args ...any) *Error {
	return &Error{Op: op, Kind: Invalid, Detail: fmt.Sprintf(format, args...)}
}
