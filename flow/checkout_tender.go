package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Tender takes a part (or the rest) of the open sale's payment by cash, the
// card terminal or a voucher. When the tenders cover the total the sale is
// paid. Vipps goes by RequestPayment / PayByQR: it always asks for what is
// still due, so it is the last tender of a split.
func (c *Checkout) Tender(ctx context.Context, req TenderRequest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sale
	if r := mayTender(s); !r.ok() {
		err := c.noticeLocked(NoticeWarning, r.key, r.text, nil)
		c.publishLocked()
		return err
	}
	t, redeem, r := c.tenderFor(ctx, s, req)
	if !r.ok() {
		err := c.noticeLocked(NoticeWarning, r.key, r.text, nil)
		c.publishLocked()
		return err
	}
	from := state(s)
	next := s.Clone()
	next.Tenders = append(next.Tenders, t)
	paid := next.Due() <= 0
	if paid {
		next.Stage, next.ClosedAt = StagePaid, c.now()
	}
	detail := fmt.Sprintf("tender %s %d øre", t.Kind, t.Amount)
	if t.Kind == TenderCash {
		detail += fmt.Sprintf(" (given %d, change %d, rounding %d)", t.Given, t.Change, t.Rounding)
	}
	if t.Reference != "" && t.Kind == TenderCard {
		detail += " ref " + t.Reference
	}
	if paid {
		detail += ": sale paid"
	}
	c.notice = nil
	ch := SaleChange{Sale: next, Tenders: []Tender{t}, Redeem: redeem, Journal: []JournalEntry{c.entry(next, from, detail)}}
	if paid {
		c.earnPointsLocked(ctx, next, &ch)
		prevPaid, prevSettlement := c.lastPaid, c.settlement
		c.lastPaid, c.settlement = next.ID, ""
		if err := c.commitLocked(ctx, ch); err != nil {
			c.lastPaid, c.settlement = prevPaid, prevSettlement
			return err
		}
	} else if err := c.commitLocked(ctx, ch); err != nil {
		return err
	}
	if t.Kind == TenderCash {
		c.openDrawerLocked(next)
	}
	if paid && c.opt.OnSaleClosed != nil {
		done := next.Clone()
		c.background(func(ctx context.Context) { c.opt.OnSaleClosed(ctx, done) })
	}
	if paid && c.opt.Print != nil {
		// No Vipps receipt reaches the customer's app: the Salgskvittering
		// comes out on paper (kassasystemforskrifta § 2-6 (4)).
		id := next.ID
		c.background(func(ctx context.Context) { _ = c.Reprint(context.WithoutCancel(ctx), id) })
	}
	return nil
}

// tenderFor works out the tender a request makes of what is due.
func (c *Checkout) tenderFor(ctx context.Context, s *Sale, req TenderRequest) (Tender, []VoucherRedemption, refusal) {
	due := s.Due()
	t := Tender{Kind: req.Kind, Seq: len(s.Tenders), At: c.now()}
	switch req.Kind {
	case TenderCash:
		rounded := RoundCash(s.Currency, due)
		given := req.Amount
		if given <= 0 {
			given = rounded // "exact"
		}
		if given >= rounded {
			t.Amount, t.Given, t.Change, t.Rounding = rounded, given, given-rounded, rounded-due
		} else {
			t.Amount, t.Given = given, given
		}
		return t, nil, refusal{}
	case TenderCard:
		amt := req.Amount
		if amt <= 0 {
			amt = due
		}
		if amt > due {
			return t, nil, refusal{"tender.card_too_much", "The card amount is more than what is due: charge only what is due on the terminal."}
		}
		t.Amount, t.Reference = amt, strings.TrimSpace(req.Reference)
		return t, nil, refusal{}
	case TenderVoucher, TenderCreditNote:
		code := strings.TrimSpace(req.Reference)
		if c.opt.Vouchers == nil || code == "" {
			return t, nil, refusal{"tender.voucher_unknown", "This voucher is not known: check the code, or take another payment."}
		}
		v, err := c.opt.Vouchers.Voucher(ctx, code)
		switch {
		case errors.Is(err, ErrNoRecord):
			return t, nil, refusal{"tender.voucher_unknown", "This voucher is not known: check the code, or take another payment."}
		case err != nil:
			c.log.Error("reading a voucher failed", "sale", s.ID, "err", err)
			return t, nil, refusal{"store.failed", storeFailed}
		case v.Currency != s.Currency:
			return t, nil, refusal{"tender.voucher_currency", "This voucher is in another currency: take another payment."}
		case v.Balance <= 0:
			return t, nil, refusal{"tender.voucher_spent", "This voucher has been used up: take another payment."}
		}
		amt := min(due, v.Balance)
		if req.Amount > 0 {
			amt = min(amt, req.Amount)
		}
		t.Kind, t.Amount, t.Reference = v.Kind, amt, code
		return t, []VoucherRedemption{{Code: code, Amount: amt}}, refusal{}
	}
	return t, nil, refusal{"tender.unknown", "This way of paying is not available here."}
}

// mayTender: an open sale with wares and something left to pay.
func mayTender(s *Sale) refusal {
	switch {
	case s == nil || s.Stage == StagePaid || s.Stage == StageCancelled || len(s.Lines) == 0:
		return refusal{"payment.empty_sale", "Scan the wares first."}
	case s.Stage == StagePaying:
		return refusal{"tender.vipps_out", "A Vipps payment request is out: wait for it, or tap Pay another way."}
	case s.Due() <= 0:
		return refusal{"tender.nothing_due", "Nothing is left to pay."}
	}
	return refusal{}
}

// mayPayAnotherWay: a Vipps request is out and not answered.
func mayPayAnotherWay(s *Sale) refusal {
	if s == nil || s.Stage != StagePaying || s.Payment == nil || s.Payment.Status.Final() {
		return refusal{"tender.nothing_to_move", "There is no Vipps payment to move to another tender."}
	}
	return refusal{}
}

// PayAnotherWay gives up the Vipps request that is out (Vipps unreachable,
// or the customer cannot approve) so the cashier can take what is due by
// another tender at once. The request is released in the background: if
// the customer approves it after all, the approval is cancelled at Vipps,
// never captured on top of the other tender.
func (c *Checkout) PayAnotherWay(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sale
	if r := mayPayAnotherWay(s); !r.ok() {
		err := c.noticeLocked(NoticeWarning, r.key, r.text, nil)
		c.publishLocked()
		return err
	}
	from := state(s)
	next := s.Clone()
	p := next.Payment
	// The till's own verdict (VippsState keeps what Vipps said): a final
	// status, so nothing Vipps says later makes this request the sale's
	// payment — an approval is released (applyLocked).
	p.Status, p.CancelRequested, p.FallbackToQR = PaymentCancelled, true, false
	next.Stage = StageOpen
	c.stopPollLocked(p.Reference)
	delete(c.held, p.Reference)
	ch := SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from, "cashier takes the payment another way; Vipps request "+p.Reference+" is released")},
		Jobs: []OutboxJob{ReleaseJob(next.ID, p.Reference, p.Amount, c.now())}}
	c.showNoticeLocked(NoticeInfo, "tender.moved", "Take what is due by another tender. If the customer approves in Vipps after all, the money is given back.", nil)
	if err := c.commitLocked(ctx, ch); err != nil {
		return err
	}
	if c.opt.OnRelease != nil {
		c.opt.OnRelease()
	}
	return nil
}

// openDrawerLocked opens the cash drawer for a cash tender and journals the
// opening (kassasystemforskriften: every opening is recorded).
func (c *Checkout) openDrawerLocked(s *Sale) {
	open, journal := c.opt.OpenDrawer, c.opt.OnDrawerOpened
	if open == nil && journal == nil {
		return
	}
	sale := s.Clone()
	c.background(func(ctx context.Context) {
		if open != nil {
			if err := open(ctx); err != nil {
				c.log.Warn("the cash drawer did not open", "sale", sale.ID, "err", err)
			}
		}
		if journal != nil {
			journal(ctx, sale)
		}
	})
}

// drawerOpenLocked refuses a new sale while the drawer says it is open.
func (c *Checkout) drawerOpenLocked() error {
	if c.opt.DrawerIsOpen == nil || !c.opt.DrawerIsOpen() {
		return nil
	}
	err := c.noticeLocked(NoticeWarning, "tender.drawer_open", "The cash drawer is open: close it, then scan again.", nil)
	c.publishLocked()
	return err
}

// tenderViews shows the live sale's tenders.
func tenderViews(s *Sale) []TenderView {
	if len(s.Tenders) == 0 {
		return nil
	}
	out := make([]TenderView, len(s.Tenders))
	for i, t := range s.Tenders {
		out[i] = TenderView{Kind: t.Kind, Amount: t.Amount, Given: t.Given, Change: t.Change, Rounding: t.Rounding, Reference: t.Reference}
	}
	return out
}

// voidTendersLocked gives back what the tenders of a voided sale took: cash
// from the drawer and a card payment on the terminal by the cashier (the
// journal says so), a voucher's amount to its balance in the same
// transaction.
func voidTendersLocked(ch *SaleChange) {
	for _, t := range ch.Sale.Tenders {
		switch t.Kind {
		case TenderVoucher, TenderCreditNote:
			ch.Redeem = append(ch.Redeem, VoucherRedemption{Code: t.Reference, Amount: -t.Amount})
		}
		ch.Journal = append(ch.Journal, JournalEntry{SaleID: ch.Sale.ID, From: "cancelled", To: "cancelled",
			At: ch.Sale.ClosedAt, Detail: fmt.Sprintf("tender %s %d øre given back", t.Kind, t.Amount)})
	}
}
