package flow

import (
	"context"
	"strings"
)

// priceLocked prices an open sale's cart again before a transition is
// stored: the member prices, group discounts and offers follow every change
// of the wares and of the customer (a member known, replaced or gone, an
// enrolment done). A sale being paid, or finished, keeps its prices: the
// customer approves exactly that amount.
func (c *Checkout) priceLocked(ctx context.Context, ch *SaleChange) {
	s := ch.Sale
	if s == nil || ch.EventsOnly {
		return
	}
	c.chequeLocked(ctx, s)
	if s.Stage != StageOpen {
		return
	}
	if len(s.Tenders) > 0 {
		// A part is paid (cash, card, a voucher): the prices it was paid
		// against stay, or what is due would move under the tenders.
		return
	}
	c.memberPointsLocked(ctx, s)
	if c.opt.Club != nil {
		rules, err := c.opt.Club.ClubRules(ctx)
		if err != nil {
			// Ordinary prices are never wrong to charge; the cashier can
			// go on while the club rules cannot be read.
			c.log.Error("reading the club rules failed; the last rules read apply", "sale", s.ID, "err", err)
		} else {
			c.rules = rules
		}
	}
	member := s.Customer.Member != nil
	priced := PriceLines(s.Lines, member, c.rules, s.chequeAmount())
	if samePricing(priced, s.Lines) {
		return
	}
	_, before := Savings(s.Lines)
	s.Lines = priced
	ch.LinesChanged = true
	if _, after := Savings(priced); after != before {
		detail := "member prices: " + SAFTAmount(after) + " off"
		if after == 0 {
			detail = "member prices removed"
		}
		ch.Journal = append(ch.Journal, c.entry(s, state(s), detail))
	}
}

// RemoveCustomer takes the identified customer off the open sale (they
// left, or the QR was someone else's): member prices and any enrolment
// waiting for them go with them.
func (c *Checkout) RemoveCustomer(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refuseWhilePayingLocked(); err != nil {
		return err
	}
	if c.sale == nil || c.sale.Stage != StageOpen || !c.sale.Customer.Identified() {
		return nil
	}
	from := state(c.sale)
	next := c.sale.Clone()
	ch := SaleChange{Sale: next}
	if e := next.Enrolment; e != nil && e.Status == EnrolmentPending {
		e.Status = EnrolmentFailed
		ch.Journal = append(ch.Journal, c.entryTo(next, "enrolment/pending", "enrolment/abandoned", "the customer was taken off the sale"))
	}
	next.Customer, next.Enrolment, next.Cheque = Customer{}, nil, nil
	ch.Journal = append(ch.Journal, c.entry(next, from, "customer taken off the sale"))
	c.stopEnrolmentLocked(next.ID)
	if err := c.commitLocked(ctx, ch); err != nil {
		return err
	}
	c.custGen++ // an exchange still running belongs to the customer who left
	return nil
}

// offerNamesLocked names the offers of the View's lines.
func (c *Checkout) offerNamesLocked(v *View) {
	for i := range v.Lines {
		for _, r := range v.Lines[i].Rules {
			if id, ok := strings.CutPrefix(r, RuleOfferPrefix); ok {
				v.Lines[i].Offers = append(v.Lines[i].Offers, c.rules.OfferName(id))
			}
		}
	}
}
