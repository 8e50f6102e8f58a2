package ui

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/assets"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
)

// rect is where an object sits on its canvas.
type rect struct{ x, y, w, h float32 }

// placed finds o under root. (The test driver's own lookup assumes the
// last window opened, which here is the phone.)
func placed(root, o fyne.CanvasObject) rect {
	p, ok := find(root, o, fyne.Position{})
	if !ok {
		return rect{-1, -1, 0, 0}
	}
	return rect{p.X, p.Y, o.Size().Width, o.Size().Height}
}

func find(at, o fyne.CanvasObject, origin fyne.Position) (fyne.Position, bool) {
	pos := origin.Add(at.Position())
	if at == o {
		return pos, true
	}
	var kids []fyne.CanvasObject
	switch x := at.(type) {
	case *fyne.Container:
		kids = x.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, k := range kids {
		if !k.Visible() {
			continue
		}
		if p, ok := find(k, o, pos); ok {
			return p, true
		}
	}
	return fyne.Position{}, false
}

func (a rect) overlaps(b rect) bool {
	return a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h
}

// TestLayoutFitsBothScreens checks, at the smallest and a common large
// screen, that the cashier's controls are on screen, do not cover one
// another, and are big enough for a finger, in each stage of a sale.
func TestLayoutFitsBothScreens(t *testing.T) {
	for _, size := range []fyne.Size{{Width: 1024, Height: 768}, {Width: 1920, Height: 1080}} {
		r := newRig(t, "fi", kari) // Finnish: the longest labels
		r.size(size.Width, size.Height)
		c := r.w.cashier
		check := func(stage string, controls map[string]fyne.CanvasObject) {
			t.Helper()
			if min := r.w.Cashier.Content().MinSize(); min.Width > size.Width || min.Height > size.Height {
				t.Errorf("%v %s: content needs %v, more than the screen", size, stage, min)
			}
			if min := r.w.Customer.Content().MinSize(); min.Width > size.Width || min.Height > size.Height {
				t.Errorf("%v %s: customer display needs %v", size, stage, min)
			}
			test.LaidOutObjects(r.w.Cashier.Content())
			names := make([]string, 0, len(controls))
			for n := range controls {
				names = append(names, n)
			}
			slices.Sort(names)
			for i, n := range names {
				o := controls[n]
				if !o.Visible() {
					t.Errorf("%v %s: %s hidden", size, stage, n)
					continue
				}
				a := placed(r.w.Cashier.Content(), o)
				if a.x < 0 || a.y < 0 || a.x+a.w > size.Width || a.y+a.h > size.Height {
					t.Errorf("%v %s: %s at %+v is off screen", size, stage, n, a)
				}
				if a.w < MinTouch || a.h < MinTouch {
					t.Errorf("%v %s: %s is %.0f×%.0f, smaller than a fingertip", size, stage, n, a.w, a.h)
				}
				for _, m := range names[i+1:] {
					if controls[m].Visible() && a.overlaps(placed(r.w.Cashier.Content(), controls[m])) {
						t.Errorf("%v %s: %s overlaps %s", size, stage, n, m)
					}
				}
			}
		}

		r.scan(kari.QR)
		r.keypad("7038010069307\n7311041013663\n")
		check("cart", map[string]fyne.CanvasObject{
			"request": c.request, "qr": c.qr, "void": c.voidSale, "enter": c.keypad.keys["enter"],
			"times": c.keypad.keys["×"], "zero": c.keypad.keys["0"], "parked": c.parked, "sales": c.sales,
			"minus": c.lineQty[1][0], "plus": c.lineQty[1][1],
		})
		r.request()
		check("waiting", map[string]fyne.CanvasObject{"cancel": c.cancelPay, "qr": c.qr, "parked": c.parked, "sales": c.sales})
		r.answer("payment", true)
		check("paid", map[string]fyne.CanvasObject{"new sale": c.newSale, "parked": c.parked, "sales": c.sales})
	}
}

func TestEveryTextIsTranslated(t *testing.T) {
	all, err := loadTexts()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Languages {
		if len(all[l]) == 0 {
			t.Fatalf("no texts for %s", l)
		}
		for k := range all["en"] {
			if _, ok := all[l][k]; !ok {
				t.Errorf("%s has no %q", l, k)
			}
		}
		for k := range all[l] {
			if _, ok := all["en"][k]; !ok {
				t.Errorf("%s has %q, which English lacks", l, k)
			}
		}
	}
	// Every key the code asks for by literal must exist.
	files, _ := filepath.Glob("*.go")
	used := regexp.MustCompile(`\bt\("([a-z_]+\.[a-z_.]+|Cancel)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			if _, ok := all["en"][m[1]]; !ok {
				t.Errorf("%s asks for %q, which has no text", f, m[1])
			}
		}
	}
	// Keys built from flow's states.
	for _, st := range []flow.PaymentStatus{flow.PaymentRequesting, flow.PaymentAuthorized, flow.PaymentDeclined, flow.PaymentExpired, flow.PaymentCancelled, flow.PaymentFailed} {
		if _, ok := all["en"]["pay."+string(st)]; !ok {
			t.Errorf("no text for payment status %s", st)
		}
	}
	for _, st := range []flow.EnrolmentStatus{flow.EnrolmentPending, flow.EnrolmentDone, flow.EnrolmentDeclined, flow.EnrolmentExpired, flow.EnrolmentFailed} {
		if _, ok := all["en"]["enrol."+string(st)]; !ok {
			t.Errorf("no text for enrolment status %s", st)
		}
	}
	for _, st := range []flow.SettlementStatus{flow.SettlementQueued, flow.SettlementDone, flow.SettlementParked, flow.SettlementRefunded, flow.SettlementReleased} {
		if _, ok := all["en"]["settlement."+string(st)]; !ok {
			t.Errorf("no text for settlement status %s", st)
		}
	}
	// Fyne's lang accepts the same files (its dialogs use Cancel, OK, …).
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		t.Errorf("Fyne refuses the translation files: %v", err)
	}
}

// TestNoticesShowTheirTranslationNeverTheErrorText: the window shows a
// notice by its key's translation in the cashier's language; flow's English
// text, which may carry what Vipps or the database said, never.
func TestNoticesShowTheirTranslationNeverTheErrorText(t *testing.T) {
	all, _ := loadTexts()
	nb := tr{all: all, lang: "nb"}
	got := nb.Notice(&flow.Notice{Key: "scan.unknown_product", Args: map[string]string{"gtin": "7038010069307"}, Text: "Unknown product 7038010069307"})
	if !strings.HasPrefix(got, "Ukjent vare 7038010069307") {
		t.Errorf("known key: %q", got)
	}
	for _, n := range []flow.Notice{
		{Key: "payment.failed", Text: "Vipps refused the payment request: vipps permanent (HTTP 400, code 7010): Customer not found"},
		{Key: "store.failed", Text: "The till could not save the sale: database is locked"},
		{Key: "vipps.something_new", Text: "Vipps is in maintenance"},
	} {
		got := nb.Notice(&n)
		if strings.Contains(got, "HTTP") || strings.Contains(got, "database") || strings.Contains(got, "Vipps is") || got == n.Key {
			t.Errorf("%s shows %q", n.Key, got)
		}
		if !strings.Contains(got, ":") && !strings.Contains(got, ";") {
			t.Errorf("%s: %q does not say what to do next", n.Key, got)
		}
	}
}

// TestEveryNoticeOfFlowHasItsText: each notice key the checkout can raise
// is one the window translates, in every language.
func TestEveryNoticeOfFlowHasItsText(t *testing.T) {
	files, _ := filepath.Glob("../flow/*.go")
	key := regexp.MustCompile(`(?:noticeLocked\(Notice\w+, |refusal\{|refuse\(Notice\w+, |tell\(Notice\w+, )"([a-z_]+\.[a-z_]+)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range key.FindAllStringSubmatch(string(src), -1) {
			found++
			if _, ok := NoticeKeys[m[1]]; !ok {
				t.Errorf("%s raises %q, which the window does not translate", f, m[1])
			}
		}
	}
	if found < 30 {
		t.Errorf("found only %d notices in flow: the pattern is out of date", found)
	}
}

// TestCustomerDisplaySpeaksMemberLanguage: a Norwegian member at a till run
// in English sees Norwegian; the cashier keeps English.
func TestCustomerDisplaySpeaksMemberLanguage(t *testing.T) {
	nbKari := kari
	nbKari.Lang = "nb"
	r := newRig(t, "en", nbKari)
	r.scan(kari.QR)
	r.keypad("7038010069307\n")
	if got := r.displayText(); !strings.Contains(got, "Hei Kari, du er medlem") {
		t.Errorf("display: %q", got)
	}
	if got := r.w.cashier.badge.Text; got != "★ Member" {
		t.Errorf("cashier badge: %q", got)
	}
}

// TestCustomerDisplayShowsNoPhoneNumber walks a sale through every screen
// the customer sees and looks for any part of the phone number.
func TestCustomerDisplayShowsNoPhoneNumber(t *testing.T) {
	r := newRig(t, "en", ola)
	var seen []string
	look := func() { seen = append(seen, r.displayText()) }
	r.scan(ola.QR)
	look()
	r.keypad("7038010069307\n")
	look()
	r.tap(r.w.cashier.enrol)
	for len(r.shop.Vipps.PendingLogins()) == 0 {
		time.Sleep(time.Millisecond)
	}
	look()
	r.answer("login", true)
	look()
	r.request()
	look()
	r.answer("payment", true)
	look()
	for i, s := range seen {
		if strings.Contains(s, "•") || strings.Contains(s, "432") || strings.Contains(s, "+47") {
			t.Errorf("screen %d shows a phone number: %q", i, s)
		}
	}
}

func TestKeypad(t *testing.T) {
	r := newRig(t, "en", kari)
	r.keypad("3*7038010069307\n")
	if v := r.till.View(); len(v.Lines) != 1 || v.Lines[0].Quantity != 3 {
		t.Fatalf("3 × milk: %+v", v.Lines)
	}
	r.keypad("12\b\b5\n") // a short number sets the last line's quantity
	if v := r.till.View(); v.Lines[0].Quantity != 5 {
		t.Fatalf("quantity after typing 5: %d", v.Lines[0].Quantity)
	}
	r.keypad("7311041C7311041013663\n")
	if v := r.till.View(); len(v.Lines) != 2 || v.Lines[1].GTIN != "7311041013663" {
		t.Fatalf("C should clear the half-typed number: %+v", v.Lines)
	}
	r.keypad("0000000\n") // 7 digits: not a GTIN, sets quantity 0 = remove
	if v := r.till.View(); len(v.Lines) != 1 {
		t.Fatalf("lines after quantity 0: %+v", v.Lines)
	}
	if got := r.w.cashier.keypad.display.Text; got != "Item number, or quantity then ×" {
		t.Errorf("keypad display after Enter: %q", got)
	}
	r.tap(r.w.cashier.lineQty[0][1])
	if v := r.till.View(); v.Lines[0].Quantity != 6 {
		t.Errorf("+ on the line: quantity %d", v.Lines[0].Quantity)
	}
}

// TestWedgeScannerKeys: keys typed into the window with no field focused
// reach the scanner decoder with their arrival time.
func TestWedgeScannerKeys(t *testing.T) {
	a := test.NewTempApp(t)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var got []rune
	var times []time.Time
	w := New(a, Options{StoreName: "S", Lang: "en", CustomerDisplay: Display{Disabled: true},
		Now:   func() time.Time { return at },
		OnKey: func(r rune, t time.Time) { got = append(got, r); times = append(times, t) },
	})
	for _, r := range "703" {
		w.Cashier.Canvas().OnTypedRune()(r)
	}
	w.Cashier.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if string(got) != "703\r" || times[3] != at {
		t.Errorf("decoder got %q at %v", string(got), times)
	}
	if w.Customer != nil {
		t.Error("customer display opened although disabled")
	}
	for _, r := range "12*" {
		w.PressKey(r) // the decoder hands a person's typing back
	}
	if got := w.cashier.keypad.display.Text; got != "12 × " {
		t.Errorf("keypad after PressKey: %q", got)
	}
}

// slowTill holds RequestPayment until released, like a slow network.
type slowTill struct {
	*pumped // views reach the window only when pumped, on the test's goroutine
	release chan struct{}
	done    chan struct{}
}

func (s slowTill) RequestPayment(ctx context.Context) error {
	<-s.release
	defer close(s.done)
	return s.Checkout.RequestPayment(ctx)
}

func TestSlowNetworkDoesNotBlockTheTap(t *testing.T) {
	r := newRig(t, "en", kari)
	r.scan(kari.QR)
	r.keypad("7038010069307\n")
	slow := slowTill{pumped: &pumped{Checkout: r.till}, release: make(chan struct{}), done: make(chan struct{})}
	w := New(test.NewTempApp(t), Options{Till: slow, StoreName: "S", Lang: "en", CustomerDisplay: Display{Disabled: true}})
	t.Cleanup(w.stop)
	test.Tap(w.cashier.request) // returns although the request hangs
	close(slow.release)
	<-slow.done
	if got := r.till.View().Stage; got != flow.StagePaying {
		t.Errorf("stage %s after the slow request completed", got)
	}
}

func TestParkedAndLastSales(t *testing.T) {
	r := newRig(t, "en", kari)
	r.scan(kari.QR)
	r.keypad("7038010069307\n")
	r.request()
	r.answer("payment", true)
	// Vipps refuses the capture for good: the worker parks it for a manager.
	r.shop.Vipps.SetSettlementErrs(nil, []error{&flow.GatewayError{Kind: flow.ErrPermanent, Status: 400, Code: "6000", Message: "Cannot capture"}})
	r.settle()
	if got := r.w.cashier.parked.Text; got != "Problems (1)" || r.w.cashier.parked.Importance != widget.DangerImportance {
		t.Errorf("parked badge: %q", got)
	}
	test.Tap(r.w.cashier.parked)
	test.AssertRendersToMarkup(t, "parked/cashier.xml", r.w.Cashier.Canvas())
	tapButton(t, r.w.Cashier.Canvas(), "Retry")
	r.pump()
	if got := r.w.cashier.parked.Text; got != "Problems" {
		t.Errorf("parked badge after retry: %q", got)
	}
	tapButton(t, r.w.Cashier.Canvas(), "Close")
	r.settle()
	if v := r.till.View(); v.Settlement != flow.SettlementDone {
		t.Fatalf("settlement after the retry: %q", v.Settlement)
	}

	test.Tap(r.w.cashier.sales)
	test.AssertRendersToMarkup(t, "sales/cashier.xml", r.w.Cashier.Canvas())
	tapButton(t, r.w.Cashier.Canvas(), "Reprint")
	r.pump()
	if got := r.w.cashier.notice.Text; !strings.HasPrefix(got, "No receipt printer is set up") {
		t.Errorf("reprint without a printer: notice %q", got)
	}
	tapButton(t, r.w.Cashier.Canvas(), "Refund")
	tapButton(t, r.w.Cashier.Canvas(), "Refund") // the confirmation's button
	r.pump()
	jobs, _ := r.shop.Store.SaleJobs(t.Context(), r.till.View().SaleID)
	if last := jobs[len(jobs)-1]; last.Kind != flow.JobRefund || last.Amount != 2490 {
		t.Errorf("after Refund the last job is %+v", last)
	}
	r.settle()
	if sales, _ := r.till.RecentSales(t.Context(), 1); len(sales) != 1 || sales[0].Refunded != 2490 || sales[0].Settlement != flow.SettlementRefunded {
		t.Errorf("last sale after the refund: %+v", sales)
	}
}

// tapButton taps the enabled button with this label on the top overlay.
func tapButton(t *testing.T, c fyne.Canvas, label string) {
	t.Helper()
	top := c.Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open to tap %q", label)
	}
	for _, o := range test.LaidOutObjects(top) {
		var b *widget.Button
		switch x := o.(type) {
		case *widget.Button:
			b = x
		case *touchButton:
			b = &x.Button
		}
		if b != nil && b.Text == label && !b.Disabled() && b.Visible() {
			test.Tap(b)
			return
		}
	}
	t.Fatalf("no %q button on the dialog", label)
}

func TestFormatMoney(t *testing.T) {
	for _, c := range []struct {
		m    flow.Money
		cur  string
		want string
	}{
		{0, "NOK", "kr 0,00"},
		{2490, "NOK", "kr 24,90"},
		{123456789, "NOK", "kr 1\u00a0234\u00a0567,89"},
		{-450, "NOK", "kr −4,50"},
		{99900, "DKK", "999,00 kr."},
		{1250, "EUR", "12,50 €"},
	} {
		if got := formatMoney(c.m, c.cur); got != c.want {
			t.Errorf("formatMoney(%d, %s) = %q, want %q", c.m, c.cur, got, c.want)
		}
	}
}

// TestNoticeKeysHaveTexts: every key promised to flow has a text in every
// language, and each text uses exactly the args promised (besides the brand,
// {{.App}} and {{.Company}}, which every text may use).
func TestNoticeKeysHaveTexts(t *testing.T) {
	all, _ := loadTexts()
	arg := regexp.MustCompile(`\{\{\.(\w+)\}\}`)
	for key, args := range NoticeKeys {
		for _, l := range Languages {
			s, ok := all[l][key]
			if !ok {
				t.Errorf("%s: no text for notice %q", l, key)
				continue
			}
			var used []string
			for _, m := range arg.FindAllStringSubmatch(s, -1) {
				if m[1] != "App" && m[1] != "Company" && !slices.Contains(used, m[1]) { // the brand is every text's
					used = append(used, m[1])
				}
			}
			slices.Sort(used)
			want := slices.Clone(args)
			slices.Sort(want)
			if !slices.Equal(used, want) {
				t.Errorf("%s %q uses %v, promised %v", l, key, used, want)
			}
		}
	}
}

// A Danish store's screens say MobilePay until 12 January 2027 and Vipps
// from that morning — in Danish and in English — without a restart.
func TestBrandFollowsTheMarketAndTheDay(t *testing.T) {
	for _, lang := range []string{"da", "en"} {
		r := newRigWith(t, lang, func(o *Options) {
			o.Brand = func(at time.Time) Brand {
				b := vipps.BrandFor(vipps.Denmark, at)
				return Brand{App: b.App, Company: b.Company}
			}
		})
		r.pump()
		before := r.displayText() + visibleText(r.w.Cashier.Content())
		if !strings.Contains(before, "MobilePay") || strings.Contains(strings.ReplaceAll(before, "Vipps MobilePay", ""), "Vipps") {
			t.Errorf("%s, before the day: %q", lang, before)
		}
		r.clock.Advance(time.Date(2027, 1, 12, 0, 0, 0, 0, time.FixedZone("CET", 3600)).Sub(r.clock.Now()))
		r.pump()
		after := r.displayText() + visibleText(r.w.Cashier.Content())
		if strings.Contains(after, "MobilePay") || !strings.Contains(after, "Vipps") {
			t.Errorf("%s, from the day: %q", lang, after)
		}
	}
}

// A Danish store's customer display speaks Danish to a customer the till
// knows no language of, while the cashier reads English.
func TestCustomerDisplaySpeaksTheStoresLanguage(t *testing.T) {
	r := newRigWith(t, "en", func(o *Options) { o.CustomerLang = "da" })
	r.pump()
	if got := r.displayText(); !strings.Contains(got, "Velkommen til") {
		t.Errorf("display: %q", got)
	}
	if got := visibleText(r.w.Cashier.Content()); !strings.Contains(got, "Request payment") {
		t.Errorf("cashier: %q", got)
	}
}

// A customer who joins says yes to the club's offers by e-mail and no to
// SMS in the app; the display shows what they agreed to, in the club's
// words, and nothing they declined.
func TestTheDisplayShowsWhatTheNewMemberAgreedTo(t *testing.T) {
	per := ola
	per.Consents = []flow.MemberConsent{
		{ID: "email-offers", Text: "Offers by e-mail", Accepted: true},
		{ID: "sms-offers", Text: "Offers by SMS"},
	}
	r := newRig(t, "en", per)
	r.scan(per.QR)
	r.keypad("7090026220011\n")
	r.tap(r.w.cashier.enrol)
	for len(r.shop.Vipps.PendingLogins()) == 0 {
		time.Sleep(time.Millisecond)
	}
	r.answer("login", true)
	got := r.displayText()
	if !strings.Contains(got, "Du har sagt ja til:") || !strings.Contains(got, "✓ Offers by e-mail") || strings.Contains(got, "SMS") {
		t.Errorf("display after enrolment: %q", got)
	}
}
