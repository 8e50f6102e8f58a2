package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// journalReports is a real electronic journal with one sale in it.
func journalReports(t *testing.T) *flow.ElectronicJournal {
	t.Helper()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	j := flow.NewElectronicJournal(flow.NewMemoryJournal(), "pos1", time.UTC, func() time.Time { at = at.Add(time.Minute); return at })
	j.SetCashier(flow.Cashier{ID: 1, Name: "Kari"})
	sale := flow.SaleRecord{SaleID: 1, ReceiptNumber: "000001", Currency: "NOK", Total: 12450,
		Lines:    []flow.SaleRecordLine{{Name: "Kaffe", Quantity: 1, UnitPrice: 12450, Total: 12450, Net: 9960, VAT: 2490, VATRate: 25}},
		Payments: []flow.SaleRecordPayment{{Method: flow.PaymentVipps, Amount: 12450}}}
	if _, err := j.RecordSale(context.Background(), sale); err != nil {
		t.Fatal(err)
	}
	return j
}

// labels collects the text of every label under o.
func labels(o fyne.CanvasObject) string {
	switch v := o.(type) {
	case *widget.Label:
		return v.Text + "\n"
	case *fyne.Container:
		var b strings.Builder
		for _, c := range v.Objects {
			b.WriteString(labels(c))
		}
		return b.String()
	}
	return ""
}

func TestReportScreenShowsTheDayAndClosesItOnce(t *testing.T) {
	test.NewTempApp(t)
	j := journalReports(t)
	var printed []flow.Report
	s := NewReportScreen(j, "en", func(_ context.Context, r flow.Report) error { printed = append(printed, r); return nil }, runNow)
	test.NewTempWindow(t, s)
	if shown := labels(s.body); !strings.Contains(shown, "124.50") || !strings.Contains(shown, "Kari") || !strings.Contains(shown, "25 %") {
		t.Fatalf("the screen does not show the day's sale:\n%s", shown)
	}
	test.Tap(s.x)
	if len(printed) != 1 || printed[0].Kind != flow.ReportX || printed[0].Net != 12450 {
		t.Fatalf("X report handed to the printer: %+v", printed)
	}
	// The first tap on Z only arms it.
	test.Tap(s.z)
	if len(printed) != 1 || !strings.Contains(s.z.Text, "again") {
		t.Fatalf("one tap closed the day: %d reports, button %q", len(printed), s.z.Text)
	}
	test.Tap(s.z)
	if len(printed) != 2 || printed[1].Kind != flow.ReportZ || printed[1].Number != 1 {
		t.Fatalf("Z report: %+v", printed)
	}
	test.Tap(s.z)
	test.Tap(s.z)
	if len(printed) != 2 || !strings.Contains(s.message.Text, "already") {
		t.Fatalf("second Z the same day: %d reports, message %q", len(printed), s.message.Text)
	}
}

func TestOnlyAManagerClosesTheDay(t *testing.T) {
	test.NewTempApp(t)
	var printed []flow.Report
	s := NewReportScreen(journalReports(t), "en", func(_ context.Context, r flow.Report) error { printed = append(printed, r); return nil }, runNow)
	s.CanClose = func() bool { return false }
	test.Tap(s.z)
	test.Tap(s.z)
	if len(printed) != 0 || !strings.Contains(s.message.Text, "manager") {
		t.Fatalf("a cashier closed the day: %d reports, message %q", len(printed), s.message.Text)
	}
	if s.x.MinSize().Height < MinTouch || s.z.MinSize().Height < MinTouch {
		t.Errorf("report buttons smaller than %d dp", MinTouch)
	}
}

// TestReportsWithoutAPrinterSayNotPrinted: a till with no printer shows the
// report it took and says it was not printed.
func TestReportsWithoutAPrinterSayNotPrinted(t *testing.T) {
	test.NewTempApp(t)
	for _, print := range []func(context.Context, flow.Report) error{
		nil,
		func(context.Context, flow.Report) error { return ErrNoPrinter },
	} {
		s := NewReportScreen(journalReports(t), "en", print, runNow)
		test.Tap(s.x)
		if m := s.message.Text; strings.Contains(m, "Printed") || !strings.HasPrefix(m, "X ") || !strings.Contains(m, "no printer") {
			t.Errorf("X report without a printer: %q", m)
		}
	}
	s := NewReportScreen(journalReports(t), "en", func(context.Context, flow.Report) error { return errors.New("paper out") }, runNow)
	test.Tap(s.x)
	if m := s.message.Text; strings.Contains(m, "Printed") || strings.Contains(m, "paper out") || !strings.Contains(m, "did not print") {
		t.Errorf("X report, printer failing: %q", m)
	}
}

// openWork is a till with one open sale (the mock states only that).
type openWork struct{}

func (openWork) OpenSales(context.Context, string) ([]*flow.Sale, error) {
	return []*flow.Sale{{ReceiptNumber: "000007"}}, nil
}
func (openWork) ParkedSales(context.Context, string) ([]*flow.Sale, error) { return nil, nil }
func (openWork) ParkedRefunds(context.Context, string) (int, error)        { return 0, nil }

func TestTheZWaitsForAnOpenSaleAndSaysWhatToDo(t *testing.T) {
	test.NewTempApp(t)
	j := journalReports(t)
	j.Work = openWork{}
	var printed []flow.Report
	s := NewReportScreen(j, "nb", func(_ context.Context, r flow.Report) error { printed = append(printed, r); return nil }, runNow)
	test.Tap(s.z)
	test.Tap(s.z)
	if len(printed) != 0 || !strings.Contains(s.message.Text, "000007") || !strings.Contains(s.message.Text, "Fullfør eller annuller") {
		t.Fatalf("Z with an open sale: %d reports, message %q", len(printed), s.message.Text)
	}
}
