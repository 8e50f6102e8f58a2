package app

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// hubPollDelays is how a till behind the chain's hub polls an open payment
// request: only as a safety net (Vipps asks tills without webhooks to poll;
// the hub's events normally arrive well within a second).
var hubPollDelays = []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second}

// hubSafety is how often a till behind the hub looks in the events table
// even when no notification came (one lost with a dropped connection).
const hubSafety = 30 * time.Second

// hubFollower counts what a till took in from the hub.
type hubFollower struct {
	delivered atomic.Int64
}

// followHub takes this till's Vipps events from the chain's database: it
// LISTENs for the hub's notifications, and on each one, on every
// (re)connect and every hubSafety, hands the events of its own references
// that it has not taken in yet to the checkout, in the order the hub
// stored them, and marks them taken. Nothing is missed while the till was
// off: the events wait in the table.
func (t *Till) followHub(ctx context.Context) {
	prefix := flow.ReferencePrefix(t.installation, t.cfg.Store.POSID)
	wake := make(chan struct{}, 1)
	kick := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	go func() {
		for backoff := time.Second; ctx.Err() == nil; backoff = min(2*backoff, 30*time.Second) {
			err := t.db.ListenEvents(ctx, func() { backoff = time.Second; kick() }, func(int64) { kick() })
			if ctx.Err() != nil {
				return
			}
			t.log.Warn("hub: the event notifications stopped; reading the events table and listening again", "err", err, "in", backoff)
			kick()
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
	}()
	safety := time.NewTicker(hubSafety)
	defer safety.Stop()
	kick()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-safety.C:
		}
		t.takeHubEvents(ctx, prefix)
	}
}

func (t *Till) takeHubEvents(ctx context.Context, prefix string) {
	for {
		evs, err := t.db.UndeliveredEvents(ctx, prefix, 100)
		if err != nil {
			if ctx.Err() == nil {
				t.log.Warn("hub: reading the events table failed; trying again shortly", "err", err)
			}
			return
		}
		for _, e := range evs {
			if err := t.checkout.HandleEvent(ctx, e.PaymentEvent, "hub"); err != nil {
				t.log.Warn("hub: event not taken in yet; trying again", "reference", e.Reference, "event", e.Name, "err", err)
				return // in order: the later ones wait
			}
			if err := t.db.MarkEventApplied(ctx, e.ID, t.cfg.Store.POSID); err != nil {
				t.log.Warn("hub: marking an event taken failed; it is taken in again (harmless)", "err", err)
				return
			}
			t.hub.delivered.Add(1)
		}
		if len(evs) < 100 {
			return
		}
	}
}
