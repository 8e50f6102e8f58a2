package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/kasse-pos/kasse/flow"
)

// layOut lays the cashier window out at its size twice, as a real window
// does when a wrapped label learns its width and asks for more height.
func (r *rig) layOut() {
	size := r.w.Cashier.Canvas().Size()
	for range 2 {
		r.w.Cashier.Content().Refresh()
		r.w.Cashier.Resize(size)
		test.LaidOutObjects(r.w.Cashier.Content())
	}
}

// TestNoticeDoesNotMoveTheChrome: in kiosk mode at 1024×768 the window
// cannot grow, so a notice that wraps onto two lines or more must fit in
// the room kept for it. The toolbar, the keypad and the payment buttons stay
// where they are drawn, so a tap lands on what the cashier sees.
func TestNoticeDoesNotMoveTheChrome(t *testing.T) {
	r := newRig(t, "fi", kari, ola)
	pad := theme.Padding()
	c := r.w.cashier
	chrome := func() map[string]fyne.CanvasObject {
		return map[string]fyne.CanvasObject{"sales": c.sales, "parked": c.parked, "four": c.keypad.keys["4"],
			"enter": c.keypad.keys["enter"], "request": c.request, "void": c.voidSale, "cancel": c.cancelPay,
			"qr": c.qr, "enrol": c.enrol}
	}
	long := strings.Repeat("Maksupyyntö on lähetetty: myyntiä ei voi enää muuttaa. ", 6)
	for _, stage := range []string{"cart", "enrolling", "waiting"} {
		switch stage {
		case "cart":
			r.scan(kari.QR)
			r.keypad("7038010069307\n7311041013663\n")
		case "enrolling":
			test.Tap(c.voidSale)
			tapButton(t, r.w.Cashier.Canvas(), "Mitätöi myynti")
			r.pump()
			r.scan(ola.QR)
			r.keypad("7038010069307\n")
			r.tap(c.enrol)
		case "waiting":
			r.request()
		}
		r.layOut()
		before := map[string]rect{}
		for n, o := range chrome() {
			before[n] = placed(r.w.Cashier.Content(), o)
		}
		for _, text := range []string{"flow", "long"} {
			// Whatever flow says, and however long its translation.
			v := r.w.view
			v.Notice = &flow.Notice{Seq: 1000 + int64(len(before)) + int64(len(text)), Kind: flow.NoticeError,
				Key: "payment.failed", Text: "Vipps refused the payment request: vipps permanent (HTTP 400, code 7010): " + long}
			r.w.render(v)
			if text == "long" {
				c.notice.SetText(long)
			}
			r.layOut()
			if min := r.w.Cashier.Content().MinSize().AddWidthHeight(2*pad, 2*pad); min.Height > 768 || min.Width > 1024 {
				t.Errorf("%s, %s notice: the window needs %v, more than 1024×768", stage, text, min)
			}
			for n, o := range chrome() {
				if got := placed(r.w.Cashier.Content(), o); got != before[n] {
					t.Errorf("%s, %s notice: %s moved from %+v to %+v", stage, text, n, before[n], got)
				}
			}
			if a := placed(r.w.Cashier.Content(), c.notice); a.y+a.h > 768 || a.y < 0 {
				t.Errorf("%s, %s notice: notice at %+v is off screen", stage, text, a)
			}
		}
	}
}

// TestButtonsFollowTheView: the cashier window enables what flow's View
// says may be done, and nothing of its own: a sale with wares and a
// customer whose number is not known yet offers no Enrol, and a request
// still being created can already be cancelled.
func TestButtonsFollowTheView(t *testing.T) {
	r := newRig(t, "en", kari)
	c := r.w.cashier
	base := flow.View{Stage: flow.StageOpen, Currency: "NOK", SaleID: 1,
		Lines:    []flow.LineView{{GTIN: "7038010069307", Name: "Lettmelk 1 l", Quantity: 1, UnitPrice: 2490, Total: 2490, VATRate: 15}},
		Customer: &flow.CustomerView{}}
	for _, want := range []flow.View{
		{CanChangeLines: true, CanPayByQR: true, CanVoid: true},
		{CanChangeLines: true, CanEnrol: true, CanRequestPayment: true, CanPayByQR: true, CanVoid: true},
		{},
	} {
		v := base
		v.CanChangeLines, v.CanEnrol, v.CanRequestPayment, v.CanPayByQR, v.CanVoid = want.CanChangeLines, want.CanEnrol, want.CanRequestPayment, want.CanPayByQR, want.CanVoid
		r.w.render(v)
		got := flow.View{CanChangeLines: !c.lineQty[0][1].Disabled(), CanEnrol: c.enrol.Visible(), CanRequestPayment: !c.request.Disabled(),
			CanPayByQR: !c.qr.Disabled(), CanVoid: c.voidSale.Visible()}
		if got.CanChangeLines != want.CanChangeLines || got.CanEnrol != want.CanEnrol || got.CanRequestPayment != want.CanRequestPayment ||
			got.CanPayByQR != want.CanPayByQR || got.CanVoid != want.CanVoid {
			t.Errorf("view may %+v, window offers %+v", want, got)
		}
	}
	v := base
	v.Stage = flow.StagePaying
	v.Payment = &flow.PaymentView{Status: flow.PaymentRequesting, Push: true, Amount: 2490}
	v.CanCancel, v.CanPayByQR = true, true
	r.w.render(v)
	if c.cancelPay.Hidden || c.cancelPay.Disabled() {
		t.Error("Cancel payment is not offered while the request is being created")
	}
	v.Payment.Cancelling, v.CanCancel = true, false
	r.w.render(v)
	if !c.cancelPay.Disabled() || c.payStatus.Text != "Cancelling the payment request…" {
		t.Errorf("while cancelling: cancel enabled %v, status %q", !c.cancelPay.Disabled(), c.payStatus.Text)
	}
}

// TestNoticeGoesWithTheSale: "Payment approved" does not stay on the next,
// unpaid sale, and a notice leaves the screen after a while.
func TestNoticeGoesWithTheSale(t *testing.T) {
	r := newRig(t, "en", kari)
	r.scan(kari.QR)
	r.keypad("7038010069307\n")
	r.request()
	r.answer("payment", true)
	if got := r.w.cashier.notice.Text; got != "Payment approved" {
		t.Fatalf("notice after approval: %q", got)
	}
	r.tap(r.w.cashier.newSale)
	r.keypad("7311041013663\n")
	if got := r.w.cashier.notice.Text; got != "" {
		t.Errorf("the next sale shows the last one's notice %q", got)
	}
	r.keypad("7000000000003\n")
	if got := r.w.cashier.notice.Text; !strings.HasPrefix(got, "Unknown product 7000000000003") {
		t.Fatalf("notice for an unknown item: %q", got)
	}
	r.clock.Advance(flow.NoticeLifetime)
	r.pump()
	if got := r.w.cashier.notice.Text; got != "" {
		t.Errorf("notice still shown after %v: %q", flow.NoticeLifetime, got)
	}
}

// TestBigBasket: with 30 lines at 1024×768 the window keeps its size, both
// screens show the newest line, a finger drags the cart, and each row is a
// fingertip high.
func TestBigBasket(t *testing.T) {
	r := newRig(t, "nb", kari)
	r.scan(kari.QR)
	items := basket()
	for _, p := range items[:29] {
		if err := r.till.AddProduct(t.Context(), p.GTIN, 1); err != nil {
			t.Fatal(err)
		}
	}
	r.pump()
	r.keypad(items[29].GTIN + "\n") // the 30th as a cashier types it
	r.layOut()
	c := r.w.cashier
	if min := r.w.Cashier.Content().MinSize(); min.Height > 768-2*theme.Padding() {
		t.Errorf("30 lines make the window need %v", min)
	}
	if len(c.lineQty) != 30 {
		t.Fatalf("%d lines in the cart", len(c.lineQty))
	}
	view := placed(r.w.Cashier.Content(), c.cartScroll)
	last := c.lines.Objects[29]
	at := c.lines.Position().Add(last.Position())
	// The scroll shows its content moved up by the offset.
	if at.Y < 0 || at.Y+last.Size().Height > view.h+1 {
		t.Errorf("the newest line (at %v, scrolled %v) is not in the cart's view (%v high)", at, c.cartScroll.Offset(), view.h)
	}
	rows := 0
	for i, row := range c.lines.Objects {
		if h := row.Size().Height; h < MinTouch {
			t.Errorf("row %d is %.0f high, less than a fingertip", i, h)
		}
		if y := c.lines.Position().Y + row.Position().Y; y >= 0 && y+row.Size().Height <= view.h+1 {
			rows++
		}
	}
	if rows < 6 {
		t.Errorf("only %d whole rows fit in the cart at 1024×768", rows)
	}
	t.Logf("%d whole rows of %.0f dp show at 1024×768", rows, last.Size().Height)
	before := c.cartScroll.Offset().Y
	c.cartScroll.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DY: 200}})
	if got := c.cartScroll.Offset().Y; got != before-200 {
		t.Errorf("dragging the cart down by 200 moved it from %v to %v", before, got)
	}
	// The customer display, too, shows the newest line.
	if !strings.Contains(r.displayText(), "Vare 30") {
		t.Errorf("the customer display does not show the newest line:\n%s", r.displayText())
	}
}
