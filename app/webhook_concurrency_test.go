package app

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
)

// Twenty identical deliveries arriving at once: exactly one is handled, the
// other nineteen are counted as replays (the check and the record used to be
// two steps, and 12–20 of them got through as genuine).
func TestWebhookReplaysArrivingAtOnceAreHandledOnce(t *testing.T) {
	const url = "https://till1.example.no/vipps/webhook"
	const secret = "090a478d-37ff-4e77-970e-d457aeb26a3a"
	now := time.Now().UTC()
	var handled atomic.Int64
	l := newWebhookListener(url, secret, func(context.Context, flow.PaymentEvent) error {
		handled.Add(1)
		time.Sleep(5 * time.Millisecond) // recording takes a while: the others arrive meanwhile
		return nil
	}, slog.New(slog.DiscardHandler))
	body := []byte(`{"msn":"123456","reference":"k7m2qx-pos1-000042","pspReference":"p-1","name":"AUTHORIZED","amount":{"currency":"NOK","value":4990},"timestamp":"2026-11-23T11:59:58Z","idempotencyKey":null,"success":true}`)
	hdr, err := vipps.SignWebhook(url, secret, body, now)
	if err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			req := httptest.NewRequest("POST", "/vipps/webhook", bytes.NewReader(body))
			for k, v := range hdr {
				req.Header[k] = v
			}
			<-start
			rec := httptest.NewRecorder()
			l.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Errorf("delivery answered %d", rec.Code)
			}
		})
	}
	close(start)
	wg.Wait()
	st := l.Stats()
	if handled.Load() != 1 || st.Accepted != 1 || st.Replayed != 19 {
		t.Errorf("handled %d, accepted %d, replayed %d; want 1, 1, 19", handled.Load(), st.Accepted, st.Replayed)
	}
}

// A flood of bad deliveries is counted in full but logged a line at a time
// (a till once wrote a line for each of 1,670 requests a second).
func TestRejectedWebhooksAreLoggedWithARateLimit(t *testing.T) {
	var logged bytes.Buffer
	var mu sync.Mutex
	l := newWebhookListener("https://till1.example.no/vipps/webhook", "secret", func(context.Context, flow.PaymentEvent) error { return nil },
		slog.New(slog.NewTextHandler(&lockedWriter{w: &logged, mu: &mu}, nil)))
	for range 1000 {
		req := httptest.NewRequest("POST", "/vipps/webhook", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=AAAA")
		l.ServeHTTP(httptest.NewRecorder(), req)
	}
	mu.Lock()
	lines := strings.Count(logged.String(), "webhook rejected")
	mu.Unlock()
	if st := l.Stats(); st.Forged+st.Stale+st.Tampered != 1000 || lines > 2 {
		t.Errorf("counted %+v, %d log lines; want all 1000 counted and at most 2 lines", st, lines)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
