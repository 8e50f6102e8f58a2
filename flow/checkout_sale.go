package flow

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// VoidSale abandons the open sale. It is refused while a payment request
// is out: cancel the payment first.
func (c *Checkout) VoidSale(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sale
	if r := mayVoid(s); !r.ok() {
		err := c.noticeLocked(NoticeWarning, r.key, r.text, nil)
		c.publishLocked()
		return err
	}
	from := state(s)
	next := s.Clone()
	next.Stage, next.ClosedAt = StageCancelled, c.now()
	if e := next.Enrolment; e != nil && e.Status == EnrolmentPending {
		e.Status = EnrolmentFailed
	}
	c.stopEnrolmentLocked(next.ID)
	c.notice = nil
	ch := SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from, "sale voided by the cashier")}}
	if p := next.Payment; p != nil && p.mayStillBeApproved() {
		// A request the till gave up on may still be approved: release it.
		ch.Jobs = []OutboxJob{ReleaseJob(next.ID, p.Reference, p.Amount, c.now())}
	}
	if err := c.commitLocked(ctx, ch); err != nil {
		return err
	}
	if c.opt.OnSaleClosed != nil {
		voided := next.Clone()
		c.background(func(ctx context.Context) { c.opt.OnSaleClosed(ctx, voided) })
	}
	return nil
}

// NewSale clears the till for the next customer after a paid or voided sale.
func (c *Checkout) NewSale(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := mayStartNewSale(c.sale); !r.ok() {
		err := c.noticeLocked(NoticeWarning, r.key, r.text, nil)
		c.publishLocked()
		return err
	}
	c.sale, c.notice = nil, nil
	c.publishLocked()
	return nil
}

// RecentSales lists the last n finished sales, newest first.
func (c *Checkout) RecentSales(ctx context.Context, n int) ([]SaleSummary, error) {
	return c.opt.Store.RecentSales(ctx, c.opt.POSID, n)
}

// ParkedJobs lists settlement jobs that need a manager.
func (c *Checkout) ParkedJobs(ctx context.Context) ([]ParkedJob, error) {
	return c.opt.Store.ParkedJobs(ctx)
}

// RetryParked puts a parked job back in the queue.
func (c *Checkout) RetryParked(ctx context.Context, id int64) error {
	if err := c.opt.Store.RetryJob(ctx, id, c.now()); err != nil {
		return err
	}
	c.RefreshSettlement(ctx)
	return nil
}

// Refund returns qty of each given line (index → quantity) of a paid sale
// through the settlement worker; nil lines returns everything not yet
// returned. The refund job is queued with the returned quantities in one
// transaction.
func (c *Checkout) Refund(ctx context.Context, saleID int64, lines map[int]int) error {
	s, err := c.opt.Store.Sale(ctx, saleID)
	if err != nil {
		return err
	}
	if s.Stage != StagePaid || s.Payment == nil || s.Payment.Status != PaymentAuthorized {
		return fmt.Errorf("sale %s was not paid: nothing to refund", s.ReceiptNumber)
	}
	returned := map[int]int{}
	if lines == nil {
		for i, l := range s.Lines {
			if q := l.Quantity - l.RefundedQty; q > 0 {
				returned[i] = q
			}
		}
	} else {
		for i, q := range lines {
			if i < 0 || i >= len(s.Lines) || q < 0 || q > s.Lines[i].Quantity-s.Lines[i].RefundedQty {
				return fmt.Errorf("line %d: cannot return %d", i+1, q)
			}
			if q > 0 {
				returned[i] = q
			}
		}
	}
	amount, count := ReturnAmount(s, returned)
	if amount <= 0 {
		return errors.New("nothing left to refund on this sale")
	}
	// The key counts every item returned so far, so each refund of a
	// sale has its own key and a retry of the same one does not.
	done := 0
	for _, l := range s.Lines {
		done += l.RefundedQty
	}
	ref := s.Payment.Reference
	now := c.now()
	job := OutboxJob{SaleID: saleID, Reference: ref, Kind: JobRefund, Amount: amount,
		IdempotencyKey: IdempotencyKey(ref, fmt.Sprintf("refund-%d", done+count)), State: JobQueued,
		NextAt: now, CreatedAt: now, UpdatedAt: now}
	j := JournalEntry{SaleID: saleID, Reference: ref, From: "paid", To: "paid/refund-queued", At: now,
		Detail: fmt.Sprintf("refund of %d item(s), %d øre", count, amount)}
	if err := c.opt.Store.AddRefund(ctx, saleID, returned, job, j); err != nil {
		return err
	}
	c.RefreshSettlement(ctx)
	return nil
}

// ReturnAmount is what returning qty (by line index) of s gives back: each
// line's total in proportion to the quantity, so a discount is returned
// with its items.
func ReturnAmount(s *Sale, returned map[int]int) (amount Money, items int) {
	for i, q := range returned {
		if i < 0 || i >= len(s.Lines) || q <= 0 {
			continue
		}
		l := s.Lines[i]
		part := l
		part.Quantity = q
		if l.Quantity > 0 {
			part.Discount = l.Discount * Money(q) / Money(l.Quantity)
		}
		amount += part.Total()
		items += q
	}
	return amount, items
}

// Reprint prints a copy of a finished sale's receipt.
func (c *Checkout) Reprint(ctx context.Context, saleID int64) error {
	if c.opt.Print == nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		err := c.noticeLocked(NoticeWarning, "print.no_printer", "No receipt printer is set up.", nil)
		c.publishLocked()
		return err
	}
	s, err := c.opt.Store.Sale(ctx, saleID)
	if err != nil {
		return err
	}
	return c.opt.Print(ctx, s)
}

// RefreshSettlement re-reads the settlement status of the last paid sale
// and the number of parked jobs; the worker's progress shows up this way.
func (c *Checkout) RefreshSettlement(ctx context.Context) {
	c.mu.Lock()
	id := c.lastPaid
	c.mu.Unlock()
	var st SettlementStatus
	if id != 0 {
		var err error
		if st, err = c.opt.Store.SettlementStatus(ctx, id); err != nil {
			return
		}
	}
	n, err := c.opt.Store.CountParked(ctx)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastPaid == id && (st != c.settlement || n != c.parked) {
		c.settlement, c.parked = st, n
		c.publishLocked()
	}
}

// settlementRefreshEvery is how often the till looks at the worker's progress.
const settlementRefreshEvery = 3 * time.Second

func (c *Checkout) scheduleSettlementRefreshLocked() {
	if c.closed {
		return
	}
	c.settleTick = c.opt.Clock.AfterFunc(settlementRefreshEvery, func() {
		c.RefreshSettlement(c.ctx)
		c.mu.Lock()
		c.scheduleSettlementRefreshLocked()
		c.mu.Unlock()
	})
}
