package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
)

// PaymentEvents is the ePayment webhook set the till listens to.
var PaymentEvents = []string{
	"epayments.payment.created.v1", "epayments.payment.authorized.v1", "epayments.payment.aborted.v1",
	"epayments.payment.expired.v1", "epayments.payment.cancelled.v1", "epayments.payment.captured.v1",
	"epayments.payment.refunded.v1", "epayments.payment.terminated.v1",
}

// webhookSkew is how far x-ms-date may be from our clock. Vipps retries
// re-sign with a fresh date, so a late retry is not stale.
const webhookSkew = 5 * time.Minute

// webhookListener receives Vipps webhooks, verifies them exactly as
// API.md §8.4 says and feeds verified ePayment events to the checkout.
// The secret lives in memory only: on every start the till registers
// afresh (and removes its earlier registrations for the same URL), so no
// secret is ever written to disk or the database.
type webhookListener struct {
	registeredURL string
	handle        func(context.Context, flow.PaymentEvent) error
	log           *slog.Logger
	now           func() time.Time

	mu     sync.Mutex
	secret string               // "" until Vipps has accepted the registration
	seen   map[string]time.Time // Authorization header → when, for replay detection
	// Rejections are counted always but logged at most once per
	// rejectLogEvery: a flood of bad requests must not fill the disk.
	lastRejectLog time.Time
	unlogged      int64

	accepted, forged, tampered, stale, replayed, malformed atomic.Int64
}

func newWebhookListener(registeredURL, secret string, handle func(context.Context, flow.PaymentEvent) error, log *slog.Logger) *webhookListener {
	l := &webhookListener{registeredURL: registeredURL, handle: handle, log: log, now: time.Now, seen: map[string]time.Time{}}
	l.setSecret(secret)
	return l
}

func (l *webhookListener) Stats() vipps.WebhookStats {
	return vipps.WebhookStats{Accepted: l.accepted.Load(), Forged: l.forged.Load(), Tampered: l.tampered.Load(),
		Stale: l.stale.Load(), Replayed: l.replayed.Load(), Malformed: l.malformed.Load()}
}

func (l *webhookListener) setSecret(s string) {
	l.mu.Lock()
	l.secret = s
	l.mu.Unlock()
}

func (l *webhookListener) currentSecret() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.secret
}

func (l *webhookListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := l.now()
	secret := l.currentSecret()
	if secret == "" || r.Header.Get("Authorization") == "" {
		// Nothing can be signed for us before Vipps accepted the
		// registration; an unsigned delivery is forged, not late.
		l.forged.Add(1)
		l.logRejected(now, "unsigned or not registered yet", r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	body, err := vipps.VerifyWebhookRequest(r, l.registeredURL, secret, now, webhookSkew)
	switch {
	case errors.Is(err, vipps.ErrWebhookStale):
		l.stale.Add(1)
	case errors.Is(err, vipps.ErrWebhookContentHash):
		l.tampered.Add(1)
	case err != nil:
		l.forged.Add(1)
	}
	if err != nil {
		l.logRejected(now, err.Error(), r.RemoteAddr)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	sig := r.Header.Get("Authorization")
	if !l.claim(sig, now) {
		// A byte-identical delivery seen before (or being handled right
		// now): harmless for the checkout, but counted; acknowledged so a
		// confused sender stops retrying.
		l.replayed.Add(1)
		w.WriteHeader(http.StatusOK)
		return
	}
	ev, err := vipps.ParsePaymentEvent(body)
	if err != nil {
		l.malformed.Add(1)
		w.WriteHeader(http.StatusOK) // signed by Vipps but not for us (e.g. a login ping)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 8*time.Second) // Vipps waits 10 s
	defer cancel()
	if err := l.handle(ctx, paymentEvent(ev)); err != nil {
		l.unclaim(sig)
		l.log.Error("webhook not recorded; Vipps will retry", "reference", ev.Reference, "event", ev.Name, "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	l.accepted.Add(1)
	w.WriteHeader(http.StatusOK)
}

// rejectLogEvery is the least time between two log lines about rejected
// webhooks; the line says how many were not logged since.
const rejectLogEvery = 10 * time.Second

func (l *webhookListener) logRejected(now time.Time, reason, remote string) {
	l.mu.Lock()
	if now.Sub(l.lastRejectLog) < rejectLogEvery {
		l.unlogged++
		l.mu.Unlock()
		return
	}
	skipped := l.unlogged
	l.lastRejectLog, l.unlogged = now, 0
	l.mu.Unlock()
	l.log.Warn("webhook rejected", "reason", reason, "remote", remote, "not logged since the last line", skipped)
}

// claim records a delivery's signature and reports whether it is new, in
// one step under the lock: of twenty identical deliveries arriving at once,
// exactly one is handled. Signatures are kept for twice the allowed skew:
// a signature covers the date, so an older copy is rejected as stale anyway.
func (l *webhookListener) claim(sig string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s, at := range l.seen {
		if now.Sub(at) > 2*webhookSkew {
			delete(l.seen, s)
		}
	}
	if _, ok := l.seen[sig]; ok {
		return false
	}
	l.seen[sig] = now
	return true
}

// unclaim forgets a delivery that could not be recorded, so Vipps' retry
// of it counts as new.
func (l *webhookListener) unclaim(sig string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, sig)
}

// startWebhooks binds the listener where configured (and nowhere else),
// registers the public URL with Vipps and serves until ctx ends.
func startWebhooks(ctx context.Context, c *vipps.Client, listen, publicURL string, handle func(context.Context, flow.PaymentEvent) error, log *slog.Logger) (*webhookListener, string, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, "", fmt.Errorf("webhook listener on %s: %w", listen, err)
	}
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String() + "/vipps/webhook"
	}
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return nil, "", errors.Join(fmt.Errorf("webhook URL %q is not an absolute URL", publicURL), ln.Close())
	}
	l := newWebhookListener(publicURL, "", handle, log)
	mux := http.NewServeMux()
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	mux.Handle("POST "+path, l)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	log.Info("webhook listener ready", "listen", ln.Addr().String(), "url", publicURL)

	// Register in the background: the windows open without waiting for
	// Vipps (a round trip or three, up to 30 s when Vipps is unreachable),
	// and payments are followed by polling until webhooks come. When Vipps
	// is having trouble the till keeps trying. Deliveries are answered once
	// the first attempt is over (they wait in the listen queue until then),
	// so nothing sent for this registration meets a listener without its
	// secret. Serve closes the listener when the till stops.
	go func() {
		err := registerWebhook(ctx, c, publicURL, l)
		go func() { _ = srv.Serve(ln) }()
		if err == nil {
			return
		}
		log.Warn("webhook registration failed; following payments by polling until it succeeds", "err", err)
		for wait := 2 * time.Second; ; wait = min(2*wait, time.Minute) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			if err := registerWebhook(ctx, c, publicURL, l); err == nil {
				log.Info("webhook registered", "url", publicURL)
				return
			}
		}
	}()
	return l, ln.Addr().String(), nil
}

// registerWebhook replaces this till's earlier registrations for the URL
// with a new one and hands its secret to the listener.
func registerWebhook(ctx context.Context, c *vipps.Client, publicURL string, l *webhookListener) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if existing, err := c.Webhooks(ctx); err == nil {
		for _, reg := range existing {
			if reg.URL == publicURL {
				_ = c.DeleteWebhook(ctx, reg.ID)
			}
		}
	}
	reg, err := c.RegisterWebhook(ctx, publicURL, PaymentEvents)
	if err != nil {
		return err
	}
	l.setSecret(reg.Secret)
	return nil
}
