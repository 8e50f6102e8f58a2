package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/flow/flowtest"
	"github.com/kasse-pos/kasse/ui/internal/shop"
)

var (
	products = []flow.Product{
		{GTIN: "7038010069307", Name: "Lettmelk 1 l", Price: 2490, VATRate: 15, Active: true},
		{GTIN: "7311041013663", Name: "Kaffe 500 g", Price: 8990, VATRate: 15, Active: true},
		{GTIN: "7090026220011", Name: "Handlenett", Price: 450, VATRate: 25, Active: true},
	}
	kari = shop.Customer{QR: "https://qr.vipps.no/p/kari", MSISDN: "4791234567", Name: "Kari Nordmann", GivenName: "Kari", Member: true}
	ola  = shop.Customer{QR: "https://qr.vipps.no/p/ola", MSISDN: "4798765432", Name: "Ola Hansen", GivenName: "Ola"}
	t0   = time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC)
)

// basket is 30 more items, for a big basket: "Vare 01" … "Vare 30".
func basket() []flow.Product {
	var out []flow.Product
	for i := 1; i <= 30; i++ {
		out = append(out, flow.Product{GTIN: gtin(fmt.Sprintf("700000000%03d", i)), Name: fmt.Sprintf("Vare %02d", i), Price: flow.Money(100 * i), VATRate: 15, Active: true})
	}
	return out
}

// gtin adds the check digit to 12 digits.
func gtin(d string) string {
	sum := 0
	for i, c := range d {
		n := int(c - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return d + strconv.Itoa((10-sum%10)%10)
}

// phoneOf shows the shop's customer phones in the demo phone window.
type phoneOf struct{ s *shop.Shop }

func (p phoneOf) Pushes() []PhonePush {
	var out []PhonePush
	for _, f := range p.s.Pushes() {
		out = append(out, PhonePush{ID: f.ID, Kind: f.Kind, Amount: f.Amount, Currency: f.Currency, BindingMessage: f.BindingMessage, MSISDN: f.MSISDN, Title: "Demobutikken"})
	}
	return out
}
func (p phoneOf) Answer(id string, ok bool) error { return p.s.Answer(context.Background(), id, ok) }

// OnChange: the test refreshes the phone itself, on its own goroutine.
func (p phoneOf) OnChange(func()) {}

// pumped is the checkout as the windows see it, except that new views
// reach them only when the test pumps: the checkout publishes from its own
// goroutines, and the test driver runs fyne.Do at once on the caller's.
type pumped struct {
	*flow.Checkout
	subs []func(flow.View)
}

func (p *pumped) Subscribe(fn func(flow.View)) func() {
	p.subs = append(p.subs, fn)
	return func() {}
}

type rig struct {
	t     *testing.T
	clock *flowtest.Clock
	shop  *shop.Shop
	till  *flow.Checkout
	feed  *pumped
	w     *Windows
}

// newRig opens all three windows on the real checkout, with the in-memory
// store, a fake clock and flowtest's Vipps playing the customers' phones;
// every tap runs its intent to completion before it returns.
func newRig(t *testing.T, lang string, customers ...shop.Customer) *rig {
	return newRigWith(t, lang, nil, customers...)
}

// newRigWith is newRig with more options (cashier login, a wedge decoder).
func newRigWith(t *testing.T, lang string, more func(*Options), customers ...shop.Customer) *rig {
	a := test.NewTempApp(t)
	r := &rig{t: t, clock: flowtest.NewClock(t0)}
	s, err := shop.Open(context.Background(), shop.Options{Products: append(slices.Clone(products), basket()...), Customers: customers, Clock: r.clock,
		BindingMessage: func() string { return "KX7-42Q" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	r.shop, r.till = s, s.Checkout
	r.feed = &pumped{Checkout: s.Checkout}
	opt := Options{
		Till: r.feed, Phone: phoneOf{s}, StoreName: "Demobutikken", Lang: lang,
		CustomerDisplay: Display{X: -1, Y: -1},
		Now:             r.clock.Now,
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

// pump shows the checkout's latest view in the windows.
func (r *rig) pump() {
	v := r.till.View()
	for _, fn := range r.feed.subs {
		fn(v)
	}
}

// await waits until the checkout's background work (calls to the fake
// Vipps take microseconds) reaches a view satisfying ok, and shows it.
func (r *rig) await(what string, ok func(v flow.View) bool) flow.View {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := r.till.View()
		if ok(v) {
			r.pump()
			return v
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("waiting for %s; the till shows %+v", what, v)
		}
		time.Sleep(time.Millisecond)
	}
}

// tap taps a button of the cashier window and shows what it did.
func (r *rig) tap(o fyne.Tappable) {
	r.t.Helper()
	test.Tap(o)
	r.pump()
}

// request taps Request payment and waits until the phone has it.
func (r *rig) request() {
	r.t.Helper()
	r.tap(r.w.cashier.request)
	r.await("payment waiting", func(v flow.View) bool { return v.Payment != nil && v.Payment.Status == flow.PaymentWaiting })
}

// settle runs the settlement worker as far as it gets.
func (r *rig) settle() {
	r.t.Helper()
	if err := r.shop.Settle(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.pump()
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

// scan is the customer showing their personal QR; it waits until the
// till knows who they are and has checked them in.
func (r *rig) scan(code string) {
	r.t.Helper()
	_ = r.till.Scan(r.t.Context(), flow.Scan{Kind: flow.ScanCustomerQR, Code: code, Source: "customer"})
	r.await("customer checked in", func(v flow.View) bool { return v.Customer != nil && v.Customer.CheckedIn })
}

func (r *rig) keypad(keys string) {
	for _, k := range keys {
		if k == '\n' {
			k = '\r'
		}
		r.tap(r.w.cashier.keypad.keys[keyName(k)])
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

// answer taps Approve or Decline on the phone's request of this kind
// ("payment" or "login") and waits for the till to hear of it.
func (r *rig) answer(kind string, approve bool) {
	r.t.Helper()
	r.w.phone.refresh()
	id := ""
	for _, p := range r.shop.Pushes() {
		if p.Kind == kind {
			id = p.ID
		}
	}
	b := r.w.phone.answers[id+"/decline"]
	if approve {
		b = r.w.phone.answers[id+"/approve"]
	}
	if b == nil {
		r.t.Fatalf("the phone shows no %s request", kind)
	}
	test.Tap(b)
	if kind == "login" {
		r.await("enrolment answered", func(v flow.View) bool { return v.Enrolment != nil && v.Enrolment.Status != flow.EnrolmentPending })
	} else {
		r.await("payment answered", func(v flow.View) bool { return v.Payment != nil && v.Payment.Status.Final() })
	}
	r.w.phone.refresh()
}

// approveQR is the customer paying the QR on the display in their app.
func (r *rig) approveQR() {
	r.t.Helper()
	ref := r.till.View().Payment.Reference
	r.shop.Vipps.Approve(ref)
	if err := r.shop.Notify(r.t.Context(), ref); err != nil {
		r.t.Fatal(err)
	}
	r.await("QR payment approved", func(v flow.View) bool { return v.Stage == flow.StagePaid })
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
	r.tap(r.w.cashier.results.Objects[0].(*touchButton))
	r.snap("member/2-cart")
	if got := r.till.View().Total; got != 2490+2*8990+450 {
		t.Fatalf("total = %d, want milk + 2 coffee + bag", got)
	}

	r.request()
	r.snap("member/3-waiting")
	r.clock.Advance(65 * time.Second)
	r.w.tick()
	if got := r.w.cashier.countdown.Text; got != "8:55 left" {
		t.Errorf("countdown after 65 s = %q, want 8:55 left of the ten minutes", got)
	}

	r.answer("payment", true)
	r.snap("member/4-paid")
	r.settle()
	if v := r.till.View(); v.Settlement != flow.SettlementDone {
		t.Fatalf("settlement %q after the worker ran", v.Settlement)
	}
	if !strings.Contains(r.displayText(), "Your receipt is in the app") {
		t.Errorf("customer display after settlement: %q", r.displayText())
	}
	if rc, ok := r.shop.Vipps.Receipt(r.till.View().Payment.Reference); !ok || len(rc.Lines) != 3 {
		t.Errorf("receipt at Vipps: %+v", rc)
	}

	r.tap(r.w.cashier.newSale)
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
	r.tap(r.w.cashier.enrol)
	for len(r.shop.Vipps.PendingLogins()) == 0 {
		time.Sleep(time.Millisecond) // the consent request is on its way to the phone
	}
	r.snap("enrol/1-pending")

	r.answer("login", true)
	if !r.w.cashier.enrol.Hidden {
		t.Error("Enrol button still offered after enrolling")
	}
	// Ola's number is Norwegian: the display greets him in Norwegian,
	// while the cashier reads English.
	if !strings.Contains(r.displayText(), "Velkommen i klubben, Ola!") {
		t.Errorf("display after enrolment: %q", r.displayText())
	}
	if m, err := r.shop.Store.MemberByMSISDN(t.Context(), ola.MSISDN); err != nil || m.FirstName() != "Ola" {
		t.Errorf("Ola in the club: %+v, %v", m, err)
	}

	r.tap(r.w.cashier.qr)
	r.await("QR shown", func(v flow.View) bool { return v.Payment != nil && v.Payment.QR != "" })
	r.snap("enrol/2-qr")
	if want := r.till.View().Payment.QR; r.w.display.qrKey != want {
		t.Errorf("display QR = %q, want the payment link %q", r.w.display.qrKey, want)
	}
	r.approveQR()
	r.snap("enrol/3-paid")
}

func TestDeclinedPayment(t *testing.T) {
	r := newRig(t, "en", kari)
	r.scan(kari.QR)
	r.keypad("7311041013663\n")
	r.request()
	r.answer("payment", false)
	r.snap("declined")
	if r.w.cashier.request.Hidden || r.w.cashier.request.Disabled() {
		t.Error("cannot ask again after a decline")
	}
	if got := r.w.cashier.notice.Text; got != "The customer declined the payment" {
		t.Errorf("notice = %q", got)
	}
	r.request()
	if got := r.till.View().Payment.Reference; got != "pos1-000001-2" {
		t.Errorf("the second request has reference %q", got)
	}
}

func TestCancelPayment(t *testing.T) {
	r := newRig(t, "en", kari)
	r.scan(kari.QR)
	r.keypad("7038010069307\n")
	r.request()
	if r.w.cashier.cancelPay.Hidden || r.w.cashier.cancelPay.Disabled() {
		t.Fatal("no Cancel payment while waiting")
	}
	r.tap(r.w.cashier.cancelPay)
	r.await("payment cancelled", func(v flow.View) bool { return v.Payment.Status == flow.PaymentCancelled })
	r.w.phone.refresh()
	r.snap("cancelled")
	if got := r.shop.Vipps.State(r.till.View().Payment.Reference); got != flow.VippsTerminated {
		t.Fatalf("Vipps has the payment %s after Cancel payment", got)
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
