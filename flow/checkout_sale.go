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
	voidTendersLocked(&ch)
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
		c.log.Error("reading a sale to refund failed", "sale", saleID, "err", err)
		return c.refuse(NoticeError, "store.failed", storeFailed, nil)
	}
	if s.Stage != StagePaid || s.Payment == nil || s.Payment.Status != PaymentAuthorized {
		return c.refuse(NoticeWarning, "refund.not_paid", "Only a paid sale can be refunded: choose another receipt.", nil)
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
				return c.refuse(NoticeWarning, "refund.bad_line", fmt.Sprintf("Line %d: cannot return %d. Check the quantities.", i+1, q), nil)
			}
			if q > 0 {
				returned[i] = q
			}
		}
	}
	amount, count := ReturnAmount(s, returned)
	if amount <= 0 {
		return c.refuse(NoticeWarning, "refund.nothing_left", "Everything on this receipt has been refunded already.", nil)
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
		c.log.Error("queueing a refund failed", "sale", saleID, "reference", ref, "err", err)
		return c.refuse(NoticeError, "store.failed", storeFailed, nil)
	}
	c.reversePoints(ctx, s, returned, job.IdempotencyKey)
	c.tell(NoticeInfo, "refund.queued", "The refund of receipt "+s.ReceiptNumber+" is on its way to the customer.", map[string]string{"receipt": s.ReceiptNumber})
	c.RefreshSettlement(ctx)
	return nil
}

// refuse records a notice for an intent that was turned down and returns
// it as the intent's error.
func (c *Checkout) refuse(kind NoticeKind, key, text string, args map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.noticeLocked(kind, key, text, args)
	c.publishLocked()
	return err
}

// tell records a notice for something that went well.
func (c *Checkout) tell(kind NoticeKind, key, text string, args map[string]string) {
	_ = c.refuse(kind, key, text, args)
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

// Reprint prints a finished sale's receipt on paper: the Salgskvittering
// when the customer has no receipt yet, else the one copy (ClaimPaperReceipt).
// A second copy is refused with a notice.
func (c *Checkout) Reprint(ctx context.Context, saleID int64) error {
	if c.opt.Print == nil {
		return c.refuse(NoticeWarning, "print.no_printer", "No receipt printer is set up: the customer's receipt is in the Vipps app.", nil)
	}
	s, err := c.opt.Store.Sale(ctx, saleID)
	if err != nil {
		c.log.Error("reading a sale to reprint failed", "sale", saleID, "err", err)
		return c.refuse(NoticeError, "store.failed", storeFailed, nil)
	}
	kind := ReceiptCopy
	if c.opt.Receipts != nil {
		kind, err = ClaimPaperReceipt(ctx, c.opt.Receipts, s.ID, c.opt.POSID, c.now())
		if errors.Is(err, ErrCopyTaken) {
			return c.refuse(NoticeWarning, "print.copy_taken",
				"The copy of receipt "+s.ReceiptNumber+" has already been printed; the law allows only one. Show the customer the receipt in the Vipps app.",
				map[string]string{"Receipt": s.ReceiptNumber})
		}
		if err != nil {
			c.log.Error("recording a receipt print failed", "sale", saleID, "err", err)
			return c.refuse(NoticeError, "store.failed", storeFailed, nil)
		}
	}
	if err := c.opt.Print(ctx, s, kind); err != nil {
		if c.opt.Receipts != nil {
			// Nothing came out: the customer may still have this receipt.
			if rerr := c.opt.Receipts.ReleaseReceiptPrint(ctx, s.ID, kind); rerr != nil {
				c.log.Error("receipt print not released", "sale", s.ID, "kind", kind, "err", rerr)
			}
		}
		c.log.Warn("printing a receipt failed", "sale", saleID, "kind", kind, "err", err)
		return c.refuse(NoticeError, "print.failed", "The printer did not print: check its paper and cable, then try again.", nil)
	}
	if c.opt.OnReceiptPrinted != nil {
		c.opt.OnReceiptPrinted(ctx, s, kind)
	}
	if kind == ReceiptSale {
		c.tell(NoticeInfo, "print.sale_printed", "The sales receipt "+s.ReceiptNumber+" was printed.", map[string]string{"receipt": s.ReceiptNumber})
	} else {
		c.tell(NoticeInfo, "print.copy_printed", "A copy of receipt "+s.ReceiptNumber+" was printed.", map[string]string{"receipt": s.ReceiptNumber})
	}
	return nil
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
