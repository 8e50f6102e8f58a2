package flow

import (
	"context"
	"errors"
)

// StageParked is a sale put aside (kassasystemforskrifta: "parkert"), to be
// resumed on the same till; a restart leaves it parked.
const StageParked Stage = "parked"

// ParkedSales lists a till's parked sales (the store has it).
type ParkedSales interface {
	ParkedSales(ctx context.Context, posID string) ([]*Sale, error)
}

// ErrNotParked: the sale to resume is not a parked sale of this till.
var ErrNotParked = errors.New("that sale is not parked at this till")

// canParkLocked says whether the live sale may be put aside: open, with
// wares, and no payment request that might still be approved.
func (c *Checkout) canParkLocked() bool {
	s := c.sale
	if c.opt.Parking == nil || s == nil || s.Stage != StageOpen || len(s.Lines) == 0 {
		return false
	}
	if e := s.Enrolment; e != nil && e.Status == EnrolmentPending {
		return false
	}
	return s.Payment == nil || !s.Payment.mayStillBeApproved()
}

// ParkSale puts the open sale aside and clears the till for the next
// customer; the journal records it (13010).
func (c *Checkout) ParkSale(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.canParkLocked() {
		err := c.noticeLocked(NoticeWarning, "sale.cannot_park", "Only an open sale with wares and no payment request out can be parked.", nil)
		c.publishLocked()
		return err
	}
	s := c.sale
	from := state(s)
	next := s.Clone()
	next.Stage = StageParked
	if err := c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, from, "sale parked by the cashier")}}); err != nil {
		return err
	}
	c.sale, c.notice = nil, nil
	c.parkedSales++
	c.publishLocked()
	if c.opt.OnSaleParked != nil {
		parked := next.Clone()
		c.background(func(ctx context.Context) { c.opt.OnSaleParked(ctx, parked, false) })
	}
	return nil
}

// ParkedSales lists this till's parked sales, oldest first.
func (c *Checkout) ParkedSales(ctx context.Context) ([]SaleSummary, error) {
	if c.opt.Parking == nil {
		return nil, nil
	}
	sales, err := c.opt.Parking.ParkedSales(ctx, c.opt.POSID)
	if err != nil {
		return nil, err
	}
	out := make([]SaleSummary, len(sales))
	for i, s := range sales {
		out[i] = SaleSummary{SaleID: s.ID, ReceiptNumber: s.ReceiptNumber, At: s.UpdatedAt, Total: s.Total(), Member: s.Customer.Member != nil}
	}
	return out, nil
}

// ResumeSale takes a parked sale up again (13011); the till must have no
// open sale of its own.
func (c *Checkout) ResumeSale(ctx context.Context, saleID int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.sale; s != nil && (s.Stage == StageOpen || s.Stage == StagePaying) {
		err := c.noticeLocked(NoticeWarning, "sale.still_open", "Finish or void the current sale first.", nil)
		c.publishLocked()
		return err
	}
	s, err := c.opt.Store.Sale(ctx, saleID)
	if err != nil {
		return err
	}
	if s.Stage != StageParked || s.POSID != c.opt.POSID {
		return ErrNotParked
	}
	next := s.Clone()
	next.Stage = StageOpen
	c.sale = s
	if err := c.commitLocked(ctx, SaleChange{Sale: next, Journal: []JournalEntry{c.entry(next, state(s), "parked sale resumed")}}); err != nil {
		c.sale = nil
		return err
	}
	c.notice = nil
	c.parkedSales = max(c.parkedSales-1, 0)
	c.publishLocked()
	if c.opt.OnSaleParked != nil {
		resumed := next.Clone()
		c.background(func(ctx context.Context) { c.opt.OnSaleParked(ctx, resumed, true) })
	}
	return nil
}

// countParked reads how many sales this till has parked (at start).
func (c *Checkout) countParked(ctx context.Context) (int, error) {
	if c.opt.Parking == nil {
		return 0, nil
	}
	sales, err := c.opt.Parking.ParkedSales(ctx, c.opt.POSID)
	return len(sales), err
}
