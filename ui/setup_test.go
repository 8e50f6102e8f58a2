package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// fakeSetup is a SetupService whose behaviour each test states: one func
// field per method, nil for "fine".
type fakeSetup struct {
	defaults    SetupValues
	cashiers    bool
	checkStore  func(SetupValues) error
	testVipps   func(SetupValues) string
	testPrint   func(SetupValues) error
	testScan    func(port string) (string, error)
	importCat   func(file string, progress func(done, total int)) (CatalogReport, error)
	finish      func(SetupValues) error
	finished    []SetupValues
	vippsTested []SetupValues
}

func (f *fakeSetup) Defaults() SetupValues { return f.defaults }
func (f *fakeSetup) HasCashiers() bool     { return f.cashiers }
func (f *fakeSetup) Brand(country string) Brand {
	if country == "DK" {
		return Brand{App: "MobilePay", Company: "Vipps MobilePay"}
	}
	return norwayBrand()
}

func (f *fakeSetup) CheckStore(v SetupValues) error {
	if f.checkStore != nil {
		return f.checkStore(v)
	}
	return nil
}

func (f *fakeSetup) CheckVipps(v SetupValues) error {
	if v.VippsEnv != "simulator" && (v.MSN == "" || v.ClientID == "") {
		return &Problem{Key: "setup.problem.keys_missing"}
	}
	return nil
}

func (f *fakeSetup) TestVipps(_ context.Context, v SetupValues) string {
	f.vippsTested = append(f.vippsTested, v)
	if f.testVipps != nil {
		return f.testVipps(v)
	}
	return "ok"
}

func (f *fakeSetup) TestPrint(_ context.Context, v SetupValues) error {
	if f.testPrint != nil {
		return f.testPrint(v)
	}
	return nil
}

func (f *fakeSetup) TestScan(_ context.Context, port string) (string, error) {
	if f.testScan != nil {
		return f.testScan(port)
	}
	return "7038800010014", nil
}

func (f *fakeSetup) ImportCatalog(_ context.Context, file string, progress func(done, total int)) (CatalogReport, error) {
	if f.importCat != nil {
		return f.importCat(file, progress)
	}
	progress(1, 1)
	return CatalogReport{Imported: 1}, nil
}

func (f *fakeSetup) Finish(_ context.Context, v SetupValues) error {
	if f.finish != nil {
		if err := f.finish(v); err != nil {
			return err
		}
	}
	f.finished = append(f.finished, v)
	return nil
}

func newTestSetup(t *testing.T, svc *fakeSetup, onDone func()) *Setup {
	t.Helper()
	test.NewTempApp(t).Settings().SetTheme(Theme{})
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1000, 740))
	return newSetup(w, svc, onDone, func(f func()) { f() })
}

func (s *Setup) tapButton(t *testing.T, name string) {
	t.Helper()
	b, ok := s.buttons[name]
	if !ok {
		t.Fatalf("step %d has no %q button", s.step, name)
	}
	test.Tap(b)
}

func (s *Setup) typeInto(t *testing.T, name, text string) {
	t.Helper()
	e, ok := s.entries[name]
	if !ok {
		t.Fatalf("step %d has no %q field", s.step, name)
	}
	e.SetText("")
	test.Type(e, text)
}

func (s *Setup) wantStep(t *testing.T, step int) {
	t.Helper()
	if s.step != step {
		t.Fatalf("on step %d (status %q), want step %d", s.step, s.status.Text, step)
	}
}

// A manager sets up a Danish till with test keys from the first step to
// the last, in Danish, and every step's refusal says what to do.
func TestSetupWalksThroughEveryStep(t *testing.T) {
	done := false
	svc := &fakeSetup{
		defaults: SetupValues{Lang: "en", VippsEnv: "simulator", TillID: "pos1", PrinterWidth: 42, Display: DisplayBeside},
		checkStore: func(v SetupValues) error {
			if v.OrgNumber != "12345678" {
				return &Problem{Key: "setup.problem.org_digits_dk"}
			}
			return nil
		},
		testVipps: func(v SetupValues) string {
			if v.ClientSecret != "right" {
				return "wrong_keys"
			}
			return "ok"
		},
		importCat: func(file string, progress func(done, total int)) (CatalogReport, error) {
			if strings.Contains(file, "bad") {
				return CatalogReport{Rows: []flow.RowError{{Line: 3, Reason: "price is not a number"}, {Line: 7, Reason: "unknown VAT rate 12"}}}, nil
			}
			progress(200, 400)
			progress(400, 400)
			return CatalogReport{Imported: 400}, nil
		},
	}
	s := newTestSetup(t, svc, func() { done = true })

	// Language: Danish from here on.
	s.tapButton(t, "da")
	if s.title.Text != "Velkommen til kasse" || s.next.Text != "Næste" {
		t.Fatalf("Danish not taken: %q / %q", s.title.Text, s.next.Text)
	}
	test.Tap(s.next)

	// Country: required.
	s.wantStep(t, stepCountry)
	test.Tap(s.next)
	if s.step != stepCountry || s.status.Text != "Vælg det land, butikken ligger i." {
		t.Fatalf("no country accepted: step %d, %q", s.step, s.status.Text)
	}
	s.tapButton(t, "DK")
	test.Tap(s.next)

	// The store: the CVR number is checked.
	s.wantStep(t, stepStore)
	s.typeInto(t, "name", "Hyggebutikken ApS")
	s.typeInto(t, "org", "1234")
	test.Tap(s.next)
	if s.step != stepStore || s.status.Text != "CVR-nummeret skal have 8 cifre." {
		t.Fatalf("a short CVR number was accepted: step %d, %q", s.step, s.status.Text)
	}
	s.typeInto(t, "org", "12345678")
	s.typeInto(t, "till", "kasse2")
	test.Tap(s.next)

	// Vipps: training hides the keys; the test environment asks for them,
	// and the connection test answers in Danish with the market's brand.
	s.wantStep(t, stepVipps)
	if _, ok := s.entries["client_secret"]; ok {
		t.Error("training asks for keys")
	}
	s.tapButton(t, "test")
	s.typeInto(t, "msn", "212121")
	s.typeInto(t, "client_id", "id-1")
	s.typeInto(t, "client_secret", "wrong")
	s.typeInto(t, "subscription_key", "key-1")
	s.tapButton(t, "test")
	if !strings.HasPrefix(s.result.Text, "Forkerte nøgler: Vipps MobilePay afviste") {
		t.Errorf("wrong keys told as %q", s.result.Text)
	}
	s.typeInto(t, "client_secret", "right")
	s.tapButton(t, "test")
	if s.result.Text != "Forbindelsen virker: Vipps MobilePay testmiljø godtog nøglerne." {
		t.Errorf("working keys told as %q", s.result.Text)
	}
	if got := svc.vippsTested[len(svc.vippsTested)-1]; got.VippsEnv != "test" || got.MSN != "212121" {
		t.Errorf("tested %+v", got)
	}
	test.Tap(s.next)

	// Devices: the paper width is checked; the test print and scan report.
	s.wantStep(t, stepDevices)
	s.typeInto(t, "width", "200")
	test.Tap(s.next)
	if s.step != stepDevices || !strings.Contains(s.status.Text, "24 til 80") {
		t.Fatalf("width 200 accepted: step %d, %q", s.step, s.status.Text)
	}
	s.typeInto(t, "width", "42")
	s.tapButton(t, "test_print")
	if s.status.Text != "Indtast printerens port eller enhed først." {
		t.Errorf("test print without a printer: %q", s.status.Text)
	}
	s.typeInto(t, "printer", "/dev/usb/lp0")
	s.tapButton(t, "test_print")
	if !strings.HasPrefix(s.result.Text, "Testkvitteringen er udskrevet") {
		t.Errorf("test print: %q", s.result.Text)
	}
	s.typeInto(t, "cashier_scanner", "/dev/ttyACM0")
	s.tapButton(t, "test_scan")
	if s.result.Text != "Scanneren virker: den læste 7038800010014" {
		t.Errorf("test scan: %q", s.result.Text)
	}
	s.tapButton(t, DisplayFullscreen)
	if s.entries["printer"].Text != "/dev/usb/lp0" {
		t.Error("choosing the display lost the printer")
	}
	test.Tap(s.next)

	// Catalogue: a bad file is reported line by line; a good one imports.
	s.wantStep(t, stepCatalog)
	if _, ok := s.buttons["sample"]; ok {
		t.Error("a sample catalogue is offered where none is installed")
	}
	s.tapButton(t, "import")
	if s.status.Text != "Indtast eller vælg CSV-filen først." {
		t.Errorf("import without a file: %q", s.status.Text)
	}
	s.typeInto(t, "file", "/tmp/bad.csv")
	s.tapButton(t, "import")
	if len(s.report.Objects) != 2 {
		t.Fatalf("report of a bad file: %d lines", len(s.report.Objects))
	}
	if got := s.report.Objects[1].(*widget.Label).Text; got != "Linje 7: unknown VAT rate 12" {
		t.Errorf("report line %q", got)
	}
	s.typeInto(t, "file", "/tmp/good.csv")
	s.tapButton(t, "import")
	if s.result.Text != "400 varer importeret." || s.bar.Value != 1 || len(s.report.Objects) != 0 {
		t.Errorf("good file: %q, progress %v, %d report lines", s.result.Text, s.bar.Value, len(s.report.Objects))
	}
	test.Tap(s.next)

	// The first manager: a name and the same PIN twice.
	s.wantStep(t, stepManager)
	s.typeInto(t, "manager", "Mette")
	s.typeInto(t, "pin", "4711")
	s.typeInto(t, "pin_again", "4712")
	test.Tap(s.next)
	if s.step != stepManager || s.status.Text != "De to PIN'er er forskellige: skriv dem igen." {
		t.Fatalf("differing PINs: step %d, %q", s.step, s.status.Text)
	}
	s.typeInto(t, "pin_again", "4711")
	test.Tap(s.next)

	// Done: Finish gets everything, and the till starts.
	s.wantStep(t, stepDone)
	test.Tap(s.next)
	if !done || len(svc.finished) != 1 {
		t.Fatalf("finished %v, onDone %v (status %q)", len(svc.finished), done, s.status.Text)
	}
	got := svc.finished[0]
	want := SetupValues{Lang: "da", Country: "DK", StoreName: "Hyggebutikken ApS", OrgNumber: "12345678", TillID: "kasse2",
		VippsEnv: "test", MSN: "212121", ClientID: "id-1", ClientSecret: "right", SubscriptionKey: "key-1",
		CashierScanner: "/dev/ttyACM0", PrinterDevice: "/dev/usb/lp0", PrinterWidth: 42, Display: DisplayFullscreen,
		ManagerName: "Mette", ManagerPIN: "4711"}
	if got != want {
		t.Errorf("finished with\n%+v\nwant\n%+v", got, want)
	}
}

// Without keys the assistant says the till will train, and a refusal of
// Finish keeps the assistant open with the reason.
func TestSetupWithoutKeysEndsInTraining(t *testing.T) {
	svc := &fakeSetup{defaults: SetupValues{Lang: "nb", Country: "NO", StoreName: "Fjellbutikken AS", OrgNumber: "923609016",
		TillID: "pos1", VippsEnv: "simulator", PrinterWidth: 42, Display: DisplayBeside}, cashiers: true}
	failOnce := true
	svc.finish = func(SetupValues) error {
		if failOnce {
			failOnce = false
			return &Problem{Key: "setup.problem.failed"}
		}
		return nil
	}
	done := false
	s := newTestSetup(t, svc, func() { done = true })
	for s.step < stepManager {
		test.Tap(s.next)
	}
	if _, ok := s.entries["manager"]; ok {
		t.Error("a till with cashiers is asked for a first manager")
	}
	s.typeInto(t, "pin", "2468")
	s.typeInto(t, "pin_again", "2468")
	test.Tap(s.next)
	s.wantStep(t, stepDone)
	text := s.body.Objects[0].(*container.Scroll).Content.(*fyne.Container).Objects[1].(*widget.Label).Text
	if !strings.HasPrefix(text, "Kassen starter i TRENINGSMODUS") {
		t.Errorf("done step says %q", text)
	}
	test.Tap(s.next)
	if done || !strings.HasPrefix(s.status.Text, "Det virket ikke.") {
		t.Fatalf("a failed finish: done %v, status %q", done, s.status.Text)
	}
	test.Tap(s.next)
	if !done || svc.finished[0].ManagerPIN != "2468" || svc.finished[0].ManagerName != "" {
		t.Errorf("done %v, finished %+v", done, svc.finished)
	}
}

// Every step fits a 1024×768 till screen in every language, and every
// option's text exists.
func TestSetupStepsFitTheTillScreen(t *testing.T) {
	for _, lang := range Languages {
		svc := &fakeSetup{defaults: SetupValues{Lang: lang, Country: "FI", VippsEnv: "production", TillID: "pos1", PrinterWidth: 42,
			Display: DisplayNone, SampleCatalog: `C:\Program Files\kasse\catalog-sample.csv`}}
		s := newTestSetup(t, svc, nil)
		for step := range setupSteps {
			s.show(step)
			if min := s.Win.Content().MinSize(); min.Width > 1024 || min.Height > 768 {
				t.Errorf("%s step %d needs %v", lang, step, min)
			}
			// Nothing to scroll for: every field and test button in view.
			if need, room := s.body.Objects[0].(*container.Scroll).Content.MinSize().Height, s.body.Size().Height; need > room {
				t.Errorf("%s step %d needs %.0f px, has %.0f", lang, step, need, room)
			}
			for _, b := range s.buttons {
				if strings.HasPrefix(b.Text, "setup.") {
					t.Errorf("%s step %d: no text for %q", lang, step, b.Text)
				}
				if b.MinSize().Height < MinTouch {
					t.Errorf("%s step %d: %q is smaller than a fingertip", lang, step, b.Text)
				}
			}
		}
		s.show(stepCatalog)
		s.tapButton(t, "sample")
		if s.entries["file"].Text != svc.defaults.SampleCatalog {
			t.Errorf("%s: the sample button gave %q", lang, s.entries["file"].Text)
		}
		for _, r := range []string{"ok", "wrong_keys", "unknown_msn", "unreachable", "failed"} {
			if got := s.tkey("setup.vipps.result", r); strings.HasPrefix(got, "setup.") {
				t.Errorf("%s: no text for connection result %s", lang, r)
			}
		}
	}
}

// Every reason a catalogue line is refused for has its text in every
// language, with its values filled in: a Danish manager reads Danish.
func TestCatalogueProblemsAreTranslated(t *testing.T) {
	bad := "gtin,name,price,vat,active,age,member_price,group\n" +
		"123,Melk,24.90,15,true,,,\n" + // not a GTIN
		"7038010069307,,24.90,15,true,,,\n" + // no name
		"7038010069307,Melk,abc,15,true,,,\n" +
		"7038010069307,Melk,24.90,9,true,,,\n" +
		"7038010069307,Melk,24.90,15,kanskje,,,\n" +
		"7038010069307,Melk,24.90,15,true,200,,\n" +
		"7038010069307,Melk,24.90,15,true,,30.00,\n" +
		"7038010069307,Melk,24.90,15,true,,," + strings.Repeat("x", 65) + "\n" +
		"7311041013663,Kaffe,49.90,15,true,,,\n" +
		"7311041013663,Kaffe,49.90,15,true,,,\n" // twice
	_, err := flow.ParseCatalogCSV(strings.NewReader(bad))
	var rows flow.ImportErrors
	if !errors.As(err, &rows) || len(rows) != 9 {
		t.Fatalf("refused lines: %v", err)
	}
	_, err = flow.ParseCatalogCSV(strings.NewReader("sku;title\n"))
	var header flow.ImportErrors
	if !errors.As(err, &header) {
		t.Fatalf("a file without the columns: %v", err)
	}
	all, _ := loadTexts()
	for _, r := range append(rows, header...) {
		if r.Key == "" {
			t.Errorf("line %d (%s) has no key", r.Line, r.Reason)
			continue
		}
		for _, l := range Languages {
			got := tr{all: all, lang: l}.T("catalog."+r.Key, r.Args)
			if got == "catalog."+r.Key || strings.Contains(got, "{{") || (l != "en" && got == (tr{all: all, lang: "en"}).T("catalog."+r.Key, r.Args)) {
				t.Errorf("%s, line %d (%s): %q", l, r.Line, r.Key, got)
			}
		}
	}
}
