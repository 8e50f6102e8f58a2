package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/ui/internal/fake"
)

var (
	products = []flow.Product{
		{GTIN: "7038010069307", Name: "Lettmelk 1 l", Price: 2490, VATRate: 15, Active: true},
		{GTIN: "7311041013663", Name: "Kaffe 500 g", Price: 8990, VATRate: 15, Active: true},
		{GTIN: "7090026220011", Name: "Handlenett", Price: 450, VATRate: 25, Active: true},
	}
	kari = fake.Customer{QR: "qr-kari", MSISDN: "4791234567", FirstName: "Kari", Member: true}
	ola  = fake.Customer{QR: "qr-ola", MSISDN: "4798765432", FirstName: "Ola"}
)

// phoneOf shows the fake till's pushes in the demo phone window.
type phoneOf struct{ t *fake.Till }

func (p phoneOf) Pushes() []PhonePush {
	var out []PhonePush
	for _, f := range p.t.Pushes() {
		out = append(out, PhonePush{ID: f.ID, Kind: f.Kind, Amount: f.Amount, Currency: f.Currency, BindingMessage: f.BindingMessage, MSISDN: f.MSISDN, Title: "Demobutikken"})
	}
	return out
}
func (p phoneOf) Answer(id string, ok bool) error { return p.t.Answer(id, ok) }

// OnChange: the fake changes only when the test acts, so the test refreshes
// the phone itself.
func (p phoneOf) OnChange(func()) {}

type rig struct {
	t    *testing.T
	now  time.Time
	till *fake.Till
	w    *Windows
}

// newRig opens all three windows on a fake till with a frozen clock; every
// intent runs to completion before the tap returns.
func newRig(t *testing.T, lang string, customers ...fake.Customer) *rig {
	return newRigWith(t, lang, nil, customers...)
}

// newRigWith is newRig with more options (cashier login, a wedge decoder).
func newRigWith(t *testing.T, lang string, more func(*Options), customers ...fake.Customer) *rig {
	a := test.NewTempApp(t)
	r := &rig{t: t, now: time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC)}
	r.till = fake.New(func() time.Time { return r.now }, products, customers)
	opt := Options{
		Till: r.till, Phone: phoneOf{r.till}, StoreName: "Demobutikken", Lang: lang,
		CustomerDisplay: Display{X: -1, Y: -1},
		Now:             func() time.Time { return r.now },
		Async:           func(f func()) { f() },
	}
	if more != nil {
		more(&opt)
	}
	r.w = New(a, opt)
	r.size(1024, 768)
	t.Cleanup(r.w.stop)
	return r
}

func (r *rig) size(w, h float32) {
	r.w.Cashier.Resize(fyne.NewSize(w, h))
	r.w.Customer.Resize(fyne.NewSize(w, h))
	r.w.Phone.Resize(fyne.NewSize(400, 700))
}

// snap compares every window with its golden markup under testdata/.
func (r *rig) snap(name string) {
	r.t.Helper()
	r.w.phone.refresh()
	test.AssertRendersToMarkup(r.t, name+"/cashier.xml", r.w.Cashier.Canvas())
	test.AssertRendersToMarkup(r.t, name+"/display.xml", r.w.Customer.Canvas())
	test.AssertRendersToMarkup(r.t, name+"/phone.xml", r.w.Phone.Canvas())
}

func (r *rig) scan(code string) {
	r.t.Helper()
	_ = r.w.opt.Till.Scan(r.t.Context(), flow.Scan{Kind: flow.ScanCustomerQR, Code: code, Source: "customer"})
}

func (r *rig) keypad(keys string) {
	for _, k := range keys {
		if k == '\n' {
			k = '\r'
		}
		test.Tap(r.w.cashier.keypad.keys[keyName(k)])
	}
}

func keyName(k rune) string {
	switch k {
	case '\r':
		return "enter"
	case '*':
		return "×"
	case '\b':
		return "⌫"
	}
	return string(k)
}

func (r *rig) answer(id string, approve bool) {
	r.t.Helper()
	r.w.phone.refresh()
	b := r.w.phone.answers[id+"/decline"]
	if approve {
		b = r.w.phone.answers[id+"/approve"]
	}
	if b == nil {
		r.t.Fatalf("the phone shows no %q request", id)
	}
	test.Tap(b)
}

// displayText is everything the customer can read on their screen.
func (r *rig) displayText() string {
	return visibleText(r.w.Customer.Content())
}

func TestMemberSale(t *testing.T) {
	r := newRig(t, "en", kari)
	r.snap("member/1-idle")

	r.scan(kari.QR)
	r.keypad("7038010069307\n2*7311041013663\n")
	test.Type(r.w.cashier.search, "hand")
	test.Tap(r.w.cashier.results.Objects[0].(*touchButton))
	r.snap("member/2-cart")
	if got := r.till.View().Total; got != 2490+2*8990+450 {
		t.Fatalf("total = %d, want milk + 2 coffee + bag", got)
	}

	test.Tap(r.w.cashier.request)
	r.snap("member/3-waiting")
	r.now = r.now.Add(65 * time.Second)
	r.w.tick()
	if got := r.w.cashier.countdown.Text; got != "3:55 left" {
		t.Errorf("countdown after 65 s = %q, want 3:55 left", got)
	}

	r.answer("payment", true)
	r.snap("member/4-paid")
	if err := r.till.Settle(flow.SettlementDone); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.displayText(), "Your receipt is in the app") {
		t.Errorf("customer display after settlement: %q", r.displayText())
	}

	test.Tap(r.w.cashier.newSale)
	if !strings.Contains(r.displayText(), "Welcome to Demobutikken") {
		t.Errorf("customer display after New sale: %q", r.displayText())
	}
}

func TestEnrolmentSaleWithQR(t *testing.T) {
	r := newRig(t, "en", ola)
	r.scan(ola.QR)
	r.keypad("7090026220011\n")
	if r.w.cashier.enrol.Hidden {
		t.Fatal("no Enrol button for a non-member")
	}
	if r.w.cashier.request.Disabled() {
		t.Fatal("Request payment disabled with a customer and a cart")
	}
	test.Tap(r.w.cashier.enrol)
	r.snap("enrol/1-pending")

	r.answer("login", true)
	if !r.w.cashier.enrol.Hidden {
		t.Error("Enrol button still offered after enrolling")
	}
	if !strings.Contains(r.displayText(), "Welcome to the club, Ola!") {
		t.Errorf("display after enrolment: %q", r.displayText())
	}

	test.Tap(r.w.cashier.qr)
	r.snap("enrol/2-qr")
	if want := r.till.View().Payment.QR; r.w.display.qrKey != want {
		t.Errorf("display QR = %q, want the payment link %q", r.w.display.qrKey, want)
	}
	if err := r.till.Approve(); err != nil {
		t.Fatal(err)
	}
	r.snap("enrol/3-paid")
}

func TestDeclinedPayment(t *testing.T) {
	r := newRig(t, "en", kari)
	r.scan(kari.QR)
	r.keypad("7311041013663\n")
	test.Tap(r.w.cashier.request)
	r.answer("payment", false)
	r.snap("declined")
	if r.w.cashier.request.Hidden || r.w.cashier.request.Disabled() {
		t.Error("cannot ask again after a decline")
	}
	if got := r.w.cashier.notice.Text; got != "The customer declined the payment" {
		t.Errorf("notice = %q", got)
	}
}

func TestCancelPayment(t *testing.T) {
	r := newRig(t, "en", kari)
	r.scan(kari.QR)
	r.keypad("7038010069307\n")
	test.Tap(r.w.cashier.request)
	if r.w.cashier.cancelPay.Hidden || r.w.cashier.cancelPay.Disabled() {
		t.Fatal("no Cancel payment while waiting")
	}
	test.Tap(r.w.cashier.cancelPay)
	r.snap("cancelled")
	if got := r.till.View().Payment.Status; got != flow.PaymentCancelled {
		t.Fatalf("payment %s after Cancel payment", got)
	}
	if len(r.w.phone.answers) != 0 {
		t.Error("the phone still shows the cancelled request")
	}
}

// visibleText collects the text of every visible object under o.
func visibleText(o fyne.CanvasObject) string {
	var b strings.Builder
	for _, obj := range test.LaidOutObjects(o) {
		if !obj.Visible() {
			continue
		}
		if txt, ok := textOf(obj); ok {
			b.WriteString(txt)
			b.WriteString("\n")
		}
	}
	return b.String()
}

func textOf(o fyne.CanvasObject) (string, bool) {
	if t, ok := o.(*canvas.Text); ok {
		return t.Text, true
	}
	return "", false
}
