package flow

import (
	"context"
	"errors"
)

// A sales unit is not enabled for PUSH_MESSAGE until the store asks Vipps
// MobilePay ("skip landing page"); until then Vipps refuses every push
// with 5080. The till notices the first refusal, tells the cashier once,
// and from then on asks for payment with the dynamic QR on the customer
// display — Vipps' preferred flow where there is a customer-facing screen —
// until the setting is turned back (Options.PushDisabled).

// pushNotEnabled: Vipps refused the push because the sales unit may not
// send one (5080).
func pushNotEnabled(err error) bool {
	var ge *GatewayError
	return errors.As(err, &ge) && ge.Code == "5080"
}

// pushDisabledLocked: payment requests go as a QR code.
func (c *Checkout) pushDisabledLocked() bool { return c.pushOff || c.opt.PushDisabled }

// switchOffPushLocked records the refused push, turns push off for this
// sales unit and asks for the same sale again as a QR code.
func (c *Checkout) switchOffPushLocked(ctx context.Context, s *Sale, err error) {
	from := state(s)
	next := s.Clone()
	next.Payment.Status, next.Stage = PaymentFailed, StageOpen
	c.stopPollLocked(next.Payment.Reference)
	delete(c.held, next.Payment.Reference)
	c.log.Warn("push payments are not enabled for this sales unit; the till asks by QR from now on",
		"sale", s.ID, "reference", next.Payment.Reference, "err", err)
	if c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from, "push not enabled for the sales unit: asking by QR")}}) != nil {
		return
	}
	first := !c.pushOff
	c.pushOff = true
	if first && c.opt.OnPushDisabled != nil {
		c.background(func(context.Context) { c.opt.OnPushDisabled() })
	}
	if qerr := c.newAttemptLocked(ctx, true); qerr != nil {
		c.log.Warn("the QR request after the refused push failed", "sale", s.ID, "err", qerr)
	}
	if first {
		c.showNoticeLocked(NoticeWarning, "payment.push_not_enabled",
			"Vipps does not allow push payment requests for this store yet, so the customer pays with the QR code on the customer display. Ask Vipps MobilePay to enable push (skip landing page) for the sales unit, then turn push back on in the settings.", nil)
		c.publishLocked()
	}
}
