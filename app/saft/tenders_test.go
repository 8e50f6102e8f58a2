package saft

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// aMixedDay is Tuesday 3 March 2026 at Demobutikken, paid every way: the
// change float, a cash sale with change and rounding, a card sale, Vipps and
// cash split, a gift voucher with a credit note, a return in cash, a drawer
// opened without a sale, the cash count and the Z report.
func aMixedDay(t *testing.T) (*flow.MemoryJournal, flow.Report) {
	t.Helper()
	ctx := context.Background()
	m := flow.NewMemoryJournal()
	clk := &setClock{}
	at := func(hhmm string) {
		tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-03-03 "+hhmm, oslo)
		if err != nil {
			t.Fatal(err)
		}
		clk.t = tm
	}
	j := flow.NewElectronicJournal(m, "pos1", oslo, clk.Now)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at("07:50")
	ring, err := OpenKeyRing(ctx, testKeyDir(t, "pos1"), j)
	must(err)
	j.Signer = ring
	sold := func(hhmm string, s *flow.Sale, tenders ...flow.Tender) {
		t.Helper()
		at(hhmm)
		s.Tenders = tenders
		_, err := j.RecordSale(ctx, flow.SaleRecordOf(s))
		must(err)
		for _, td := range tenders {
			if td.Kind == flow.TenderCash {
				must(j.RecordEvent(ctx, flow.JournalDrawerOpen, s.ID, s.ReceiptNumber, 0, "cash drawer opened for a cash payment"))
				break
			}
		}
	}
	milk := flow.SaleLine{GTIN: "7038010000737", Name: "Lettmelk 1 l", Quantity: 1, UnitPrice: 2590, VATRate: 15}
	battery := flow.SaleLine{GTIN: "7310150010013", Name: "Batteri AA 4-pk", Quantity: 1, UnitPrice: 8900, VATRate: 25}
	paper := flow.SaleLine{GTIN: "9771234567003", Name: "Avis", Quantity: 1, UnitPrice: 4500, VATRate: 0}

	j.SetCashier(kari)
	at("08:00")
	must(j.RecordEvent(ctx, flow.JournalLogin, 0, "", 0, "cashier"))
	at("08:01")
	must(j.RecordCashFloat(ctx, 150000))
	// 25.90 paid with a 50 note: 26.00 after rounding, 24.00 change.
	cash := sale(1, "000001", false, milk)
	sold("08:05", cash, flow.Tender{Seq: 0, Kind: flow.TenderCash, Amount: 2600, Given: 5000, Change: 2400, Rounding: 10})
	card := sale(2, "000002", false, battery)
	sold("08:10", card, flow.Tender{Seq: 0, Kind: flow.TenderCard, Amount: 8900, Reference: "T-004711"})
	split := sale(3, "000003", true, milk, battery)
	sold("08:20", split, flow.Tender{Seq: 0, Kind: flow.TenderCash, Amount: 5000, Given: 5000},
		flow.Tender{Seq: 1, Kind: flow.TenderVipps, Amount: 6490, Reference: "pos1-000003-1"})
	vouchers := sale(4, "000004", false, paper, milk)
	sold("08:30", vouchers, flow.Tender{Seq: 0, Kind: flow.TenderVoucher, Amount: 5000, Reference: "GV-1001"},
		flow.Tender{Seq: 1, Kind: flow.TenderCreditNote, Amount: 2090, Reference: "CN7K2M9QXD4HRT"})
	// The milk of the cash sale comes back: 26.00 from the drawer.
	at("09:00")
	ret := flow.ReturnRecordOf(cash, map[int]int{0: 1}, "000001-R1", "")
	ret.Payments, ret.Rounding = []flow.SaleRecordPayment{{Method: "cash", Amount: -2600}}, -10
	_, err = j.RecordSale(ctx, ret)
	must(err)
	must(j.RecordEvent(ctx, flow.JournalDrawerOpen, cash.ID, "000001-R1", 0, "cash drawer opened for a cash refund"))
	at("09:30")
	must(j.DrawerOpened(ctx, "change for the bakery"))
	sold("10:00", sale(5, "000005", false, milk), flow.Tender{Seq: 0, Kind: flow.TenderCash, Amount: 2600, Given: 2600, Rounding: 10})
	at("17:50")
	must(j.RecordCashCount(ctx, 157500))
	at("18:00")
	z, err := j.ZReport(ctx)
	must(err)
	at("18:01")
	must(j.RecordEvent(ctx, flow.JournalLogout, 0, "", 0, ""))
	return m, z
}

func mixedOptions() Options {
	o := exportOptions()
	o.From, o.To, o.Created = o.From.AddDate(0, 0, 1), o.To.AddDate(0, 0, 1), o.Created.AddDate(0, 0, 1)
	return o
}

func TestZReportOfAMixedDay(t *testing.T) {
	_, z := aMixedDay(t)
	want := map[string]flow.Money{"cash": 2600 + 5000 - 2600 + 2600, "card": 8900, "vipps": 6490, "voucher": 5000, "credit-note": 2090}
	if len(z.Payments) != len(want) {
		t.Errorf("payments %+v", z.Payments)
	}
	for _, p := range z.Payments {
		if want[p.Method] != p.Amount {
			t.Errorf("%s: %d, want %d", p.Method, p.Amount, want[p.Method])
		}
	}
	// Float 1500 + cash 76.00 (26.00 + 50.00 − 26.00 + 26.00) = 1576.00; counted 1575.00.
	if z.Rounding != 10 || z.CashFloat != 150000 || z.CashExpected != 157600 || z.CashCounted != 157500 || z.CashDifference != -100 {
		t.Errorf("cash: rounding %d float %d expected %d counted %d difference %d", z.Rounding, z.CashFloat, z.CashExpected, z.CashCounted, z.CashDifference)
	}
	if z.DrawerOpenings != 5 || z.DrawerNoSale != 1 {
		t.Errorf("drawer openings %d, without a sale %d", z.DrawerOpenings, z.DrawerNoSale)
	}
	if len(z.Cashiers) != 1 || len(z.Cashiers[0].Payments) != 5 {
		t.Errorf("per cashier: %+v", z.Cashiers)
	}
	txt := z.Text(flow.ReportHeading{ShopName: shop.Name, OrgNumber: shop.OrgNumber, Location: oslo, Words: nbWords(t)}, 42, "nb")
	checkGolden(t, "z-report-mixed-2026-03-03.txt", []byte(txt))
}

func TestSAFTExportOfAMixedDay(t *testing.T) {
	m, _ := aMixedDay(t)
	var buf bytes.Buffer
	af, err := Export(context.Background(), m, cashierList{ola, kari}, mixedOptions(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "saft-mixed-2026-03-03.xml", buf.Bytes())
	if err := CheckReferences(af); err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, b := range af.Company.Basics {
		if b.BasicType == "12" {
			codes[b.BasicID] = b.PredefinedBasicID
		}
	}
	used := map[string]bool{}
	var roundings []Amount
	for _, ct := range af.Company.Locations[0].CashRegisters[0].CashTransactions {
		for _, p := range ct.Payments {
			used[codes[p.PaymentType]] = true
		}
		if ct.Rounding != nil {
			roundings = append(roundings, ct.Rounding.RoundingAmnt)
		}
	}
	for _, code := range []string{"12001", "12002", "12005", "12010", "12011"} {
		if !used[code] {
			t.Errorf("no transaction is paid with %s (payment types %v)", code, codes)
		}
	}
	if len(roundings) != 3 || roundings[0] != 10 || roundings[1] != -10 || roundings[2] != 10 {
		t.Errorf("rounding elements %v, want 0.10 on the cash sales and -0.10 on the return", roundings)
	}
	for _, want := range []string{"<rounding>\n", "<roundingAmnt>0.10</roundingAmnt>", "<paymentRefID>T-004711</paymentRefID>",
		"<reportOpeningChangeFloat>1500.00</reportOpeningChangeFloat>"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the export has no %q", want)
		}
	}
}

func TestSAFTMixedDayValidatesAgainstTheXSD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is missing (Debian package libxml2-utils; make test-deps installs it)")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd"),
		filepath.Join("testdata", "saft-mixed-2026-03-03.xml")).CombinedOutput()
	if err != nil {
		t.Errorf("the mixed day does not validate against the official XSD: %v\n%s", err, out)
	}
}
