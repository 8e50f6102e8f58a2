package flow

import (
	"context"
	"errors"
	"github.com/kasse-pos/kasse/internal/msisdn"
	"strconv"
	"strings"
	"time"
)

// MinimumAmount is the smallest payment Vipps accepts per currency (§2.4).
func MinimumAmount(currency string) Money {
	if currency == "NOK" {
		return 100
	}
	return 1
}

// RequestPayment sends a push payment request to the identified customer.
func (c *Checkout) RequestPayment(ctx context.Context) error { return c.requestPayment(ctx, false) }

// PayByQR requests payment by a QR code on the customer display; during a
// push request it first cancels the push (safely: see CancelPayment).
func (c *Checkout) PayByQR(ctx context.Context) error { return c.requestPayment(ctx, true) }

func (c *Checkout) requestPayment(ctx context.Context, byQR bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sale
	byQR = byQR || c.pushDisabledLocked()
	if byQR && maySwitchToQR(s) {
		return c.switchToQRLocked(ctx)
	}
	if r := mayRequestPayment(s, byQR); !r.ok() {
		err := c.noticeLocked(NoticeWarning, r.key, r.text, nil)
		c.publishLocked()
		return err
	}
	return c.newAttemptLocked(ctx, byQR)
}

// newAttemptLocked stores a new payment request (with a new reference: a
// declined or expired reference can never be paid) before sending it.
func (c *Checkout) newAttemptLocked(ctx context.Context, byQR bool) error {
	from := state(c.sale)
	next := c.sale.Clone()
	next.Attempt++
	ref := Reference(c.opt.Installation, next.POSID, next.ReceiptSeq, next.Attempt)
	prev := next.Payment
	next.Payment = &Payment{SaleID: next.ID, Reference: ref, Attempt: next.Attempt, IdempotencyKey: CreateKey(ref, NewNonce()),
		Status: PaymentRequesting, Push: !byQR, Amount: next.Due(), CreatedAt: c.now()}
	if !byQR {
		if next.Customer.MSISDN != "" && (msisdn.Pushable(next.Customer.MSISDN) || next.Customer.QR == "") {
			next.Payment.PushMSISDN = next.Customer.MSISDN
		} else {
			next.Payment.PushQR = next.Customer.QR
		}
	}
	next.Stage = StagePaying
	how := "push to " + MaskMSISDN(next.Customer.MSISDN)
	if byQR {
		how = "QR on the customer display"
	} else if next.Payment.PushQR != "" {
		how = "push to the holder of the scanned QR"
	}
	if c.notice != nil && c.notice.Key != "payment.reference_taken" {
		c.notice = nil
	}
	ch := SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from, "payment requested: "+how)}}
	if prev != nil && prev.mayStillBeApproved() {
		// The earlier request was given up by us, not closed by Vipps: if
		// the customer approved it meanwhile, that reservation is released.
		ch.Jobs = []OutboxJob{ReleaseJob(next.ID, prev.Reference, prev.Amount, c.now())}
	}
	if err := c.commitLocked(ctx, ch); err != nil {
		return err
	}
	c.startCreateLocked(next, 0)
	return nil
}

// paymentRequest is built only from stored state, so a retry after a
// restart sends the identical body with the identical Idempotency-Key.
func (c *Checkout) paymentRequest(s *Sale) PaymentRequest {
	p := s.Payment
	// The store's name goes as it is: the Vipps client makes it a valid
	// paymentDescription (3–100 characters, counted in characters, not
	// bytes: vipps.PaymentDescription), the one place that rule lives.
	req := PaymentRequest{Reference: p.Reference, IdempotencyKey: p.IdempotencyKey, Amount: p.Amount,
		Currency: s.Currency, ByQR: !p.Push, Description: c.opt.StoreName, MinimumAge: s.MinimumAge()}
	if p.Push {
		req.MSISDN, req.PersonalQR = p.PushMSISDN, p.PushQR
	}
	return req
}

func (c *Checkout) startCreateLocked(s *Sale, try int) {
	req, saleID := c.paymentRequest(s), s.ID
	c.background(func(ctx context.Context) {
		cctx, cancel := c.call(ctx)
		created, err := c.opt.Vipps.CreatePayment(cctx, req)
		cancel()
		c.afterCreate(ctx, saleID, req.Reference, try, created, err)
	})
}

// createRetries bounds re-sending a create whose fate is unknown; with the
// backoff below they stay inside the 5 per minute a reference may have.
var createRetryDelays = []time.Duration{2 * time.Second, 6 * time.Second, 15 * time.Second}

func (c *Checkout) afterCreate(ctx context.Context, saleID int64, ref string, try int, created CreatedPayment, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sale
	if s == nil || s.ID != saleID || s.Payment == nil || s.Payment.Reference != ref || s.Payment.Status.Final() {
		return
	}
	if s.Payment.Status == PaymentWaiting && (err != nil || created.QR == s.Payment.QR) {
		return // a webhook was faster and said it all
	}
	if err == nil {
		from := state(s)
		next := s.Clone()
		p := next.Payment
		p.Status, p.VippsState, p.QR = PaymentWaiting, VippsCreated, created.QR
		p.ExpiresAt = p.CreatedAt.Add(PaymentExpiry)
		if c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from, "Vipps has the payment request")}}) != nil {
			return
		}
		c.startPollLocked(saleID, ref, c.pollDelay(0), try)
		c.releaseHeldLocked(ctx, saleID, ref)
		if p.CancelRequested {
			c.startCancelLocked(saleID, ref)
		}
		return
	}
	switch KindOf(err) {
	case ErrTransient, ErrRateLimited, ErrUnknown, ErrConflict, ErrRetryLater:
		// The request may have reached Vipps (a conflict says the reference
		// is taken — by us, or by another installation). The poller reads
		// the event log: our key on CREATED proves it ours; a payment that
		// is not ours is never taken; if Vipps does not know the reference,
		// the same request is sent again.
		c.log.Warn("payment request not confirmed; reading it back", "sale", saleID, "reference", ref, "err", err)
		if KindOf(err) == ErrRetryLater {
			// Vipps refused this key for now and answers it the same way
			// for ever: the request goes again under a new key.
			next := s.Clone()
			next.Payment.IdempotencyKey = CreateKey(ref, NewNonce())
			if c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, state(s), "Vipps asks to try again later: the request goes again under a new key")}}) != nil {
				return
			}
		}
		c.showNoticeLocked(NoticeInfo, "payment.unconfirmed", "Vipps has not confirmed the payment request yet; the till keeps asking.", nil)
		c.publishLocked()
		delay := createRetryDelays[min(try, len(createRetryDelays)-1)]
		if d := retryAfter(err); d > delay {
			delay = d
		}
		c.startPollLocked(saleID, ref, delay, try)
	default:
		c.failPaymentLocked(ctx, s, err)
	}
}

// failPaymentLocked records a payment request Vipps refused; the sale is
// open again so the cashier can try another way.
func (c *Checkout) failPaymentLocked(ctx context.Context, s *Sale, err error) {
	if s.Payment.Push && pushNotEnabled(err) {
		c.switchOffPushLocked(ctx, s, err)
		return
	}
	from := state(s)
	next := s.Clone()
	next.Payment.Status, next.Stage = PaymentFailed, StageOpen
	c.stopPollLocked(next.Payment.Reference)
	delete(c.held, next.Payment.Reference)
	c.log.Warn("payment request refused", "sale", s.ID, "reference", next.Payment.Reference, "kind", KindOf(err), "err", err)
	key, text := "payment.failed", "Vipps refused the payment request: "+err.Error()
	var args map[string]string
	switch {
	case customerRefused(err) && s.MinimumAge() > 0:
		// Vipps answers a customer under minimumUserAge as it answers an
		// unknown one (7010) and asks that the customer is not told their
		// number is wrong.
		age := strconv.Itoa(s.MinimumAge())
		key, text = "payment.age_refused", "Vipps refused the payment: the customer may be under "+age+" or cannot use Vipps. Check ID, or remove the goods with an age limit, or take another payment."
		args = map[string]string{"age": age}
	case customerRefused(err) || KindOf(err) == ErrNotFound:
		key, text = "payment.customer_unavailable", "Vipps could not send a payment request to this customer. Try a QR payment."
	}
	c.showNoticeLocked(NoticeError, key, text, args)
	c.logFailedLocked(c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from, "payment request refused: "+KindOf(err).String())}}))
}

// customerRefused: Vipps found no customer it may ask (7010 — unknown, or
// younger than minimumUserAge).
func customerRefused(err error) bool {
	var ge *GatewayError
	return errors.As(err, &ge) && ge.Code == "7010"
}

// CancelPayment withdraws the outstanding request unless the customer has
// approved it. Vipps is asked with cancelTransactionOnly, so an approval
// racing the cancel wins and the sale is paid (§6.5).
func (c *Checkout) CancelPayment(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sale
	if r := mayCancelPayment(s); !r.ok() {
		err := c.noticeLocked(NoticeWarning, r.key, r.text, nil)
		c.publishLocked()
		return err
	}
	if s.Payment.CancelRequested {
		return nil
	}
	next := s.Clone()
	next.Payment.CancelRequested = true
	if err := c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, state(s), "cashier cancels the payment request")}}); err != nil {
		return err
	}
	if next.Payment.Status == PaymentWaiting {
		c.startCancelLocked(next.ID, next.Payment.Reference)
	}
	// While the request is still being created, afterCreate cancels it.
	return nil
}

func (c *Checkout) switchToQRLocked(ctx context.Context) error {
	s := c.sale
	if s.Payment.CancelRequested {
		return nil
	}
	next := s.Clone()
	next.Payment.CancelRequested, next.Payment.FallbackToQR = true, true
	if err := c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, state(s), "cashier switches to a QR payment")}}); err != nil {
		return err
	}
	if next.Payment.Status == PaymentWaiting {
		c.startCancelLocked(next.ID, next.Payment.Reference)
	}
	return nil
}

func (c *Checkout) startCancelLocked(saleID int64, ref string) {
	c.background(func(ctx context.Context) {
		cctx, cancel := c.call(ctx)
		info, err := c.opt.Vipps.CancelPayment(cctx, ref, true, IdempotencyKey(ref, "cancel"))
		cancel()
		if err != nil && KindOf(err) != ErrNotFound {
			// 6060 "already authorized", 6250 "customer is approving" or
			// no answer at all: only the payment itself tells the truth.
			cctx, cancel := c.call(ctx)
			if got, gerr := c.opt.Vipps.GetPayment(cctx, ref); gerr == nil {
				c.log.Info("cancel refused; payment read back", "sale", saleID, "reference", ref, "state", got.State, "err", err)
				info, err = got, nil
			}
			cancel()
		}
		c.afterCancel(ctx, saleID, ref, info, err)
	})
}

func (c *Checkout) afterCancel(ctx context.Context, saleID int64, ref string, info PaymentInfo, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil:
		c.logFailedLocked(c.applyLocked(ctx, saleID, ref, info.State, info.Authorized, nil, "cancel"))
	case KindOf(err) == ErrNotFound:
		// The request never reached Vipps: nothing can be approved.
		c.logFailedLocked(c.applyLocked(ctx, saleID, ref, VippsTerminated, 0, nil, "cancel of an unknown request"))
	}
	s := c.sale
	if s == nil || s.ID != saleID || s.Payment == nil || s.Payment.Reference != ref || s.Payment.Status.Final() {
		return
	}
	// Still open at Vipps: the cashier may try again; polling goes on.
	next := s.Clone()
	next.Payment.CancelRequested, next.Payment.FallbackToQR = false, false
	c.showNoticeLocked(NoticeWarning, "payment.cancel_failed", "The payment could not be cancelled now (the customer may be approving it). Wait for the answer or try again.", nil)
	c.logFailedLocked(c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, state(s), "cancel did not go through")}}))
}

// HandlePaymentEvent takes a Vipps event (a verified webhook, or an entry of
// the event log) into the same transition as polling. Duplicates and late
// events are harmless: a payment never moves back.
//
// Vipps sends every event of the sales unit to every registration, so most
// events a till sees belong to other tills. An event for a reference that
// is not one of this till's payments is acknowledged (nil) and ignored:
// never applied, never journaled. So is anything said about a request Vipps
// has not yet confirmed as ours, except its CREATED with our key; the
// poller reads such a request's event log instead.
func (c *Checkout) HandlePaymentEvent(ctx context.Context, ev PaymentEvent) error {
	return c.HandleEvent(ctx, ev, "webhook")
}

// HandleEvent is HandlePaymentEvent for an event that came another way
// (source names it in the journal, e.g. "hub").
func (c *Checkout) HandleEvent(ctx context.Context, ev PaymentEvent, source string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sale
	if s == nil || s.Payment == nil || s.Payment.Reference != ev.Reference {
		if !strings.HasPrefix(ev.Reference, c.refPrefix) && !c.legacyReference(ev.Reference) {
			return nil // another installation's or another till's
		}
		id, err := c.opt.Store.SaleIDByReference(ctx, ev.Reference)
		if errors.Is(err, ErrNoRecord) {
			return nil
		}
		if err != nil {
			c.log.Warn("event not recorded; reading the sale failed", "reference", ev.Reference, "event", ev.Name, "err", err)
			return err
		}
		if s, err = c.opt.Store.Sale(ctx, id); err != nil {
			return err
		}
		if s.POSID != c.opt.POSID {
			return nil // another till's sale on a shared database
		}
	}
	if p := s.Payment; p != nil && p.Reference == ev.Reference {
		if p.NotOurs {
			return nil
		}
		if p.Status == PaymentRequesting && !(ev.Name == VippsCreated && ev.Success && ev.IdempotencyKey == p.IdempotencyKey) {
			// Often just faster than the create's answer: kept until the
			// request is known to be ours, then taken in as it came.
			c.holdLocked(ev, source)
			if pl := c.polls[ev.Reference]; pl != nil {
				c.schedulePollLocked(pl, 0) // the event log decides, at once
			}
			return nil
		}
	}
	name := ev.Name
	if !ev.Success {
		name = "" // a failed operation changes nothing; it is kept all the same
	}
	return c.applyLocked(ctx, s.ID, ev.Reference, name, ev.Amount, []PaymentEvent{ev}, source)
}

// legacyReference: references made before installation ids ("pos1-000123").
func (c *Checkout) legacyReference(ref string) bool {
	return strings.HasPrefix(ref, ReferencePrefix("", c.opt.POSID))
}

// applyLocked is the one transition function for what Vipps says about a
// payment: name is a Vipps state or event name ("" to only keep events).
func (c *Checkout) applyLocked(ctx context.Context, saleID int64, ref, name string, amount Money, events []PaymentEvent, source string) error {
	s, err := c.saleLocked(ctx, saleID)
	if err != nil {
		return err
	}
	next := s.Clone()
	ch := SaleChange{Sale: next, Events: events}
	p := next.Payment
	if p != nil && p.Reference == ref && p.NotOurs {
		return nil // another installation's payment: nothing of it is ours to keep
	}
	st, ok := statusFromVipps(name)
	if name == VippsCreated {
		st, ok = PaymentWaiting, true
	}
	if p == nil || p.Reference != ref || !ok || !advances(next, st) {
		if st == PaymentAuthorized && !(p != nil && p.Reference == ref && p.Status == PaymentAuthorized) {
			// An approval the sale will not take (it was voided, or moved
			// on to another request): the reservation is given back.
			c.log.Warn("approval that no sale will capture; releasing the reservation", "sale", saleID, "reference", ref)
			ch.Jobs = []OutboxJob{ReleaseJob(saleID, ref, amount, c.now())}
			ch.Journal = []JournalEntry{c.entry(next, state(next), "Vipps: AUTHORIZED for "+ref+" after the sale moved on (from "+source+"): the reservation will be released")}
			ch.EventsOnly = true
			err := c.commitLocked(ctx, ch)
			if err == nil && c.opt.OnRelease != nil {
				c.opt.OnRelease()
			}
			return err
		}
		if len(events) == 0 {
			return nil
		}
		ch.EventsOnly = true
		return c.commitLocked(ctx, ch) // kept for the record; no transition
	}
	from := state(next)
	p.Status = st
	if source != sourceGaveUp {
		p.VippsState = name // what Vipps said, not the till's own verdict
	}
	switch st {
	case PaymentWaiting:
		if p.ExpiresAt.IsZero() {
			p.ExpiresAt = p.CreatedAt.Add(PaymentExpiry)
		}
	case PaymentAuthorized:
		if amount <= 0 {
			amount = p.Amount
		}
		p.Authorized = amount
		next.Stage, next.ClosedAt = StagePaid, c.now()
		// Vipps asked for what was due, so it is the sale's last tender.
		vt := Tender{SaleID: next.ID, Seq: len(next.Tenders), Kind: TenderVipps, Amount: amount, Reference: ref, At: c.now()}
		next.Tenders = append(next.Tenders, vt)
		ch.Tenders = []Tender{vt}
		// The capture is queued in the very transaction that records the
		// approval: there is no moment where one exists without the other.
		ch.Jobs = SettlementJobs(next.ID, ref, amount, c.now())
		c.earnPointsLocked(ctx, next, &ch)
	default:
		next.Stage = StageOpen
	}
	ch.Journal = []JournalEntry{c.entry(next, from, "Vipps: "+name+" (from "+source+")")}
	// What the cashier is told goes out in the same View as the change.
	prevPaid, prevSettlement, prevNotice := c.lastPaid, c.settlement, c.notice
	fallback := st == PaymentCancelled && p.FallbackToQR && c.sale != nil && c.sale.ID == next.ID
	switch {
	case st == PaymentAuthorized:
		c.lastPaid, c.settlement = next.ID, SettlementQueued
		c.showNoticeLocked(NoticeInfo, "payment.approved", "Payment approved.", nil)
	case st == PaymentDeclined:
		c.showNoticeLocked(NoticeWarning, "payment.declined", "The customer declined the payment.", nil)
	case st == PaymentExpired:
		c.showNoticeLocked(NoticeWarning, "payment.expired", "The payment request expired without an answer.", nil)
	case st == PaymentCancelled && !fallback:
		c.showNoticeLocked(NoticeInfo, "payment.cancelled", "The payment request was cancelled.", nil)
	}
	if err := c.commitLocked(ctx, ch); err != nil {
		c.lastPaid, c.settlement = prevPaid, prevSettlement
		if c.notice == nil {
			c.notice = prevNotice
		}
		return err
	}
	if st.Final() {
		c.stopPollLocked(ref)
		c.keepEventLogLocked(saleID, ref)
	}
	switch {
	case st == PaymentWaiting:
		if c.polls[ref] == nil {
			// Webhooks may be lost: polling runs whoever said "created".
			c.startPollLocked(next.ID, ref, c.pollDelay(0), 0)
		}
		if p.CancelRequested {
			// Asked for while the request was on its way; now it can go.
			c.startCancelLocked(next.ID, ref)
		}
	case st == PaymentAuthorized && c.opt.OnSaleClosed != nil:
		paid := next.Clone()
		c.background(func(ctx context.Context) { c.opt.OnSaleClosed(ctx, paid) })
	case fallback:
		return c.newAttemptLocked(ctx, true)
	}
	return nil
}

// advances reports whether st is a step forward for the sale's payment.
func advances(s *Sale, st PaymentStatus) bool {
	cur := s.Payment.Status
	if cur.rank() < st.rank() {
		return s.Stage == StagePaying
	}
	// "Failed" (and an expiry declared while Vipps was unreachable) is
	// only our verdict; an approval that shows up later is still money the
	// customer gave, so it is taken and settled.
	// Not once another tender took part of what the request asked for:
	// the approval would pay twice, so it is released instead.
	return (cur == PaymentFailed || cur == PaymentExpired) && st == PaymentAuthorized && s.Stage == StageOpen &&
		s.Due() == s.Payment.Amount
}

// keepEventLogLocked stores the payment's full event log from Vipps once
// it is final, so every event is kept even when no webhook arrived.
func (c *Checkout) keepEventLogLocked(saleID int64, ref string) {
	c.background(func(ctx context.Context) {
		cctx, cancel := c.call(ctx)
		evs, err := c.opt.Vipps.PaymentEvents(cctx, ref)
		cancel()
		if err != nil || len(evs) == 0 {
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.logFailedLocked(c.applyLocked(ctx, saleID, ref, "", 0, evs, "event log"))
	})
}

func retryAfter(err error) time.Duration {
	var ge *GatewayError
	if errors.As(err, &ge) {
		return ge.RetryAfter
	}
	return 0
}

// maxHeld bounds the events kept for one unconfirmed request.
const maxHeld = 16

type heldEvent struct {
	ev     PaymentEvent
	source string
}

// holdLocked keeps an event for a request Vipps has not yet confirmed as
// ours; releaseHeldLocked takes it in once it is (and forgets it if the
// request turns out not to be ours).
func (c *Checkout) holdLocked(ev PaymentEvent, source string) {
	if c.held == nil {
		c.held = map[string][]heldEvent{}
	}
	if len(c.held[ev.Reference]) < maxHeld {
		c.held[ev.Reference] = append(c.held[ev.Reference], heldEvent{ev, source})
	}
}

// releaseHeldLocked takes in the events held for ref, now that the request
// is proved ours.
func (c *Checkout) releaseHeldLocked(ctx context.Context, saleID int64, ref string) {
	held := c.held[ref]
	delete(c.held, ref)
	for _, h := range held {
		name := h.ev.Name
		if !h.ev.Success {
			name = ""
		}
		_ = c.applyLocked(ctx, saleID, ref, name, h.ev.Amount, []PaymentEvent{h.ev}, h.source)
	}
}
