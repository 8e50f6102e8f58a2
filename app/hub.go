package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
)

// HubConfig configures `kasse hub`: the one webhook receiver of a store
// chain. It registers one webhook per sales unit at PublicURL/MSN, verifies
// every delivery, stores the event once in the chain's PostgreSQL and
// announces it with NOTIFY; each till takes in the events of its own
// references (see followHub). Nothing but the database holds state, so two
// hubs — each with its own PublicURL, both registered — can run side by
// side: Vipps delivers every event to both and the events table keeps it
// once.
type HubConfig struct {
	Listen    string   // e.g. 127.0.0.1:8090 behind a reverse proxy, or :443 with TLS
	PublicURL string   // https://hooks.example.no/vipps; a unit's webhook is PublicURL/MSN
	Database  string   // the chain's PostgreSQL DSN
	MSNs      []string // the sales units served
	TLSCert   string   // serve TLS with this certificate and key (else plain HTTP behind a proxy)
	TLSKey    string
	// Vipps API access (a partner or management key works for every MSN).
	BaseURL                                 string
	ClientID, ClientSecret, SubscriptionKey string
}

// hubUnit is one sales unit the hub serves.
type hubUnit struct {
	msn      string
	url      string
	client   *vipps.Client
	listener *webhookListener
	mu       sync.Mutex
	ok       bool // Vipps accepted the registration
}

// Hub is a running `kasse hub`.
type Hub struct {
	cfg   HubConfig
	db    *store.DB
	log   *slog.Logger
	units []*hubUnit
	addr  string
	srv   *http.Server
}

// StartHub opens the database, binds the listener, registers the webhooks
// (in the background, retried until Vipps accepts) and serves until ctx ends.
func StartHub(ctx context.Context, cfg HubConfig, log *slog.Logger) (*Hub, error) {
	if !store.IsPostgresDSN(cfg.Database) {
		return nil, errors.New("hub: the chain's PostgreSQL DSN is needed (--db): the tills read the events from it")
	}
	if len(cfg.MSNs) == 0 {
		return nil, errors.New("hub: name at least one sales unit (--msn)")
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("hub: the public URL %q is not an absolute URL", cfg.PublicURL)
	}
	db, err := store.Open(cfg.Database)
	if err != nil {
		return nil, err
	}
	h := &Hub{cfg: cfg, db: db, log: log}
	mux := http.NewServeMux()
	base := strings.TrimRight(cfg.PublicURL, "/")
	for _, msn := range cfg.MSNs {
		c, err := vipps.New(vipps.Config{BaseURL: cfg.BaseURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			SubscriptionKey: cfg.SubscriptionKey, MSN: msn, SystemName: "kasse-hub", SystemVersion: Version, Logger: log})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("hub: sales unit %s: %w", msn, err), db.Close())
		}
		unit := &hubUnit{msn: msn, url: base + "/" + msn, client: c}
		unit.listener = newWebhookListener(unit.url, "", func(ctx context.Context, ev flow.PaymentEvent) error {
			// 2xx only once the event is committed: until then Vipps retries.
			_, err := db.RecordVippsEvent(ctx, msn, ev)
			return err
		}, log.With("msn", msn))
		path, _ := url.Parse(unit.url)
		mux.Handle("POST "+path.EscapedPath(), unit.listener)
		h.units = append(h.units, unit)
	}
	mux.HandleFunc("GET /healthz", h.health)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("hub: listening on %s: %w", cfg.Listen, err), db.Close())
	}
	h.addr = ln.Addr().String()
	h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	go func() {
		var err error
		if cfg.TLSCert != "" {
			err = h.srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			err = h.srv.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("hub: serving stopped", "err", err)
		}
	}()
	for _, unit := range h.units {
		go h.register(ctx, unit)
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.srv.Shutdown(shut)
		if err := db.Close(); err != nil {
			log.Warn("hub: closing the database", "err", err)
		}
	}()
	log.Info("hub ready", "listen", h.addr, "url", base, "sales units", len(h.units))
	return h, nil
}

// Addr is where the hub listens.
func (h *Hub) Addr() string { return h.addr }

// register replaces the unit's earlier registrations at its URL with a new
// one, retrying with backoff while Vipps is unreachable.
func (h *Hub) register(ctx context.Context, u *hubUnit) {
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		err := registerWebhook(ctx, u.client, u.url, u.listener)
		if err == nil {
			u.mu.Lock()
			u.ok = true
			u.mu.Unlock()
			h.log.Info("hub: webhook registered", "msn", u.msn, "url", u.url)
			return
		}
		h.log.Warn("hub: webhook registration failed; retrying", "msn", u.msn, "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// HubHealth is what GET /healthz answers.
type HubHealth struct {
	OK     bool            `json:"ok"`
	Units  []HubUnitHealth `json:"salesUnits"`
	Events *store.HubStats `json:"events,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// HubUnitHealth counts one sales unit's deliveries.
type HubUnitHealth struct {
	MSN        string `json:"msn"`
	Registered bool   `json:"registered"`
	Received   int64  `json:"received"`
	Verified   int64  `json:"verified"`
	Refused    int64  `json:"refused"`
	Replayed   int64  `json:"replayed"`
}

// Health reports registrations, delivery counters and the events table.
func (h *Hub) Health(ctx context.Context) HubHealth {
	out := HubHealth{OK: true}
	for _, u := range h.units {
		s := u.listener.Stats()
		u.mu.Lock()
		ok := u.ok
		u.mu.Unlock()
		refused := s.Forged + s.Tampered + s.Stale + s.Malformed
		out.Units = append(out.Units, HubUnitHealth{MSN: u.msn, Registered: ok, Verified: s.Accepted, Refused: refused,
			Replayed: s.Replayed, Received: s.Accepted + refused + s.Replayed})
		out.OK = out.OK && ok
	}
	st, err := h.db.EventStats(ctx)
	if err != nil {
		out.OK, out.Error = false, "the database does not answer"
		h.log.Warn("hub: health: reading the events table failed", "err", err)
	} else {
		out.Events = &st
	}
	return out
}

func (h *Hub) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	hh := h.Health(ctx)
	w.Header().Set("Content-Type", "application/json")
	if !hh.OK {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(hh)
}

// RegisterFlags adds the hub's flags to fs. The client secret and the
// subscription key come from KASSE_VIPPS_CLIENT_SECRET and
// KASSE_VIPPS_SUBSCRIPTION_KEY (never a flag: they would show in ps).
func (c *HubConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to serve on (e.g. 127.0.0.1:8090 behind a reverse proxy)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the hub's public URL as Vipps calls it; a sales unit's webhook is URL/MSN")
	fs.StringVar(&c.Database, "db", c.Database, "the chain's PostgreSQL DSN (the tills' database)")
	fs.Func("msn", "Merchant Serial Number of a sales unit to serve (repeat, or comma-separated)", func(v string) error {
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				c.MSNs = append(c.MSNs, m)
			}
		}
		return nil
	})
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "serve TLS with this certificate (PEM)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "… and this key (PEM, readable only by the hub)")
	fs.StringVar(&c.BaseURL, "vipps-url", c.BaseURL, "Vipps API base URL (https://api.vipps.no, https://apitest.vipps.no, or a kasse sim)")
	fs.StringVar(&c.ClientID, "client-id", c.ClientID, "Vipps client_id")
}

// DefaultHubConfig serves on 127.0.0.1:8090 against Vipps production.
func DefaultHubConfig() *HubConfig {
	return &HubConfig{Listen: "127.0.0.1:8090", BaseURL: BaseURLs[EnvProduction]}
}

// RunHub runs `kasse hub` until ctx ends.
func RunHub(ctx context.Context, cfg *HubConfig, log *slog.Logger) error {
	cfg.ClientSecret = os.Getenv("KASSE_VIPPS_CLIENT_SECRET")
	cfg.SubscriptionKey = os.Getenv("KASSE_VIPPS_SUBSCRIPTION_KEY")
	if cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.SubscriptionKey == "" {
		return errors.New("hub: the Vipps client id (--client-id), KASSE_VIPPS_CLIENT_SECRET and KASSE_VIPPS_SUBSCRIPTION_KEY are needed")
	}
	if u := strings.ToLower(cfg.BaseURL); !strings.HasPrefix(u, "https://") && !isLoopbackURL(u) {
		return fmt.Errorf("hub: the Vipps URL %q is not https", cfg.BaseURL)
	}
	if _, err := StartHub(ctx, *cfg, log); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// isLoopbackURL: an http:// URL on this machine (a local kasse sim).
func isLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	ip := net.ParseIP(p.Hostname())
	return p.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
}
