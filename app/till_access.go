package app

import (
	"log/slog"

	"github.com/kasse-pos/kasse/app/internal/drive"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// What a running Till offers the tools built on it (the windows, the
// headless driver, tests): read-only accessors, so no caller can swap a
// part of a till that is running.

var _ drive.Till = (*Till)(nil)

// Checkout is the till's own checkout (not the training one).
func (t *Till) Checkout() *flow.Checkout { return t.checkout }

// Front is what the cashier drives: the checkout, journaled, switching to
// the training checkout in training mode.
func (t *Till) Front() flow.Till { return t.till }

// Store is the till's database.
func (t *Till) Store() *store.DB { return t.db }

// Sim is the built-in simulator; nil against Vipps or an external simulator.
func (t *Till) Sim() *sim.Sim { return t.sim }

// Logger is the till's log.
func (t *Till) Logger() *slog.Logger { return t.log }

// DataDir is the till's data directory.
func (t *Till) DataDir() string { return t.cfg.DataDir }

// POSID is the till's id within the store.
func (t *Till) POSID() string { return t.cfg.Store.POSID }

// ReferencePrefix starts every payment reference this till makes.
func (t *Till) ReferencePrefix() string {
	return flow.ReferencePrefix(t.installation, t.cfg.Store.POSID)
}

// KickSettlement wakes the settlement worker now rather than at its next look.
func (t *Till) KickSettlement() { t.settler.Kick() }

// WebhookStats counts what the till's webhook listener did since it
// started, and the address it was set to listen on; ok is false when the
// till has no listener of its own (polling, or behind the chain's hub).
func (t *Till) WebhookStats() (stats vipps.WebhookStats, listen string, ok bool) {
	if t.webhooks == nil {
		return vipps.WebhookStats{}, "", false
	}
	return t.webhooks.Stats(), t.cfg.Webhook.Listen, true
}
