package flow

import (
	"context"
	"errors"
	"fmt"
)

// ClubTill is what the cashier can do for a club member beside Till: take
// the customer off the sale, and redeem a bonus cheque. Checkout and
// TrainingTill implement it; the View says when each may be done.
type ClubTill interface {
	RemoveCustomer(ctx context.Context) error
	UseCheque(ctx context.Context) error
}

var (
	_ ClubTill = (*Checkout)(nil)
	_ ClubTill = (*TrainingTill)(nil)
)

// pointsStore is the store's points, when it keeps them.
func (c *Checkout) pointsStore() PointsStore {
	ps, _ := c.opt.Store.(PointsStore)
	return ps
}

// memberPointsLocked reads the member's balance and cheques once per
// member on the sale, for the screens.
func (c *Checkout) memberPointsLocked(ctx context.Context, s *Sale) {
	m := s.Customer.Member
	ps := c.pointsStore()
	if m == nil || m.ID == 0 || ps == nil {
		c.pts, c.ptsMember = MemberPoints{}, 0
		return
	}
	if c.ptsMember == m.ID {
		return
	}
	mp, err := ps.MemberPoints(ctx, m.ID, c.now())
	if err != nil {
		c.log.Warn("reading the member's points failed", "sale", s.ID, "err", err)
		return
	}
	c.pts, c.ptsMember = mp, m.ID
}

// chequeLocked releases a bonus cheque the sale can no longer use: the
// member who owns it left, or the sale was voided.
func (c *Checkout) chequeLocked(ctx context.Context, s *Sale) {
	q := s.Cheque
	if q == nil {
		return
	}
	owner := s.Customer.Member != nil && s.Customer.Member.ID == q.MemberID
	if owner && s.Stage != StageCancelled {
		return
	}
	if ps := c.pointsStore(); ps != nil {
		if err := ps.ReleaseCheque(ctx, q.ID, s.ID); err != nil {
			c.log.Warn("releasing a bonus cheque failed", "sale", s.ID, "cheque", q.ID, "err", err)
		}
	}
	c.ptsMember = 0 // read the cheques again
	if s.Stage == StageOpen {
		s.Cheque = nil
	}
}

// UseCheque redeems the member's oldest usable bonus cheque on the open
// sale, as a discount spread over its lines (PriceLines).
func (c *Checkout) UseCheque(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refuseWhilePayingLocked(); err != nil {
		return err
	}
	ps := c.pointsStore()
	if !c.mayUseChequeLocked() || ps == nil {
		err := c.noticeLocked(NoticeWarning, "club.no_cheque", "There is no bonus cheque to use on this sale.", nil)
		c.publishLocked()
		return err
	}
	q := c.pts.Cheques[0]
	if err := ps.ReserveCheque(ctx, q.ID, c.sale.ID); err != nil {
		c.ptsMember = 0
		if errors.Is(err, ErrChequeTaken) {
			err = c.noticeLocked(NoticeWarning, "club.cheque_taken", "This bonus cheque is being used on another sale.", nil)
		} else {
			c.log.Error("reserving a bonus cheque failed", "sale", c.sale.ID, "err", err)
			err = c.noticeLocked(NoticeError, "store.failed", storeFailed, nil)
		}
		c.publishLocked()
		return err
	}
	next := c.sale.Clone()
	q.UsedSale = next.ID
	next.Cheque = &q
	err := c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{
		c.entry(next, state(next), fmt.Sprintf("bonus cheque %d redeemed: %s off", q.ID, SAFTAmount(q.Amount)))}})
	if err != nil {
		if rerr := ps.ReleaseCheque(ctx, q.ID, next.ID); rerr != nil {
			c.log.Warn("releasing a bonus cheque failed", "sale", next.ID, "err", rerr)
		}
		return err
	}
	c.pts.Cheques = c.pts.Cheques[1:]
	c.publishLocked()
	return nil
}

func (c *Checkout) mayUseChequeLocked() bool {
	s := c.sale
	return s != nil && s.Stage == StageOpen && s.Cheque == nil && len(s.Lines) > 0 && len(s.Tenders) == 0 &&
		s.Customer.Member != nil && s.Customer.Member.ID == c.ptsMember && len(c.pts.Cheques) > 0
}

// earnPointsLocked adds the points a sale earns to its paid transition:
// stored with the approval, never before it.
func (c *Checkout) earnPointsLocked(ctx context.Context, next *Sale, ch *SaleChange) {
	m := next.Customer.Member
	if m == nil || m.ID == 0 || c.pointsStore() == nil {
		return
	}
	if c.opt.Club != nil {
		if rules, err := c.opt.Club.ClubRules(ctx); err == nil {
			c.rules = rules
		} else {
			c.log.Error("reading the club rules failed; the last rules read apply", "sale", next.ID, "err", err)
		}
	}
	rule := c.rules.Points
	perLine, total := SalePoints(next.Lines, rule)
	if total == 0 {
		return
	}
	for i := range next.Lines {
		next.Lines[i].Points = perLine[i]
	}
	ch.LinesChanged = true
	ch.Points = &PointsAward{MemberID: m.ID, SaleID: next.ID, Points: total, Key: fmt.Sprintf("earn-%d", next.ID),
		Reason: "sale " + next.ReceiptNumber, Rule: rule, At: c.now()}
}

// pointsEarnedLocked remembers a paid sale's award for the screens.
func (c *Checkout) pointsEarnedLocked(ch SaleChange) {
	if ch.Points == nil {
		return
	}
	a := *ch.Points
	c.award = &a
	c.ptsMember = 0
}

// reversePoints takes back the points of returned items. It runs after
// the refund is queued; the key is the refund's, so a repeat counts once.
func (c *Checkout) reversePoints(ctx context.Context, s *Sale, returned map[int]int, refundKey string) {
	ps := c.pointsStore()
	m := s.Customer.Member
	if ps == nil || m == nil || m.ID == 0 {
		return
	}
	p := ReturnPoints(s, returned)
	if p == 0 {
		return
	}
	a := &PointsAward{MemberID: m.ID, SaleID: s.ID, Points: -p, Key: "return-" + refundKey, Reason: "return " + s.ReceiptNumber, At: c.now()}
	if err := ps.AwardPoints(ctx, a); err != nil {
		c.log.Error("taking back the points of a return failed", "sale", s.ID, "points", p, "err", err)
	}
}

// pointsViewLocked fills the View's points: the balance of the member on
// the sale, and what the last paid sale earned.
func (c *Checkout) pointsViewLocked(v *View, s *Sale) {
	if a := c.award; a != nil && a.SaleID == s.ID {
		pv := &PointsView{Earned: a.Points, Balance: a.Balance}
		for _, q := range a.Issued {
			pv.ChequesIssued++
			pv.ChequeValue += q.Amount
		}
		v.Points = pv
		return
	}
	if m := s.Customer.Member; m != nil && m.ID != 0 && m.ID == c.ptsMember {
		pv := &PointsView{Balance: c.pts.Balance}
		for _, q := range c.pts.Cheques {
			pv.Cheques++
			pv.ChequeValue += q.Amount
		}
		v.Points = pv
	}
	v.CanUseCheque = c.mayUseChequeLocked()
	v.CanRemoveCustomer = s.Stage == StageOpen && s.Customer.Identified()
	if s.Cheque != nil {
		v.ChequeUsed = s.Cheque.Amount
	}
}
