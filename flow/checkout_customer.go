package flow

import (
	"context"
	"errors"
	"time"
)

// identify starts identifying the customer who showed a personal QR. The
// QR is stored at once; the exchange for a phone number, the membership
// lookup and the Check-in follow in the background.
func (c *Checkout) identify(ctx context.Context, qr string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refuseWhilePayingLocked(); err != nil {
		return err
	}
	if err := c.ensureSaleLocked(ctx); err != nil {
		c.publishLocked()
		return err
	}
	from := state(c.sale)
	next := c.sale.Clone()
	detail := "customer QR scanned"
	if next.Customer.Identified() {
		detail = "customer replaced by a new QR"
	}
	next.Customer = Customer{QR: qr}
	ch := SaleChange{Sale: next}
	if e := next.Enrolment; e != nil && e.Status == EnrolmentPending {
		// The enrolment belonged to the customer who is no longer here.
		e.Status = EnrolmentFailed
		ch.Journal = append(ch.Journal, c.entryTo(next, "enrolment/pending", "enrolment/abandoned", "another customer scanned"))
	}
	next.Enrolment = nil
	ch.Journal = append(ch.Journal, c.entry(next, from, detail))
	c.stopEnrolmentLocked(next.ID)
	if err := c.commitLocked(ctx, ch); err != nil {
		return err
	}
	c.custGen++
	gen, saleID := c.custGen, next.ID
	c.background(func(bg context.Context) { c.exchange(bg, saleID, gen, qr) })
	return nil
}

// exchange turns the QR into a phone number and looks up the membership.
func (c *Checkout) exchange(ctx context.Context, saleID int64, gen int, qr string) {
	cctx, cancel := c.call(ctx)
	msisdn, err := c.opt.Vipps.ExchangeQR(cctx, qr)
	cancel()

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.custGen != gen || c.sale == nil || c.sale.ID != saleID {
		return // another customer (or sale) took over meanwhile
	}
	if err != nil {
		c.log.Warn("personal QR exchange failed", "sale", saleID, "kind", KindOf(err), "err", err)
		// The QR itself still works as the payment target.
		c.showNoticeLocked(NoticeWarning, "customer.qr_unreadable",
			"The customer's QR could not be checked with Vipps; membership is unknown, but a payment request can still be sent.", nil)
		c.publishLocked()
		return
	}
	m, err := c.opt.Store.MemberByMSISDN(ctx, msisdn)
	if err != nil && !errors.Is(err, ErrNoRecord) {
		c.log.Error("reading the club failed", "sale", saleID, "err", err)
		c.showNoticeLocked(NoticeError, "store.failed", storeFailed, nil)
		c.publishLocked()
		return
	}
	from := state(c.sale)
	next := c.sale.Clone()
	next.Customer.MSISDN, next.Customer.Member = msisdn, m
	detail := "customer identified as " + MaskMSISDN(msisdn) + ", not a member"
	if m != nil {
		detail = "customer identified as " + MaskMSISDN(msisdn) + ", member"
	}
	if err := c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from, detail)}}); err != nil {
		return
	}
	c.checkInLocked(saleID, gen, msisdn, m != nil)
}

// checkInLocked shows the club screen in the customer's app. It is
// fire-and-forget: only Norwegian numbers qualify, and a failure (the
// test environment always answers 500) never holds up the sale.
func (c *Checkout) checkInLocked(saleID int64, gen int, msisdn string, member bool) {
	if !IsNorwegianMSISDN(msisdn) {
		return
	}
	c.background(func(ctx context.Context) {
		cctx, cancel := c.call(ctx)
		err := c.opt.Vipps.CheckIn(cctx, msisdn, member)
		cancel()
		if err != nil {
			c.log.Info("check-in failed; the sale goes on", "sale", saleID, "phone", MaskMSISDN(msisdn), "err", err)
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.custGen != gen || c.sale == nil || c.sale.ID != saleID || c.sale.Customer.MSISDN != msisdn {
			return
		}
		next := c.sale.Clone()
		next.Customer.CheckedIn = true
		c.logFailedLocked(c.commitLocked(ctx, SaleChange{Sale: next}))
	})
}

// Enrol starts the club enrolment of the identified non-member: a consent
// request on their phone with a binding message shown on both screens.
func (c *Checkout) Enrol(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sale
	if r := mayEnrol(s); !r.ok() {
		err := c.noticeLocked(NoticeWarning, r.key, r.text, nil)
		c.publishLocked()
		return err
	}
	next := s.Clone()
	bm := c.opt.BindingMessage()
	next.Enrolment = &Enrolment{Status: EnrolmentPending, MSISDN: s.Customer.MSISDN, BindingMessage: bm, ExpiresAt: c.now().Add(10 * time.Minute)}
	if err := c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{
		c.entryTo(next, "enrolment/none", "enrolment/pending", "consent requested, binding message "+bm)}}); err != nil {
		return err
	}
	c.startEnrolmentLocked(next.ID, *next.Enrolment)
	return nil
}

// startEnrolmentLocked waits for the customer's consent in the background.
// It outlives the sale on the screen: a customer who pays first and
// consents on the way out still becomes a member.
func (c *Checkout) startEnrolmentLocked(saleID int64, e Enrolment) {
	c.stopEnrolmentLocked(saleID)
	ectx, stop := context.WithCancel(c.ctx)
	c.enrolStops[saleID] = stop
	c.background(func(context.Context) {
		defer func() {
			c.mu.Lock()
			stop()
			delete(c.enrolStops, saleID)
			c.mu.Unlock()
		}()
		c.runEnrolment(ectx, saleID, e)
	})
}

// stopEnrolmentLocked abandons the enrolment running for a sale, if any.
func (c *Checkout) stopEnrolmentLocked(saleID int64) {
	if stop, ok := c.enrolStops[saleID]; ok {
		stop()
		delete(c.enrolStops, saleID)
	}
}

// runEnrolment pushes the consent request (unless a restart found it
// already pushed) and waits for the customer's answer.
func (c *Checkout) runEnrolment(ctx context.Context, saleID int64, e Enrolment) {
	req := LoginRequest{AuthReqID: e.AuthReqID, ExpiresAt: e.ExpiresAt, Interval: e.Interval}
	if req.AuthReqID == "" {
		cctx, cancel := c.call(ctx)
		r, err := c.opt.Vipps.StartLogin(cctx, e.MSISDN, e.BindingMessage, c.opt.LoginScopes)
		cancel()
		if err != nil && ctx.Err() != nil {
			return // abandoned meanwhile; a restart finds no request id and says so
		}
		if err != nil {
			c.endEnrolment(ctx, saleID, e.BindingMessage, nil, err)
			return
		}
		req = r
		if req.ExpiresAt.IsZero() {
			req.ExpiresAt = e.ExpiresAt
		}
		c.mu.Lock()
		cur := c.pendingEnrolmentLocked(ctx, saleID, e.BindingMessage)
		if cur == nil {
			c.mu.Unlock()
			return
		}
		next := cur.Clone()
		next.Enrolment.AuthReqID, next.Enrolment.ExpiresAt, next.Enrolment.Interval = req.AuthReqID, req.ExpiresAt, req.Interval
		err = c.commitLocked(ctx, SaleChange{Sale: next})
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
	// FinishLogin polls the token endpoint itself; the deadline is the
	// request's own expiry plus a margin for the last poll.
	wait := req.ExpiresAt.Sub(c.now()) + 30*time.Second
	if wait < time.Minute {
		wait = time.Minute
	}
	fctx, cancel := context.WithTimeout(ctx, wait)
	claims, err := c.opt.Vipps.FinishLogin(fctx, req)
	cancel()
	if ctx.Err() != nil {
		return // abandoned: another customer, a voided sale or shutdown
	}
	c.endEnrolment(ctx, saleID, e.BindingMessage, &claims, err)
}

// pendingEnrolmentLocked returns the sale whose enrolment this is, while
// that enrolment is still waiting; nil once it was replaced or ended.
func (c *Checkout) pendingEnrolmentLocked(ctx context.Context, saleID int64, binding string) *Sale {
	s, err := c.saleLocked(ctx, saleID)
	if err != nil || s.Enrolment == nil || s.Enrolment.Status != EnrolmentPending || s.Enrolment.BindingMessage != binding {
		return nil
	}
	return s
}

// endEnrolment records the customer's answer: a new member, or why not.
func (c *Checkout) endEnrolment(ctx context.Context, saleID int64, binding string, claims *MemberClaims, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.pendingEnrolmentLocked(ctx, saleID, binding)
	if s == nil {
		return
	}
	next := s.Clone()
	ch := SaleChange{Sale: next}
	switch {
	case err == nil:
		msisdn := claims.Phone
		if msisdn == "" {
			msisdn = next.Enrolment.MSISDN
		}
		m := &Member{MSISDN: msisdn, Sub: claims.Sub, Name: claims.Name, GivenName: claims.GivenName, Email: claims.Email,
			BirthDate: claims.BirthDate, ConsentAt: c.now(), Scopes: claims.Scopes, EnrolledAt: c.opt.POSID,
			Lang: LangOfMSISDN(msisdn), Consents: claims.Consents}
		if len(m.Scopes) == 0 {
			m.Scopes = c.opt.LoginScopes
		}
		m.ConsentBinding = next.Enrolment.BindingMessage
		ch.NewMember = m
		next.Enrolment.Status = EnrolmentDone
		next.Customer.Member = m
	case errors.Is(err, ErrLoginDeclined):
		next.Enrolment.Status = EnrolmentDeclined
	case errors.Is(err, ErrLoginExpired), errors.Is(err, context.DeadlineExceeded):
		next.Enrolment.Status = EnrolmentExpired
	default:
		next.Enrolment.Status = EnrolmentFailed
		c.log.Warn("enrolment failed", "sale", saleID, "kind", KindOf(err), "err", err)
		c.showNoticeLocked(NoticeWarning, "enrol.could_not_finish", "The club enrolment could not be finished: tap Enrol in club to try again, or go on with the sale.", nil)
	}
	ch.Journal = []JournalEntry{c.entryTo(next, "enrolment/pending", "enrolment/"+string(next.Enrolment.Status), "the customer answered the consent request")}
	if c.commitLocked(ctx, ch) != nil {
		return
	}
	if next.Enrolment.Status == EnrolmentDone && c.sale != nil && c.sale.ID == saleID {
		c.checkInLocked(saleID, c.custGen, next.Customer.MSISDN, true)
	}
}
