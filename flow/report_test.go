package flow

import (
	"context"
	"errors"
	"github.com/kasse-pos/kasse/assets"
	"strings"
	"testing"
	"time"
)

func paidSale(id int64, receipt string, member bool, lines ...SaleLine) *Sale {
	s := &Sale{ID: id, POSID: "pos1", ReceiptNumber: receipt, Currency: "NOK", Stage: StagePaid, Lines: lines,
		Payment: &Payment{Reference: "pos1-" + receipt}}
	if member {
		s.Customer.Member = &Member{}
	}
	return s
}

func TestZReportSumsTheDayAndClosesIt(t *testing.T) {
	ctx := context.Background()
	clk := &stepClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	j := NewElectronicJournal(NewMemoryJournal(), "pos1", time.UTC, clk.Now)
	j.SetCashier(Cashier{ID: 2, Name: "Kari"})
	milk := SaleLine{GTIN: "7038010000737", Name: "Melk", Quantity: 2, UnitPrice: 2490, VATRate: 15}
	coffee := SaleLine{GTIN: "7310050001234", Name: "Kaffe", Quantity: 1, UnitPrice: 8900, Discount: 1000, VATRate: 25}
	paper := SaleLine{GTIN: "9771234567003", Name: "Avis", Quantity: 1, UnitPrice: 4500, VATRate: 0}
	s1 := paidSale(1, "000001", false, milk)
	s2 := paidSale(2, "000002", true, coffee, paper)
	for _, s := range []*Sale{s1, s2} {
		if _, err := j.RecordSale(ctx, SaleRecordOf(s)); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(j.RecordEvent(ctx, JournalDrawerOpen, 0, "", 0, "manual"))
	must(j.RecordEvent(ctx, JournalCopyReceipt, 2, "000002", s2.Total(), ""))
	must(j.RecordEvent(ctx, JournalVoid, 3, "000003", 5900, ""))
	j.SetCashier(Cashier{ID: 1, Name: "Ola"})
	_, err := j.RecordSale(ctx, ReturnRecordOf(s1, map[int]int{0: 1}, "000004", "pos1-000001"))
	must(err)

	x, err := j.XReport(ctx)
	must(err)
	z, err := j.ZReport(ctx)
	must(err)
	if x.Net != z.Net || z.Number != 1 {
		t.Fatalf("X net %d, Z net %d number %d: an X report must not close the period", x.Net, z.Net, z.Number)
	}
	// 2×24.90 + (89.00−10.00 + 45.00) − 24.90
	if z.Sales != (Tally{2, 4980 + 12400}) || z.Returns != (Tally{1, 2490}) || z.Net != 14890 {
		t.Errorf("sales %+v returns %+v net %d", z.Sales, z.Returns, z.Net)
	}
	var gross, net, vat Money
	for _, v := range z.VAT {
		gross += v.Gross
		net += v.Net
		vat += v.VAT
		if v.Gross != v.Net+v.VAT {
			t.Errorf("VAT %d %%: gross %d ≠ net %d + VAT %d", v.Rate, v.Gross, v.Net, v.VAT)
		}
	}
	if gross != z.Net || len(z.VAT) != 3 || z.VAT[0].Rate != 25 || z.VAT[0].VAT != 1580 {
		t.Errorf("VAT lines %+v (sum %d, want %d)", z.VAT, gross, z.Net)
	}
	if len(z.Payments) != 1 || z.Payments[0] != (ReportPayment{PaymentVipps, 3, 14890}) {
		t.Errorf("payments %+v", z.Payments)
	}
	if z.Members != (Tally{1, 12400}) || z.NonMembers != (Tally{2, 2490}) {
		t.Errorf("members %+v non-members %+v", z.Members, z.NonMembers)
	}
	if z.Discounts != (Tally{1, 1000}) || z.Copies != (Tally{1, 12400}) || z.DrawerOpenings != 1 || z.Voids != (Tally{1, 5900}) {
		t.Errorf("discounts %+v copies %+v drawer %d voids %+v", z.Discounts, z.Copies, z.DrawerOpenings, z.Voids)
	}
	if len(z.Cashiers) != 2 || z.Cashiers[0].Name != "Kari" || z.Cashiers[0].Sales.Amount != 17380 || z.Cashiers[1].Returns.Amount != 2490 {
		t.Errorf("cashiers %+v", z.Cashiers)
	}

	if _, err := j.ZReport(ctx); !errors.Is(err, ErrZReportTaken) {
		t.Fatalf("second Z report the same day: %v", err)
	}

	// The next day starts empty; grand totals carry on.
	clk.t = clk.t.Add(24 * time.Hour)
	_, err = j.RecordSale(ctx, SaleRecordOf(paidSale(5, "000005", false, paper)))
	must(err)
	z2, err := j.ZReport(ctx)
	must(err)
	if z2.Number != 2 || z2.Sales != (Tally{1, 4500}) || z2.GrandTotalSales != 17380+4500 || z2.GrandTotalReturns != 2490 || z2.GrandTotalNet != 17380+4500-2490 {
		t.Errorf("day 2: number %d sales %+v grand %d/%d/%d", z2.Number, z2.Sales, z2.GrandTotalSales, z2.GrandTotalReturns, z2.GrandTotalNet)
	}
	if z2.FirstSeq != z.LastSeq+2 {
		t.Errorf("day 2 starts at record %d; day 1 ended at %d and its Z report is %d", z2.FirstSeq, z.LastSeq, z.LastSeq+1)
	}

	txt := z.Text(ReportHeading{ShopName: "Demobutikken AS", OrgNumber: "999999999", Installation: "k7m2qx", Words: nbWords(t)}, 42, "nb")
	for _, line := range strings.Split(strings.TrimRight(txt, "\n"), "\n") {
		if n := len([]rune(line)); n > 42 {
			t.Errorf("line wider than the paper (%d): %q", n, line)
		}
	}
	for _, want := range []string{"Z-RAPPORT", "148,90", "Vipps (3)", "Installasjon", "k7m2qx"} {
		if !strings.Contains(txt, want) {
			t.Errorf("printed Z report lacks %q:\n%s", want, txt)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		m      Money
		nb, en string
	}{{0, "0,00", "0.00"}, {5, "0,05", "0.05"}, {123456789, "1 234 567,89", "1,234,567.89"}, {-2490, "-24,90", "-24.90"}} {
		if got := FormatAmount(tc.m, "nb"); got != tc.nb {
			t.Errorf("nb %d = %q, want %q", tc.m, got, tc.nb)
		}
		if got := FormatAmount(tc.m, "en"); got != tc.en {
			t.Errorf("en %d = %q, want %q", tc.m, got, tc.en)
		}
	}
}

// nbWords are the Norwegian texts the printed reports use.
func nbWords(t *testing.T) map[string]string {
	t.Helper()
	w, err := assets.Texts("nb")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// A store prints its reports in its own language, every word from the
// translations: nothing on the paper is left as a key.
func TestReportsPrintInEveryStoreLanguage(t *testing.T) {
	r := Report{Kind: ReportZ, Number: 3, TillID: "pos1", Sales: Tally{2, 123450}, Net: 123450,
		Payments: []ReportPayment{{Method: PaymentVipps, Count: 2, Amount: 123450}}}
	for lang, want := range map[string][]string{
		"nb": {"Z-RAPPORT", "MVA", "Salg (2)", "1 234,50"},
		"da": {"Z-RAPPORT", "Moms", "Salg (2)", "1.234,50"},
		"fi": {"Z-RAPORTTI", "ALV", "Myynti (2)", "1 234,50"},
		"en": {"Z REPORT", "VAT", "Sales (2)", "1,234.50"},
	} {
		words, err := assets.Texts(lang)
		if err != nil {
			t.Fatal(err)
		}
		txt := r.Text(ReportHeading{ShopName: "Butikk", OrgNumber: "999999999", Words: words}, 42, lang)
		for _, w := range want {
			if !strings.Contains(txt, w) {
				t.Errorf("%s report lacks %q:\n%s", lang, w, txt)
			}
		}
		if strings.Contains(txt, "report.print.") {
			t.Errorf("%s report prints a key instead of a word:\n%s", lang, txt)
		}
	}
}
