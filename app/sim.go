package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/kasse-pos/kasse/vipps/sim"
)

// SimConfig configures the standalone Vipps MobilePay simulator (kasse sim).
type SimConfig struct {
	Addr            string
	MSN             string
	ClientID        string
	ClientSecret    string
	SubscriptionKey string
	Auto            string // approve, decline or none
	AutoDelay       time.Duration
	WebhookSecret   string

	Currency          string
	MerchantName      string
	CheckInMT         bool   // Check-in answers 500 as in the real test environment
	Unknown           string // comma-separated MSISDNs without an account
	AuthorizingWindow time.Duration
	CaptureGuarantee  time.Duration // captureGuaranteedUntil after approval; 0: 7 days
	Faults            string        // JSON of sim.Faults, or @file
	Seed              int64         // fault sequence seed
	Latency           string        // added latency for every API call: "200ms" or "100ms-800ms"
	Error5xx          float64       // share of API calls answered 500
	TooMany           float64       // share of API calls answered 429
	Drop              float64       // share of API calls whose connection is closed
	WebhookDrop       float64
	WebhookDuplicate  float64
	WebhookReorder    float64
	MutatingPerMinute int // per-reference limit of create/capture/cancel/refund; 0: the real 5, -1: none
	ReadsPerMinute    int // per-reference limit of get/events; 0: the real 120, -1: none
	Verbose           bool
	HTTPWebhooks      bool // accept http:// webhook URLs (tills on this machine); Vipps takes https:// only
	NoPush            bool // a sales unit not enabled for PUSH_MESSAGE (5080)
}

// DefaultSimConfig listens on loopback with well-known demo credentials.
func DefaultSimConfig() *SimConfig {
	d := sim.DefaultConfig()
	return &SimConfig{
		Addr:              "127.0.0.1:8085",
		MSN:               d.MSN,
		ClientID:          d.ClientID,
		ClientSecret:      d.ClientSecret,
		SubscriptionKey:   d.SubscriptionKey,
		Auto:              "none",
		AutoDelay:         2 * time.Second,
		Currency:          d.Currency,
		MerchantName:      d.MerchantName,
		AuthorizingWindow: d.AuthorizingWindow,
	}
}

// RegisterFlags adds the simulator's flags to fs.
func (c *SimConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "HOST:PORT to listen on")
	fs.StringVar(&c.MSN, "msn", c.MSN, "Merchant Serial Number the simulator accepts")
	fs.StringVar(&c.ClientID, "client-id", c.ClientID, "client_id the simulator accepts")
	fs.StringVar(&c.ClientSecret, "client-secret", c.ClientSecret, "client_secret the simulator accepts")
	fs.StringVar(&c.SubscriptionKey, "subscription-key", c.SubscriptionKey, "Ocp-Apim-Subscription-Key the simulator accepts")
	fs.StringVar(&c.Auto, "auto", c.Auto, "answer customer pushes automatically: approve, decline or none")
	fs.DurationVar(&c.AutoDelay, "auto-delay", c.AutoDelay, "how long the simulated customer takes to answer")
	fs.StringVar(&c.WebhookSecret, "webhook-secret", c.WebhookSecret, "fixed secret for webhook registrations (default: a fresh one per registration)")
	fs.StringVar(&c.Currency, "currency", c.Currency, "the sales unit's currency: NOK, DKK or EUR")
	fs.StringVar(&c.MerchantName, "merchant-name", c.MerchantName, "merchant name shown on the customer's phone")
	fs.BoolVar(&c.CheckInMT, "mt-checkin-500", c.CheckInMT, "answer Check-in with 500, as the real test environment does")
	fs.StringVar(&c.Unknown, "unknown", c.Unknown, "comma-separated MSISDNs that have no account (numbers ending in 0000 never do)")
	fs.DurationVar(&c.CaptureGuarantee, "capture-guarantee", c.CaptureGuarantee, "how long Vipps guarantees an approved payment for capture (captureGuaranteedUntil; default 7 days)")
	fs.DurationVar(&c.AuthorizingWindow, "authorizing", c.AuthorizingWindow, "how long an approved payment is processing before AUTHORIZED (cancel then gives 6250)")
	fs.StringVar(&c.Faults, "faults", c.Faults, `fault injection as JSON (or @file), e.g. {"endpoints":{"epayment.capture":{"error5xxAfter":0.2}}}`)
	fs.Int64Var(&c.Seed, "seed", c.Seed, "seed of the fault sequence (same seed, same faults)")
	fs.StringVar(&c.Latency, "fault-latency", c.Latency, `added latency on every API call: "200ms" or a range "100ms-800ms"`)
	fs.Float64Var(&c.Error5xx, "fault-5xx", c.Error5xx, "share (0–1) of API calls answered 500")
	fs.Float64Var(&c.TooMany, "fault-429", c.TooMany, "share (0–1) of API calls answered 429")
	fs.Float64Var(&c.Drop, "fault-drop", c.Drop, "share (0–1) of API calls whose connection is closed unanswered")
	fs.Float64Var(&c.WebhookDrop, "webhook-drop", c.WebhookDrop, "share (0–1) of webhook events never delivered")
	fs.Float64Var(&c.WebhookDuplicate, "webhook-duplicate", c.WebhookDuplicate, "share (0–1) of webhook events delivered twice")
	fs.Float64Var(&c.WebhookReorder, "webhook-reorder", c.WebhookReorder, "share (0–1) of webhook events that overtake the one before")
	fs.IntVar(&c.MutatingPerMinute, "rate-mutating", c.MutatingPerMinute, "per-reference limit per minute of create/capture/cancel/refund (0: the real 5, -1: none)")
	fs.IntVar(&c.ReadsPerMinute, "rate-reads", c.ReadsPerMinute, "per-reference limit per minute of get/events (0: the real 120, -1: none)")
	fs.BoolVar(&c.Verbose, "v", c.Verbose, "log every state change (phone numbers masked)")
	fs.BoolVar(&c.NoPush, "no-push", c.NoPush, "play a sales unit not enabled for push payment requests: PUSH_MESSAGE gets 5080")
	fs.BoolVar(&c.HTTPWebhooks, "http-webhooks", c.HTTPWebhooks, "accept http:// webhook URLs, for tills on this machine (Vipps, and the simulator without this, take https:// only)")
}

// simConfig turns the flags into the simulator's configuration.
func (c *SimConfig) simConfig(log io.Writer) (sim.Config, error) {
	cfg := sim.DefaultConfig()
	cfg.MSN, cfg.ClientID, cfg.ClientSecret, cfg.SubscriptionKey = c.MSN, c.ClientID, c.ClientSecret, c.SubscriptionKey
	cfg.Auto, cfg.AutoDelay, cfg.WebhookSecret = c.Auto, c.AutoDelay, c.WebhookSecret
	cfg.Currency, cfg.MerchantName, cfg.CheckInMT = c.Currency, c.MerchantName, c.CheckInMT
	cfg.AuthorizingWindow = c.AuthorizingWindow
	if c.CaptureGuarantee > 0 {
		cfg.CaptureGuarantee = c.CaptureGuarantee
	}
	cfg.HTTPWebhooks, cfg.NoPushMessage = c.HTTPWebhooks, c.NoPush
	cfg.MutatingPerMinute, cfg.ReadsPerMinute = c.MutatingPerMinute, c.ReadsPerMinute
	for _, m := range strings.Split(c.Unknown, ",") {
		if m = strings.TrimSpace(m); m != "" {
			cfg.UnknownNumbers = append(cfg.UnknownNumbers, m)
		}
	}
	if c.Faults != "" {
		raw := []byte(c.Faults)
		if name, ok := strings.CutPrefix(c.Faults, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return cfg, err
			}
			raw = b
		}
		if err := json.Unmarshal(raw, &cfg.Faults); err != nil {
			return cfg, fmt.Errorf("--faults: %w", err)
		}
	}
	if c.Seed != 0 {
		cfg.Faults.Seed = c.Seed
	}
	all := sim.EndpointFaults{Error5xx: c.Error5xx, TooMany: c.TooMany, Drop: c.Drop}
	if c.Latency != "" {
		lo, hi, _ := strings.Cut(c.Latency, "-")
		a, err := time.ParseDuration(lo)
		if err != nil {
			return cfg, fmt.Errorf("--fault-latency: %w", err)
		}
		all.Latency = sim.Duration(a)
		if hi != "" {
			b, err := time.ParseDuration(hi)
			if err != nil {
				return cfg, fmt.Errorf("--fault-latency: %w", err)
			}
			all.LatencyMax = sim.Duration(b)
		}
	}
	if all != (sim.EndpointFaults{}) {
		if cfg.Faults.Endpoints == nil {
			cfg.Faults.Endpoints = map[string]sim.EndpointFaults{}
		}
		cfg.Faults.Endpoints["*"] = all
	}
	cfg.Faults.Webhooks = sim.WebhookFaults{Drop: c.WebhookDrop, Duplicate: c.WebhookDuplicate, Reorder: c.WebhookReorder}
	if c.Verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	return cfg, nil
}

// RunSim runs the simulator until ctx ends.
func RunSim(ctx context.Context, cfg *SimConfig, out io.Writer) error {
	sc, err := cfg.simConfig(out)
	if err != nil {
		return err
	}
	s, err := sim.New(sc)
	if err != nil {
		return err
	}
	base, stop, err := s.Start(cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer stop()
	fmt.Fprintf(out, `Vipps MobilePay simulator at %s
  base URL               %s
  Merchant-Serial-Number %s
  client_id              %s
  client_secret          %s
  subscription key       %s
  currency               %s
  customer phones        %s/sim/phone/4791234567 (index: %s/sim/)
  auto-answer            %s after %s
Stop with Ctrl-C.
`, cfg.Addr, base, sc.MSN, sc.ClientID, sc.ClientSecret, sc.SubscriptionKey, sc.Currency, base, base, sc.Auto, sc.AutoDelay)
	<-ctx.Done()
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}
