package app

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/vipps/sim"
)

// The till opens without waiting for Vipps to register its webhook: while
// the registration hangs, Start has returned and the till sells (following
// payments by polling); once Vipps answers, the webhook is registered.
func TestStartDoesNotWaitForTheWebhookRegistration(t *testing.T) {
	sc := sim.DefaultConfig()
	sc.HTTPWebhooks = true
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/webhooks/") {
			<-release // Vipps is slow to answer
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})

	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Demo = true
	cfg.Vipps.BaseURL, cfg.Vipps.ClientID, cfg.Vipps.ClientSecret, cfg.Vipps.SubscriptionKey = srv.URL, sc.ClientID, sc.ClientSecret, sc.SubscriptionKey
	cfg.Webhook.Listen = "127.0.0.1:0"
	started := make(chan *Till, 1)
	go func() {
		tl, err := Start(t.Context(), cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Error(err)
		}
		started <- tl
	}()
	var tl *Till
	select {
	case tl = <-started:
		if tl == nil {
			t.FailNow()
		}
		t.Cleanup(tl.Close)
	case <-time.After(20 * time.Second):
		t.Fatal("Start waited for the webhook registration")
	}
	if tl.webhooks.currentSecret() != "" {
		t.Error("registered before Vipps answered")
	}
	close(release)
	deadline := time.Now().Add(20 * time.Second)
	for tl.webhooks.currentSecret() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the webhook was never registered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
