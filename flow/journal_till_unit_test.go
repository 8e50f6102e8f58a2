package flow

import (
	"context"
	"errors"
	"testing"
	"time"
)

// scriptedTill is a checkout that always agrees; it shows one open sale.
type scriptedTill struct {
	Till
	view  View
	sales map[int64]*Sale
}

func (s *scriptedTill) View() View                                         { return s.view }
func (s *scriptedTill) SetQuantity(_ context.Context, line, qty int) error { return nil }
func (s *scriptedTill) CancelPayment(context.Context) error                { return nil }
func (s *scriptedTill) Reprint(context.Context, int64) error               { return nil }
func (s *scriptedTill) Refund(context.Context, int64, map[int]int) error   { return nil }
func (s *scriptedTill) RefundTo(context.Context, int64, RefundRequest) (RefundResult, error) {
	return RefundResult{}, nil
}
func (s *scriptedTill) RetryParked(context.Context, int64) error { return nil }
func (s *scriptedTill) Sale(_ context.Context, id int64) (*Sale, error) {
	if sale, ok := s.sales[id]; ok {
		return sale, nil
	}
	return nil, ErrNoRecord
}

func TestJournaledTillRecordsWhatTheCheckoutDoesNot(t *testing.T) {
	ctx := context.Background()
	clk := &stepClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	mj := NewMemoryJournal()
	ej := NewElectronicJournal(mj, "pos1", time.UTC, clk.Now)
	ej.SetCashier(Cashier{ID: 2, Name: "Kari"})
	paid := paidSale(7, "000007", true,
		SaleLine{GTIN: "7310050001234", Name: "Kaffe", Quantity: 2, UnitPrice: 8900, Discount: 1000, VATRate: 25})
	st := &scriptedTill{
		view: View{SaleID: 8, ReceiptNumber: "000008", Lines: []LineView{{GTIN: "7038010000737", Name: "Melk", Quantity: 3, Total: 7470}},
			Payment: &PaymentView{Amount: 7470}},
		sales: map[int64]*Sale{7: paid},
	}
	till := &JournaledTill{Till: st, Journal: ej, Sales: st}

	if err := till.SetQuantity(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	if err := till.SetQuantity(ctx, 0, 5); err != nil { // more is not a correction
		t.Fatal(err)
	}
	if err := till.CancelPayment(ctx); err != nil {
		t.Fatal(err)
	}
	if err := till.Refund(ctx, 7, map[int]int{0: 1}); err != nil {
		t.Fatal(err)
	}
	ej.SaleClosed(ctx, &Sale{ID: 9, ReceiptNumber: "000009", Stage: StageCancelled, Lines: []SaleLine{{Quantity: 1, UnitPrice: 4500}}})

	recs, _ := mj.JournalRecords(ctx, JournalQuery{TillID: "pos1"})
	want := []struct {
		ev      JournalEvent
		receipt string
		amount  Money
	}{
		{JournalLineDeleted, "000008", 4980}, // two of three removed
		{JournalPayCancel, "000008", 7470},
		{JournalReturn, "000007-R1", -8400}, // one of two, with half the discount
		{JournalVoid, "000009", 4500},
	}
	if len(recs) != len(want) {
		t.Fatalf("journal has %d records: %+v", len(recs), recs)
	}
	for i, w := range want {
		if r := recs[i]; r.Event != w.ev || r.Receipt != w.receipt || r.Amount != w.amount || r.CashierName != "Kari" {
			t.Errorf("record %d = %s %s %d by %q, want %s %s %d", i+1, r.Event, r.Receipt, r.Amount, r.CashierName, w.ev, w.receipt, w.amount)
		}
	}
	ret, err := SaleRecordOfJournal(recs[2])
	if err != nil || !ret.Return || ret.OriginalReceipt != "000007" || ret.Lines[0].Quantity != -1 || ret.Lines[0].VAT != -1680 {
		t.Errorf("return record %+v, %v", ret, err)
	}

	// With a session, refunds and parked jobs are for managers.
	till.Session = NewCashierSession(&memCashiers{}, nil, nil)
	if err := till.Refund(ctx, 7, nil); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("refund with nobody logged in: %v", err)
	}
	if err := till.RetryParked(ctx, 1); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("retry with nobody logged in: %v", err)
	}
}
