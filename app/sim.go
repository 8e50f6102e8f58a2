package app

import (
	"context"
	"errors"
	"flag"
	"io"
	"time"
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
}

// DefaultSimConfig listens on loopback with well-known demo credentials.
func DefaultSimConfig() *SimConfig {
	return &SimConfig{
		Addr:            "127.0.0.1:8085",
		MSN:             "123456",
		ClientID:        "kasse-demo",
		ClientSecret:    "kasse-demo-secret",
		SubscriptionKey: "kasse-demo-subscription",
		Auto:            "none",
		AutoDelay:       2 * time.Second,
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
}

// RunSim runs the simulator until ctx ends.
func RunSim(ctx context.Context, cfg *SimConfig, out io.Writer) error {
	return errors.New("the simulator is not part of this build yet")
}
