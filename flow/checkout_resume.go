package flow

import "context"

// Resume picks up where the till was before it stopped: the newest open
// sale becomes the live one, an outstanding payment is read back from Vipps
// (and re-sent with the same Idempotency-Key if it never arrived), a
// pending enrolment keeps waiting for the customer. Call it once at start.
func (c *Checkout) Resume(ctx context.Context) error {
	open, err := c.opt.Store.OpenSales(ctx, c.opt.POSID)
	if err != nil {
		return err
	}
	recent, err := c.opt.Store.RecentSales(ctx, c.opt.POSID, 1)
	if err != nil {
		return err
	}
	parked, err := c.countParked(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parkedSales = parked
	if len(recent) > 0 && recent[0].Payment == PaymentAuthorized {
		c.lastPaid, c.settlement = recent[0].SaleID, recent[0].Settlement
	}
	// A sale with a payment out wins; older open sales were left behind by
	// a crash between "new sale" and the first commit and are voided.
	var live *Sale
	for _, s := range open {
		if live == nil || s.Stage == StagePaying || (live.Stage != StagePaying && s.ID > live.ID) {
			live = s
		}
	}
	for _, s := range open {
		if s == live || s.Stage == StagePaying {
			continue
		}
		next := s.Clone()
		next.Stage, next.ClosedAt = StageCancelled, c.now()
		if err := c.opt.Store.SaveSale(ctx, SaleChange{Sale: next, Journal: []JournalEntry{
			c.entry(next, state(s), "voided at start: superseded by a newer sale")}}); err != nil {
			return err
		}
	}
	c.sale = live
	if live != nil {
		c.log.Info("resuming sale", "sale", live.ID, "state", state(live))
		if p := live.Payment; live.Stage == StagePaying && p != nil && !p.Status.Final() {
			// Read the truth first; a cancel the cashier asked for is
			// repeated once Vipps is known to have the request.
			c.startPollLocked(live.ID, p.Reference, 0, 0)
			if p.CancelRequested && p.Status == PaymentWaiting {
				c.startCancelLocked(live.ID, p.Reference)
			}
		}
		if e := live.Enrolment; e != nil && e.Status == EnrolmentPending {
			if e.AuthReqID != "" && c.now().Before(e.ExpiresAt) {
				c.startEnrolmentLocked(live.ID, *e)
			} else {
				next := live.Clone()
				next.Enrolment.Status = EnrolmentExpired
				if e.AuthReqID == "" {
					next.Enrolment.Status = EnrolmentFailed
				}
				if err := c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{
					c.entryTo(next, "enrolment/pending", "enrolment/"+string(next.Enrolment.Status), "the till restarted")}}); err != nil {
					return err
				}
			}
		}
	}
	if n, err := c.opt.Store.CountParked(ctx); err == nil {
		c.parked = n
	}
	c.publishLocked()
	c.scheduleSettlementRefreshLocked()
	return nil
}
