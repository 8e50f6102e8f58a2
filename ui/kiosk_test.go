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
