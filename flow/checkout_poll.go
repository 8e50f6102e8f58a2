package flow

import (
	"context"
	"time"
)

// poller reads a payment's state until it is final: soon after the
// request (the customer may approve within seconds), then every few
// seconds, and slower when Vipps says 429 or does not answer. At most one
// read is in flight, so a reference stays far below 120 reads a minute.
type poller struct {
	saleID  int64
	ref     string
	reads   int
	creates int           // re-sent creates (same Idempotency-Key)
	backoff time.Duration // after errors; 0 when the last read worked
	timer   Timer
}

// pollDelays is the schedule after a successful read that found the
// request still open: ≤ 1 s at first, then backing off to 3 s.
var pollDelays = []time.Duration{time.Second, time.Second, 2 * time.Second, 2 * time.Second, 3 * time.Second}

// sourceGaveUp is the till's own verdict on a request Vipps did not answer
// for long after its expiry: it is not Vipps' state, so the request still
// counts as one that may hold an approval (see Payment.mayStillBeApproved).
const sourceGaveUp = "no answer from Vipps long after the expiry"

const (
	pollAfterExpiry = 10 * time.Second
	pollMaxBackoff  = 60 * time.Second
)

func (p *poller) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

// startPollLocked follows the payment ref by polling. Every open payment
// request has a poller of its own: what happens to one payment (or an event
// for another till's) never stops the polling of another.
func (c *Checkout) startPollLocked(saleID int64, ref string, first time.Duration, creates int) {
	p := c.polls[ref]
	if p == nil {
		p = &poller{saleID: saleID, ref: ref}
		c.polls[ref] = p
	}
	if creates > p.creates {
		p.creates = creates
	}
	c.schedulePollLocked(p, first)
}

func (c *Checkout) stopPollLocked(ref string) {
	if p := c.polls[ref]; p != nil {
		p.stop()
		delete(c.polls, ref)
	}
}

func (c *Checkout) polling(p *poller) bool { return c.polls[p.ref] == p }

func (c *Checkout) schedulePollLocked(p *poller, d time.Duration) {
	if c.closed {
		return
	}
	p.stop()
	p.timer = c.opt.Clock.AfterFunc(d, func() { c.pollOnce(p) })
}

func (c *Checkout) pollOnce(p *poller) {
	c.mu.Lock()
	if c.closed || !c.polling(p) {
		c.mu.Unlock()
		return
	}
	// Until Vipps is known to hold our request (its answer to the create),
	// a payment under this reference may be another installation's: only
	// the event log, with our Idempotency-Key on CREATED, can prove it ours.
	unproven := false
	if s, err := c.saleLocked(c.ctx, p.saleID); err == nil && s.Payment != nil && s.Payment.Reference == p.ref {
		unproven = s.Payment.Status == PaymentRequesting
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()

	ctx := c.ctx
	cctx, cancel := c.call(ctx)
	var (
		info   PaymentInfo
		events []PaymentEvent
		err    error
	)
	if unproven {
		events, err = c.opt.Vipps.PaymentEvents(cctx, p.ref)
	} else {
		info, err = c.opt.Vipps.GetPayment(cctx, p.ref)
	}
	cancel()

	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.polling(p) {
		return
	}
	p.reads++
	switch kind := KindOf(err); {
	case err == nil && unproven:
		p.backoff = 0
		if c.proveLocked(ctx, p, events) {
			return // a new attempt, or the next poll reads the payment
		}
	case err == nil:
		p.backoff = 0
		c.logFailedLocked(c.applyLocked(ctx, p.saleID, p.ref, info.State, info.Authorized, nil, "poll"))
	case kind == ErrNotFound:
		if c.recreateLocked(ctx, p) {
			return // afterCreate takes over
		}
	case kind == ErrRateLimited:
		p.backoff = max(2*p.backoff, retryAfter(err), 5*time.Second)
	default:
		p.backoff = max(2*p.backoff, 2*time.Second)
	}
	if err != nil && c.pastExpiryLocked(p) {
		// Vipps expires a request after ten minutes whatever happens; with
		// no answer long after that, the till must not stay locked.
		c.logFailedLocked(c.applyLocked(ctx, p.saleID, p.ref, VippsExpired, 0, nil, sourceGaveUp))
	}
	if !c.polling(p) {
		return // the payment became final
	}
	c.schedulePollLocked(p, c.nextPollDelay(p))
}

// expiryGrace is how long after ExpiresAt an unreachable Vipps makes the
// till give the request up as expired.
const expiryGrace = 2 * time.Minute

func (c *Checkout) pastExpiryLocked(p *poller) bool {
	s := c.sale
	return s != nil && s.ID == p.saleID && s.Payment != nil && s.Payment.Reference == p.ref &&
		!s.Payment.ExpiresAt.IsZero() && c.now().After(s.Payment.ExpiresAt.Add(expiryGrace))
}

func (c *Checkout) nextPollDelay(p *poller) time.Duration {
	if p.backoff > 0 {
		return min(p.backoff, pollMaxBackoff)
	}
	if s := c.sale; s != nil && s.Payment != nil && s.Payment.Reference == p.ref &&
		!s.Payment.ExpiresAt.IsZero() && c.now().After(s.Payment.ExpiresAt) {
		// Vipps declares the expiry itself; until it does, look less often.
		return pollAfterExpiry
	}
	return c.pollDelay(p.reads - 1)
}

// pollDelay is the wait before the (i+1)-th read of an open request.
func (c *Checkout) pollDelay(i int) time.Duration {
	d := pollDelays
	if len(c.opt.PollDelays) > 0 {
		d = c.opt.PollDelays
	}
	return d[max(0, min(i, len(d)-1))]
}

// recreateLocked handles a payment Vipps does not know: a create that was
// lost on the way is sent again (same key, same body), a few times.
func (c *Checkout) recreateLocked(ctx context.Context, p *poller) bool {
	s := c.sale
	if s == nil || s.ID != p.saleID || s.Payment == nil || s.Payment.Reference != p.ref || s.Payment.Status != PaymentRequesting {
		return false
	}
	if s.Payment.CancelRequested {
		c.logFailedLocked(c.applyLocked(ctx, p.saleID, p.ref, VippsTerminated, 0, nil, "cancel before the request reached Vipps"))
		return true
	}
	if p.creates >= len(createRetryDelays) {
		c.failPaymentLocked(ctx, s, &GatewayError{Kind: ErrTransient, Message: "Vipps did not confirm the payment request"})
		return true
	}
	p.creates++
	c.startCreateLocked(s, p.creates)
	return true
}

// proveLocked decides, from Vipps' event log of an unconfirmed request,
// whether the payment under our reference is ours: its CREATED event must
// carry our Idempotency-Key and our amount. Ours: the request is waiting
// and the next poll reads its state. Not ours: the attempt fails loudly
// (journal, notice) and a new attempt with a new reference is made; nothing
// of the other payment is ever applied. It reports whether it handled the
// poll (false: poll again as usual).
func (c *Checkout) proveLocked(ctx context.Context, p *poller, events []PaymentEvent) bool {
	s, err := c.saleLocked(ctx, p.saleID)
	if err != nil || s.Payment == nil || s.Payment.Reference != p.ref || s.Payment.Status != PaymentRequesting {
		return false
	}
	pay := s.Payment
	for _, e := range events {
		if e.Name == VippsCreated && e.IdempotencyKey == pay.IdempotencyKey && e.Amount == pay.Amount {
			c.log.Info("payment request found at Vipps under our key", "sale", s.ID, "reference", p.ref)
			c.logFailedLocked(c.applyLocked(ctx, p.saleID, p.ref, VippsCreated, 0, nil, "event log: created with our key"))
			c.releaseHeldLocked(ctx, p.saleID, p.ref)
			if c.polling(p) {
				c.schedulePollLocked(p, 0)
			}
			return true
		}
	}
	if len(events) == 0 {
		return false // nothing there yet: the create may still arrive
	}
	delete(c.held, p.ref) // another installation's events: never taken in
	c.foreignReferenceLocked(ctx, s)
	return true
}

// maxAutoAttempts bounds how often a sale moves on to a new reference by
// itself after finding its reference taken.
const maxAutoAttempts = 5

// foreignReferenceLocked handles a reference Vipps holds for a payment that
// is not ours (another till, installation or an older database used it).
func (c *Checkout) foreignReferenceLocked(ctx context.Context, s *Sale) {
	from := state(s)
	next := s.Clone()
	ref := next.Payment.Reference
	next.Payment.Status, next.Payment.NotOurs, next.Stage = PaymentFailed, true, StageOpen
	c.stopPollLocked(ref)
	c.log.Error("payment reference already used at Vipps by a payment that is not ours; nothing of it is taken", "sale", s.ID, "reference", ref)
	c.showNoticeLocked(NoticeError, "payment.reference_taken", "Vipps already had a payment under this sale's reference that is not ours. The till sends a new request.", nil)
	if c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from,
		"reference "+ref+" is taken at Vipps by a payment that is not ours: attempt abandoned, nothing taken")}}) != nil {
		return
	}
	if c.sale == nil || c.sale.ID != next.ID || next.Attempt >= maxAutoAttempts || next.Payment.CancelRequested {
		return
	}
	_ = c.newAttemptLocked(ctx, !next.Payment.Push)
}
