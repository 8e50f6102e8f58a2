package flow

import (
	"context"
	"strings"
	"testing"
	"time"
)

type productsByGTIN map[string]Product

func (m productsByGTIN) ProductByGTIN(_ context.Context, gtin string) (Product, error) {
	if p, ok := m[gtin]; ok {
		return p, nil
	}
	return Product{}, ErrNoRecord
}

func TestStartsAfterAnUpdateAndPriceChangesAreJournaled(t *testing.T) {
	ctx := context.Background()
	clk := &stepClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	mj := NewMemoryJournal()
	j := NewElectronicJournal(mj, "pos1", time.UTC, clk.Now)
	for _, v := range []string{"1.0.0", "1.0.0", "1.1.0"} {
		if err := j.Started(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := PriceChanges(ctx, productsByGTIN{"1": {GTIN: "1", Price: 2490}, "2": {GTIN: "2", Price: 1000}},
		[]Product{{GTIN: "1", Name: "Melk", Price: 2590}, {GTIN: "2", Name: "Brød", Price: 1000}, {GTIN: "3", Name: "Ny", Price: 500}})
	if err != nil || len(changes) != 1 {
		t.Fatalf("changes %+v %v", changes, err)
	}
	if err := j.RecordPriceChanges(ctx, changes); err != nil {
		t.Fatal(err)
	}
	recs, _ := mj.JournalRecords(ctx, JournalQuery{})
	var got []string
	for _, r := range recs {
		got = append(got, string(r.Event)+" "+r.Text)
	}
	want := []string{"app-start kasse 1.0.0", "app-start kasse 1.0.0", "software-update updated from 1.0.0 to 1.1.0", "app-start kasse 1.1.0",
		"price-change GTIN 1 Melk: 24.90 → 25.90"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("journal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if recs[4].Amount != 2590 {
		t.Errorf("price change amount %d", recs[4].Amount)
	}
}

// The whole X report is kept in the journal, not only the time it was
// taken (Skatteetaten: "heile rapporten skal visast i elektronisk journal").
func TestTheWholeXReportIsJournaled(t *testing.T) {
	ctx := context.Background()
	clk := &stepClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	mj := NewMemoryJournal()
	j := NewElectronicJournal(mj, "pos1", time.UTC, clk.Now)
	j.SetCashier(Cashier{ID: 1, Name: "Kari"})
	if _, err := j.RecordSale(ctx, SaleRecord{SaleID: 1, ReceiptNumber: "000001", Currency: "NOK", Total: 12450,
		Lines:    []SaleRecordLine{{Name: "Kaffe", Quantity: 1, UnitPrice: 12450, Total: 12450, Net: 9960, VAT: 2490, VATRate: 25}},
		Payments: []SaleRecordPayment{{Method: PaymentVipps, Amount: 12450}}}); err != nil {
		t.Fatal(err)
	}
	x, err := j.XReport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := mj.LastJournalRecord(ctx, "pos1", JournalXReport)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := ReportOfJournal(rec)
	if err != nil || kept.Net != 12450 || kept.Sales.Count != 1 || len(kept.VAT) != 1 || kept.VAT[0].VAT != 2490 ||
		len(kept.Cashiers) != 1 || kept.Cashiers[0].Name != "Kari" || kept.Net != x.Net {
		t.Errorf("journaled X report %+v, %v", kept, err)
	}
}
