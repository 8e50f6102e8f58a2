// Package sim is a Vipps MobilePay simulator: an http.Handler that speaks the
// same HTTP contract as the real service (access token, personal-QR exchange,
// Check-in, Login CIBA, ePayment, Order Management, Webhooks), with a
// simulated customer phone per MSISDN, signed webhook delivery, fault
// injection and a ledger for verification.
//
// It keeps its own wire types on purpose: sharing them with our client would
// let a misreading of the contract pass unnoticed on both sides.
package sim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config is what the simulator accepts and how it behaves. The zero value
// of any field means its default (see DefaultConfig).
type Config struct {
	MSN             string // the one sales unit it simulates
	ClientID        string
	ClientSecret    string
	SubscriptionKey string
	Currency        string // the sales unit's market: NOK, DKK or EUR
	MerchantName    string // shown on the customer's phone
	ClubName        string // shown on the check-in screen
	// Consents are the club's marketing consents as configured in the
	// business portal, with the simulated customer's answer; asked when a
	// login's scope has delegatedConsents. nil: DefaultConsents.
	Consents []ConsentText

	Auto      string        // customer answers automatically: "approve", "decline" or "none"
	AutoDelay time.Duration // how long the customer takes to answer

	WebhookSecret string // fixed secret for registrations; empty: a fresh one each time

	TokenLifetime time.Duration // access-token lifetime (1 h as in the test environment)
	PaymentExpiry time.Duration // push payments expire after this (10 min)
	// CaptureGuarantee is how long after authorization the reservation is
	// guaranteed (captureGuaranteedUntil); default 7 days, as BankAxept.
	CaptureGuarantee  time.Duration
	AuthorizingWindow time.Duration // after approval the payment is "processing" this long (cancel ⇒ 6250)
	LoginExpiry       time.Duration // CIBA auth_req_id lifetime (600 s)
	LoginInterval     int           // CIBA minimum poll interval in seconds (5)

	CheckInMT bool // Check-in answers 500 as it does in the real test environment

	// Per-reference ePayment rate limits per minute: 0 means the real
	// service's (5 for create/capture/cancel/refund, 120 for reads), a
	// negative value means no limit.
	MutatingPerMinute, ReadsPerMinute int

	// UnknownNumbers are MSISDNs that have no Vipps/MobilePay account
	// (ePayment 7010, Login invalid_user). Numbers whose last four digits
	// are 0000 are unknown too.
	UnknownNumbers []string

	WebhookTimeout     time.Duration   // per delivery attempt (10 s)
	WebhookRetryDelays []time.Duration // back-off between attempts; the last repeats
	WebhookMaxAttempts int             // then the event is dropped (29)

	Faults Faults // fault injection at start; changeable at run time

	// HTTPWebhooks accepts http:// webhook URLs, for a till on this
	// machine. Vipps takes https:// only, and so does the simulator
	// unless told otherwise.
	HTTPWebhooks bool

	// NoPushMessage plays a sales unit not enabled for PUSH_MESSAGE (the
	// default at Vipps until the merchant asks): such creates get 5080.
	NoPushMessage bool

	Now    func() time.Time // injectable clock
	Logger *slog.Logger     // nil: discard
	// HTTPClient delivers webhooks; nil: a client with WebhookTimeout that
	// does not follow redirects.
	HTTPClient *http.Client
}

// DefaultConfig returns the demo credentials and real-service timings.
func DefaultConfig() Config {
	return Config{
		MSN:                "123456",
		ClientID:           "kasse-demo",
		ClientSecret:       "kasse-demo-secret",
		SubscriptionKey:    "kasse-demo-subscription",
		Currency:           "NOK",
		MerchantName:       "Kasse Demo",
		ClubName:           "Kasse Demo kundeklubb",
		Consents:           DefaultConsents(),
		Auto:               "none",
		AutoDelay:          2 * time.Second,
		TokenLifetime:      time.Hour,
		PaymentExpiry:      10 * time.Minute,
		AuthorizingWindow:  time.Second,
		LoginExpiry:        600 * time.Second,
		LoginInterval:      5,
		WebhookTimeout:     10 * time.Second,
		WebhookRetryDelays: []time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, time.Minute, 2 * time.Minute, time.Hour},
		WebhookMaxAttempts: 29,
	}
}

func (c *Config) fill() {
	d := DefaultConfig()
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.MSN, d.MSN)
	def(&c.ClientID, d.ClientID)
	def(&c.ClientSecret, d.ClientSecret)
	def(&c.SubscriptionKey, d.SubscriptionKey)
	def(&c.Currency, d.Currency)
	def(&c.MerchantName, d.MerchantName)
	def(&c.ClubName, d.ClubName)
	def(&c.Auto, d.Auto)
	if c.TokenLifetime == 0 {
		c.TokenLifetime = d.TokenLifetime
	}
	if c.CaptureGuarantee == 0 {
		c.CaptureGuarantee = 7 * 24 * time.Hour
	}
	if c.PaymentExpiry == 0 {
		c.PaymentExpiry = d.PaymentExpiry
	}
	if c.LoginExpiry == 0 {
		c.LoginExpiry = d.LoginExpiry
	}
	if c.LoginInterval == 0 {
		c.LoginInterval = d.LoginInterval
	}
	if c.WebhookTimeout == 0 {
		c.WebhookTimeout = d.WebhookTimeout
	}
	if len(c.WebhookRetryDelays) == 0 {
		c.WebhookRetryDelays = d.WebhookRetryDelays
	}
	if c.WebhookMaxAttempts == 0 {
		c.WebhookMaxAttempts = d.WebhookMaxAttempts
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			Timeout:       c.WebhookTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
}

// Sim is one simulated Vipps MobilePay environment with one sales unit.
type Sim struct {
	cfg     Config
	handler http.Handler
	tokKey  []byte // signs access tokens
	kid     string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	payments map[string]*payment // by reference
	open     map[string]*payment // those still CREATED: the only ones time can change
	idem     map[string]idemEntry
	rates    map[string][]time.Time
	logins   map[string]*login // by auth_req_id
	codes    map[string]string // redirect-flow code → auth_req_id
	loginTok map[string]*loginToken
	// consented: users who answered the marketing consents already; the
	// answers are in userinfo only the first time (API.md §5.6).
	consented map[string]bool
	receipts  map[string]*storedReceipt // by orderId
	hooks     []*registration
	pushes    []*Push
	seq       int
	faults    *faultState
	noPush    atomic.Bool // Config.NoPushMessage, changeable by SetPushMessage
	watchers  []func()
}

// New builds a simulator. It starts no goroutines until Start or Run; used
// as a plain http.Handler, time moves only when a request arrives or Tick
// is called.
func New(cfg Config) (*Sim, error) {
	cfg.fill()
	switch cfg.Auto {
	case "approve", "decline", "none":
	default:
		return nil, fmt.Errorf("sim: auto must be approve, decline or none, not %q", cfg.Auto)
	}
	if !msnRe.MatchString(cfg.MSN) {
		return nil, fmt.Errorf("sim: MSN must be 4–7 digits")
	}
	switch cfg.Currency {
	case "NOK", "DKK", "EUR":
	default:
		return nil, fmt.Errorf("sim: currency must be NOK, DKK or EUR")
	}
	tk := make([]byte, 32)
	_, _ = rand.Read(tk)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sim{
		cfg: cfg, tokKey: tk, kid: "public:" + randomUUID(),
		ctx: ctx, cancel: cancel,
		payments: map[string]*payment{}, open: map[string]*payment{}, idem: map[string]idemEntry{}, rates: map[string][]time.Time{},
		logins: map[string]*login{}, codes: map[string]string{}, loginTok: map[string]*loginToken{}, consented: map[string]bool{},
		receipts: map[string]*storedReceipt{},
	}
	s.faults = newFaultState(cfg.Faults)
	s.noPush.Store(cfg.NoPushMessage)
	s.handler = s.routes()
	return s, nil
}

// SetPushMessage enables or disables PUSH_MESSAGE for the sales unit, as
// Vipps MobilePay does when the merchant asks.
func (s *Sim) SetPushMessage(enabled bool) { s.noPush.Store(!enabled) }

// ServeHTTP serves the whole simulated API, the phone pages and the admin endpoints.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Tick()
	s.handler.ServeHTTP(w, r)
}

// Close stops webhook delivery and the background clock.
func (s *Sim) Close() {
	s.cancel()
	s.wg.Wait()
}

// Run advances time in the background (expiry, auto-answers) until ctx ends.
func (s *Sim) Run(ctx context.Context) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.Tick()
		}
	}
}

// Start serves the simulator on addr ("127.0.0.1:0" picks a free port) and
// returns its base URL and a function that stops it.
func (s *Sim) Start(addr string) (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = srv.Serve(ln); done <- struct{}{} }()
	go func() { s.Run(ctx); done <- struct{}{} }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
			defer c()
			_ = srv.Shutdown(sctx)
			<-done
			<-done
			s.Close()
		})
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// Config returns the configuration in force (defaults filled in).
func (s *Sim) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

func (s *Sim) now() time.Time { return s.cfg.Now().UTC() }

// Tick applies everything that is due at the current time: payment and
// login expiry, end of the authorizing window, automatic answers.
func (s *Sim) Tick() {
	s.mu.Lock()
	changed := s.tickLocked()
	s.mu.Unlock()
	if changed {
		s.notify()
	}
}

func (s *Sim) tickLocked() bool {
	now := s.now()
	changed := false
	for ref, p := range s.open {
		if s.settlePaymentLocked(p, now) {
			changed = true
		}
		if p.state != StateCreated {
			delete(s.open, ref)
		}
	}
	for _, l := range s.logins {
		if l.status == loginPending && !now.Before(l.expires) {
			l.status = loginExpired
			s.closePushLocked(l.pushID, PushExpired)
			changed = true
		}
	}
	for _, p := range s.pushes {
		if p.State == PushPending && !p.autoAt.IsZero() && !now.Before(p.autoAt) {
			p.autoAt = time.Time{}
			if err := s.answerLocked(p, s.cfg.Auto == "approve"); err == nil {
				changed = true
			}
		}
	}
	return changed
}

var errNotFound = errors.New("sim: no such push")

// signingKey is the key that signs Login id_tokens (RS256), made once per
// process and only when a login first needs it: a 2048-bit RSA key takes a
// good part of a till's start-up, and most demo sales never log anyone in.
// A simulator needs no key rotation.
var signingKey = sync.OnceValues(func() (*rsa.PrivateKey, error) {
	return rsa.GenerateKey(rand.Reader, 2048)
})

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
