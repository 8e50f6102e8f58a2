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

const (
	pollAfterExpiry = 10 * time.Second
	pollMaxBackoff  = 60 * time.Second
)

func (p *poller) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

func (c *Checkout) startPollLocked(saleID int64, ref string, first time.Duration, creates int) {
	if c.poll != nil && c.poll.ref != ref {
		c.poll.stop()
		c.poll = nil
	}
	if c.poll == nil {
		c.poll = &poller{saleID: saleID, ref: ref}
	}
	if creates > c.poll.creates {
		c.poll.creates = creates
	}
	c.schedulePollLocked(c.poll, first)
}

func (c *Checkout) stopPollLocked(ref string) {
	if c.poll != nil && c.poll.ref == ref {
		c.poll.stop()
		c.poll = nil
	}
}

func (c *Checkout) schedulePollLocked(p *poller, d time.Duration) {
	if c.closed {
		return
	}
	p.stop()
	p.timer = c.opt.Clock.AfterFunc(d, func() { c.pollOnce(p) })
}

func (c *Checkout) pollOnce(p *poller) {
	c.mu.Lock()
	if c.closed || c.poll != p {
		c.mu.Unlock()
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	defer c.wg.Done()

	ctx := c.ctx
	cctx, cancel := c.call(ctx)
	info, err := c.opt.Vipps.GetPayment(cctx, p.ref)
	cancel()

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.poll != p {
		return
	}
	p.reads++
	switch kind := KindOf(err); {
	case err == nil:
		p.backoff = 0
		c.applyLocked(ctx, p.saleID, p.ref, info.State, info.Authorized, nil, "poll")
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
		c.applyLocked(ctx, p.saleID, p.ref, VippsExpired, 0, nil, "no answer from Vipps long after the expiry")
	}
	if c.poll != p {
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
	return pollDelays[min(p.reads-1, len(pollDelays)-1)]
}

// recreateLocked handles a payment Vipps does not know: a create that was
// lost on the way is sent again (same key, same body), a few times.
func (c *Checkout) recreateLocked(ctx context.Context, p *poller) bool {
	s := c.sale
	if s == nil || s.ID != p.saleID || s.Payment == nil || s.Payment.Reference != p.ref || s.Payment.Status != PaymentRequesting {
		return false
	}
	if s.Payment.CancelRequested {
		c.applyLocked(ctx, p.saleID, p.ref, VippsTerminated, 0, nil, "cancel before the request reached Vipps")
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
