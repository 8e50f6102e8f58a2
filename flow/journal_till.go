package flow

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// SaleClosed journals a sale the checkout closed: a paid sale (with its
// lines, VAT and payment) or a voided one. It fits Options.OnSaleClosed.
func (j *ElectronicJournal) SaleClosed(ctx context.Context, s *Sale) {
	if err := j.saleClosed(ctx, s); err != nil {
		j.logger().Error("electronic journal: sale not journaled", "sale", s.ID, "receipt", s.ReceiptNumber, "err", err)
	}
}

// SaleClosedErr is SaleClosed returning the error instead of logging it.
func (j *ElectronicJournal) SaleClosedErr(ctx context.Context, s *Sale) error {
	return j.saleClosed(ctx, s)
}

func (j *ElectronicJournal) saleClosed(ctx context.Context, s *Sale) error {
	switch s.Stage {
	case StagePaid:
		if _, err := j.RecordSale(ctx, SaleRecordOf(s)); err != nil {
			return err
		}
		// The customer's receipt is the one attached in the Vipps app; the
		// till prints none unless asked (ReceiptPrinted).
		text := "sale concluded, receipt in the Vipps app, none printed"
		if len(s.Tenders) > 0 && s.Tenders[len(s.Tenders)-1].Kind != TenderVipps {
			text = "sale concluded without Vipps, no receipt printed"
		}
		return j.RecordEvent(ctx, JournalNoReceiptPrinted, s.ID, s.ReceiptNumber, s.Total(), text)
	case StageCancelled:
		return j.RecordEvent(ctx, JournalVoid, s.ID, s.ReceiptNumber, s.Total(), fmt.Sprintf("%d line(s) voided", len(s.Lines)))
	}
	return nil
}

// UnjournaledSales finds closed sales missing from the journal (the store
// has it).
type UnjournaledSales interface {
	SaleLoader
	SalesNotJournaled(ctx context.Context, tillID string) ([]int64, error)
}

// CatchUp journals the till's sales that were closed but not journaled
// (the process stopped in between). Call it on start, before the till
// takes new sales; it returns how many it journaled.
func (j *ElectronicJournal) CatchUp(ctx context.Context, src UnjournaledSales) (int, error) {
	ids, err := src.SalesNotJournaled(ctx, j.TillID)
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		s, err := src.Sale(ctx, id)
		if err != nil {
			return i, err
		}
		if err := j.saleClosed(ctx, s); err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

func (j *ElectronicJournal) logger() *slog.Logger {
	if j.Log != nil {
		return j.Log
	}
	return slog.New(slog.DiscardHandler)
}

// SaleLoader reads a stored sale (the Store has it).
type SaleLoader interface {
	Sale(ctx context.Context, id int64) (*Sale, error)
}

// ReceiptPrinted journals a paper receipt the checkout printed
// (Options.OnReceiptPrinted): the copy (13014) or a paper Salgskvittering
// (13012) when the Vipps app had none.
func (j *ElectronicJournal) ReceiptPrinted(ctx context.Context, s *Sale, kind ReceiptKind) {
	ev, text := JournalCopyReceipt, "copy receipt printed"
	if kind == ReceiptSale {
		ev, text = JournalReceiptPrinted, "sales receipt printed on paper"
	}
	if err := j.RecordEvent(ctx, ev, s.ID, s.ReceiptNumber, s.Total(), text); err != nil {
		j.logger().Error("electronic journal: receipt print not journaled", "sale", s.ID, "receipt", s.ReceiptNumber, "kind", kind, "err", err)
	}
}

// SaleParked journals a sale parked (13010) or resumed (13011) with its
// amount; it fits Options.OnSaleParked.
func (j *ElectronicJournal) SaleParked(ctx context.Context, s *Sale, resumed bool) {
	ev, text := JournalSaleParked, fmt.Sprintf("sale parked with %d line(s)", len(s.Lines))
	if resumed {
		ev, text = JournalSaleResumed, "parked sale resumed"
	}
	// Written even while the till stops (the checkout's context ends at
	// Close, and the park is already stored): the journal must not lose it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := j.RecordEvent(ctx, ev, s.ID, s.ReceiptNumber, s.Total(), text); err != nil {
		j.logger().Error("electronic journal: park not journaled", "sale", s.ID, "receipt", s.ReceiptNumber, "err", err)
	}
}

// JournaledTill is the Till the UI drives: it passes every intent to the
// checkout and journals the ones the regulation asks for that the checkout
// does not report itself (lines deleted, payment requests withdrawn,
// returns; receipts printed come through ReceiptPrinted). With a Session it also keeps refunds and parked
// settlement jobs to managers.
type JournaledTill struct {
	Till
	Journal *ElectronicJournal
	Sales   SaleLoader
	Session *CashierSession // nil: no role checks
	// OnReturn prints the return receipt (Returkvittering) of a refund once
	// it is journaled; nil: none is printed.
	OnReturn func(ctx context.Context, r SaleRecord, at time.Time) error
}

var _ Till = (*JournaledTill)(nil)

// SetQuantity journals what a lowered quantity or a removed line took off
// the sale being scanned.
func (t *JournaledTill) SetQuantity(ctx context.Context, line, qty int) error {
	before := t.View()
	if err := t.Till.SetQuantity(ctx, line, qty); err != nil {
		return err
	}
	if line < 0 || line >= len(before.Lines) {
		return nil
	}
	l := before.Lines[line]
	if removed := l.Quantity - qty; removed > 0 {
		amount := l.Total * Money(removed) / Money(max(l.Quantity, 1))
		return t.Journal.RecordEvent(ctx, JournalLineDeleted, before.SaleID, before.ReceiptNumber, amount,
			fmt.Sprintf("GTIN %s %s: %d of %d removed", l.GTIN, l.Name, removed, l.Quantity))
	}
	return nil
}

// CancelPayment journals a payment request the cashier withdrew.
func (t *JournaledTill) CancelPayment(ctx context.Context) error {
	before := t.View()
	if err := t.Till.CancelPayment(ctx); err != nil {
		return err
	}
	var amount Money
	if before.Payment != nil {
		amount = before.Payment.Amount
	}
	return t.Journal.RecordEvent(ctx, JournalPayCancel, before.SaleID, before.ReceiptNumber, amount, "payment request cancelled by the cashier")
}

// PayAnotherWay journals the Vipps request given up, as a cancel is.
func (t *JournaledTill) PayAnotherWay(ctx context.Context) error {
	before := t.View()
	if err := t.Till.PayAnotherWay(ctx); err != nil {
		return err
	}
	var amount Money
	if before.Payment != nil {
		amount = before.Payment.Amount
	}
	return t.Journal.RecordEvent(ctx, JournalPayCancel, before.SaleID, before.ReceiptNumber, amount, "Vipps request given up: paid another way")
}

// DrawerOpenedForSale journals the cash drawer opened for a cash tender
// (13005 with the sale); it fits Options.OnDrawerOpened.
func (j *ElectronicJournal) DrawerOpenedForSale(ctx context.Context, s *Sale) {
	if err := j.RecordEvent(ctx, JournalDrawerOpen, s.ID, s.ReceiptNumber, 0, "cash drawer opened for a cash payment"); err != nil {
		j.logger().Error("electronic journal: drawer opening not journaled", "sale", s.ID, "receipt", s.ReceiptNumber, "err", err)
	}
}

// Refund queues the refund through the checkout, then journals the return
// with the lines and amounts given back.
func (t *JournaledTill) Refund(ctx context.Context, saleID int64, lines map[int]int) error {
	_, err := t.RefundTo(ctx, saleID, RefundRequest{Lines: lines})
	return err
}

// RefundTo is Refund through the tenders (or as a credit note): the return
// record says what went back through each.
func (t *JournaledTill) RefundTo(ctx context.Context, saleID int64, req RefundRequest) (RefundResult, error) {
	var res RefundResult
	if err := t.require(PermRefund); err != nil {
		return res, err
	}
	s, err := t.Sales.Sale(ctx, saleID)
	if err != nil {
		return res, err
	}
	lines := req.Lines
	returned, done := map[int]int{}, 0
	for i, l := range s.Lines {
		done += l.RefundedQty
		if lines == nil {
			if q := l.Quantity - l.RefundedQty; q > 0 {
				returned[i] = q
			}
		} else if q := lines[i]; q > 0 {
			returned[i] = q
		}
	}
	if res, err = t.Till.RefundTo(ctx, saleID, req); err != nil {
		return res, err
	}
	count := 0
	for _, q := range returned {
		count += q
	}
	ref := ""
	if s.Payment != nil {
		ref = s.Payment.Reference
	}
	// One return receipt per refund: numbered after the sale and the items
	// returned so far, as the refund's idempotency key is.
	receipt := fmt.Sprintf("%s-R%d", s.ReceiptNumber, done+count)
	ret := ReturnRecordOf(s, returned, receipt, ref)
	if len(s.Tenders) > 0 || req.CreditNote {
		ret.Payments, ret.Rounding = res.Payments(), res.Rounding
	}
	rec, err := t.Journal.RecordSale(ctx, ret)
	if err != nil {
		return res, fmt.Errorf("the refund is queued, but the return was not journaled: %w", err)
	}
	if t.OnReturn != nil {
		if err := t.OnReturn(ctx, ret, rec.At); err != nil {
			return res, fmt.Errorf("the refund is queued and journaled, but the return receipt was not printed: %w", err)
		}
	}
	return res, nil
}

// RetryParked is a manager's decision.
func (t *JournaledTill) RetryParked(ctx context.Context, id int64) error {
	if err := t.require(PermParked); err != nil {
		return err
	}
	return t.Till.RetryParked(ctx, id)
}

func (t *JournaledTill) require(p Permission) error {
	if t.Session == nil {
		return nil
	}
	return t.Session.Require(p)
}
