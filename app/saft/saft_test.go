package saft

import (
	"bytes"
	"context"
	"github.com/kasse-pos/kasse/assets"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the scenario runs in Europe/Oslo on any machine

	"github.com/kasse-pos/kasse/internal/golden"

	"github.com/kasse-pos/kasse/flow"
)

var oslo = func() *time.Location {
	l, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		panic(err) // the test binary embeds tzdata below, so this cannot fail
	}
	return l
}()

var shop = Shop{OrgNumber: "999999999", Name: "Demobutikken AS", Address: "Storgata 1, 0155 Oslo", Currency: "NOK"}

// setClock lets the scenario say what time it is in Oslo.
type setClock struct{ t time.Time }

func (c *setClock) Now() time.Time { return c.t }
func (c *setClock) at(hhmm string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-03-02 "+hhmm, oslo)
	if err != nil {
		panic(err)
	}
	c.t = t
}

func sale(id int64, receipt string, member bool, lines ...flow.SaleLine) *flow.Sale {
	s := &flow.Sale{ID: id, POSID: "pos1", ReceiptNumber: receipt, Currency: "NOK", Stage: flow.StagePaid, Lines: lines,
		Payment: &flow.Payment{Reference: "pos1-" + receipt + "-1", Status: flow.PaymentAuthorized}}
	if member {
		s.Customer.Member = &flow.Member{}
	}
	return s
}

var (
	kari = flow.Cashier{ID: 2, Name: "Kari Nordmann", Role: flow.RoleCashier, Active: true, CreatedAt: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
	ola  = flow.Cashier{ID: 1, Name: "Ola Nordmann", Role: flow.RoleManager, Active: true, CreatedAt: time.Date(2026, 1, 5, 7, 30, 0, 0, time.UTC)}
)

// aDayOfSales is Monday 2 March 2026 at Demobutikken: two tills, two
// cashiers, members and non-members, a discount, a return, a copy, a void,
// a price look-up, an X and a Z report.
func aDayOfSales(t *testing.T) (*flow.MemoryJournal, flow.Report) {
	t.Helper()
	ctx := context.Background()
	m := flow.NewMemoryJournal()
	clk := &setClock{}
	j := flow.NewElectronicJournal(m, "pos1", oslo, clk.Now)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	rec := func(hhmm string, ev flow.JournalEvent, saleID int64, receipt string, amount flow.Money, text string) {
		t.Helper()
		clk.at(hhmm)
		must(j.RecordEvent(ctx, ev, saleID, receipt, amount, text))
	}
	sold := func(hhmm string, s flow.SaleRecord) {
		t.Helper()
		clk.at(hhmm)
		_, err := j.RecordSale(ctx, s)
		must(err)
	}
	milk := flow.SaleLine{GTIN: "7038010000737", Name: "Lettmelk 1 l", Quantity: 2, UnitPrice: 2490, VATRate: 15}
	bread := flow.SaleLine{GTIN: "7020650000014", Name: "Grovbrød", Quantity: 1, UnitPrice: 3990, VATRate: 15}
	coffee := flow.SaleLine{GTIN: "7310050001234", Name: "Kaffe filtermalt 500 g", Quantity: 1, UnitPrice: 8900, Discount: 1000, VATRate: 25}
	paper := flow.SaleLine{GTIN: "9771234567003", Name: "Avis", Quantity: 1, UnitPrice: 4500, VATRate: 0}
	ticket := flow.SaleLine{GTIN: "2000000000015", Name: "Bussbillett", Quantity: 3, UnitPrice: 4000, VATRate: 12}

	// Each till signs with the test key committed in testdata (both use the
	// same key here; a real till makes its own on first start).
	clk.at("07:50")
	keys := testKeyDir(t, "pos1", "pos2")
	j2 := flow.NewElectronicJournal(m, "pos2", oslo, clk.Now)
	for _, jj := range []*flow.ElectronicJournal{j, j2} {
		ring, err := OpenKeyRing(ctx, keys, jj)
		must(err)
		if ring.Version != "1" {
			t.Fatalf("till %s signs with key version %s, want 1", jj.TillID, ring.Version)
		}
		jj.Signer = ring
	}
	clk.at("07:54")
	must(j.Started(ctx, "0.9.0"))
	clk.at("07:55")
	must(j.Started(ctx, "1.0.0")) // an update since yesterday: 13007, then 13001
	clk.at("07:56")
	must(j.RecordPriceChanges(ctx, []flow.PriceChange{{GTIN: "7020650000014", Name: "Grovbrød", Old: 3790, New: 3990}}))
	j.SetCashier(kari)
	rec("08:00", flow.JournalLogin, 0, "", 0, "cashier")
	s1 := sale(1, "000001", false, milk, bread)
	sold("08:05", flow.SaleRecordOf(s1))
	rec("08:20", flow.JournalPriceLookup, 0, "", 8900, "GTIN 7310050001234")
	s2 := sale(2, "000002", true, coffee, paper)
	sold("08:30", flow.SaleRecordOf(s2))
	rec("09:00", flow.JournalLineDeleted, 3, "000003", 2500, "GTIN 7040110569908 qty 1")
	rec("09:02", flow.JournalVoid, 3, "000003", 5980, "sale abandoned")
	rec("09:10", flow.JournalPayCancel, 4, "000004", 12000, "declined on the phone")
	// Sale 000004 is parked while a customer asks something, then resumed
	// and paid; the till closes it, so no receipt was printed (13030).
	s4 := sale(4, "000004", true, ticket)
	clk.at("09:12")
	j.SaleParked(ctx, s4, false)
	clk.at("09:14")
	j.SaleParked(ctx, s4, true)
	clk.at("09:15")
	must(j.SaleClosedErr(ctx, s4))
	rec("10:00", flow.JournalLogout, 0, "", 0, "")
	j.SetCashier(ola)
	rec("10:00", flow.JournalLogin, 0, "", 0, "manager")
	clk.at("10:05")
	j.ReceiptPrinted(ctx, s2, flow.ReceiptCopy)
	sold("10:10", flow.ReturnRecordOf(s1, map[int]int{0: 1}, "000005", "pos1-000001-1"))
	rec("10:11", flow.JournalDrawerOpen, 0, "", 0, "manual")

	// A new cashier is trained: one training sale on the training checkout
	// (its own database: receipt 000001 again, journaled as T-000001).
	rec("10:20", flow.JournalTrainingOn, 0, "", 0, "training mode on")
	clk.at("10:25")
	j.TrainingSaleClosed(ctx, sale(1, "000001", false, milk))
	rec("10:30", flow.JournalTrainingOff, 0, "", 0, "training mode off")

	// The second till sells once; it has its own chain.
	j2.SetCashier(kari)
	clk.at("12:00")
	s6 := sale(6, "000001", false, bread)
	s6.POSID = "pos2"
	s6.Payment.Reference = "pos2-000001-1"
	_, err := j2.RecordSale(ctx, flow.SaleRecordOf(s6))
	must(err)

	clk.at("17:55")
	_, err = j.XReport(ctx)
	must(err)
	clk.at("18:00")
	z, err := j.ZReport(ctx)
	must(err)
	rec("18:01", flow.JournalLogout, 0, "", 0, "")
	j.SetCashier(flow.Cashier{})
	rec("18:02", flow.JournalAppStop, 0, "", 0, "")
	return m, z
}

func exportOptions() Options {
	return Options{Shop: shop, Location: oslo, Software: "1.0.0",
		From:    time.Date(2026, 3, 2, 0, 0, 0, 0, oslo),
		To:      time.Date(2026, 3, 3, 0, 0, 0, 0, oslo),
		Created: time.Date(2026, 3, 3, 8, 0, 0, 0, oslo)}
}

type cashierList []flow.Cashier

func (l cashierList) Cashiers(context.Context) ([]flow.Cashier, error) { return l, nil }
func (l cashierList) CashierByID(context.Context, int64) (flow.Cashier, error) {
	return flow.Cashier{}, flow.ErrNoRecord
}
func (l cashierList) SaveCashier(context.Context, *flow.Cashier) error { return nil }

// nbWords are the Norwegian texts the printed reports use.
func nbWords(t *testing.T) map[string]string {
	t.Helper()
	w, err := assets.Texts("nb")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	want := golden.Want(t, filepath.Join("testdata", name), got)
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run UPDATE_GOLDEN=1 go test ./app/saft and review the diff.\n%s", name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

func TestZReportOfADay(t *testing.T) {
	_, z := aDayOfSales(t)
	txt := z.Text(flow.ReportHeading{ShopName: shop.Name, OrgNumber: shop.OrgNumber, Location: oslo, Words: nbWords(t)}, 42, "nb")
	checkGolden(t, "z-report-2026-03-02.txt", []byte(txt))
	// The figures a shop owner checks against the bank: every krone sold
	// is in exactly one VAT rate and one payment method.
	var vat flow.Money
	for _, v := range z.VAT {
		vat += v.Gross
	}
	if vat != z.Net || z.Payments[0].Amount != z.Net {
		t.Errorf("net %d, VAT lines sum to %d, payments to %d", z.Net, vat, z.Payments[0].Amount)
	}
}

func TestSAFTExportOfADay(t *testing.T) {
	m, z := aDayOfSales(t)
	var buf bytes.Buffer
	af, err := Export(context.Background(), m, cashierList{ola, kari}, exportOptions(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "saft-2026-03-02.xml", buf.Bytes())

	regs := af.Company.Locations[0].CashRegisters
	if len(regs) != 2 || regs[0].RegisterID != "pos1" || regs[1].RegisterID != "pos2" {
		t.Fatalf("registers: %+v", regs)
	}
	// The Z report inside the file agrees with the transactions in it.
	var sum flow.Money
	for _, ct := range regs[0].CashTransactions {
		if !ct.Training { // training sales are counted apart
			sum += flow.Money(ct.TransAmntIn)
		}
	}
	var zr *EventReport
	for _, e := range regs[0].Events {
		if e.EventReport != nil && e.EventReport.ReportType == "Z report" {
			zr = e.EventReport
		}
	}
	if zr == nil || flow.Money(zr.TotalCashSaleAmnt) != sum || sum != z.Net {
		t.Errorf("transactions sum to %d, Z report says %v, flow says %d", sum, zr, z.Net)
	}
}

func TestSAFTGoldenValidatesAgainstTheXSD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint is missing (Debian package libxml2-utils; make test-deps installs it)")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	m, _ := aDayOfSales(t)
	var buf bytes.Buffer
	if _, err := Export(context.Background(), m, cashierList{ola, kari}, exportOptions(), &buf); err != nil {
		t.Fatal(err)
	}
	empty := exportOptions()
	empty.From, empty.To = empty.From.AddDate(0, 0, 7), empty.To.AddDate(0, 0, 7)
	var none bytes.Buffer
	if _, err := Export(context.Background(), m, cashierList{ola, kari}, empty, &none); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{"day.xml": buf.Bytes(), "empty.xml": none.Bytes()}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{filepath.Join("testdata", "saft-2026-03-02.xml"), filepath.Join(dir, "day.xml"), filepath.Join(dir, "empty.xml")} {
		out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd"), f).CombinedOutput()
		if err != nil {
			t.Errorf("%s does not validate against the official XSD: %v\n%s", f, err, out)
		}
	}
	// And the validator is not waving everything through.
	broken := bytes.Replace(buf.Bytes(), []byte("<transAmntIn>"), []byte("<transAmntIn>1.005"), 1)
	bad := filepath.Join(dir, "broken.xml")
	os.WriteFile(bad, broken, 0o644)
	if err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd"), bad).Run(); err == nil {
		t.Error("xmllint accepted an amount with three decimals")
	}
}

func TestCheckReferencesCatchesWhatTheXSDCannot(t *testing.T) {
	m, _ := aDayOfSales(t)
	af, err := Build(Input{Records: mustRecords(t, m), Cashiers: []flow.Cashier{ola, kari}}, exportOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckReferences(af); err != nil {
		t.Fatalf("our own export: %v", err)
	}
	regs := af.Company.Locations[0].CashRegisters
	regs[0].Events[0].EventType = "NOSUCH"
	regs[0].CashTransactions[0].Lines[0].ArtID = "123"
	af.Company.Employees = af.Company.Employees[:1]
	err = CheckReferences(af)
	for _, want := range []string{`"NOSUCH" is not a basic of type 13`, `article "123"`, `employee "2"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckReferences did not report %s: %v", want, err)
		}
	}
}

func mustRecords(t *testing.T, m *flow.MemoryJournal) []flow.JournalRecord {
	t.Helper()
	recs, err := m.JournalRecords(context.Background(), flow.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
