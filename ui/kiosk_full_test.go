package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/kasse-pos/kasse/flow"
)

// TestTheWholeTillFitsTheKiosk: the cashier window as a store runs it —
// a manager logged in, reports, settings and training in the tool row, a
// member with club savings, a two-line notice — still fits 1024×768 in
// every stage of a sale, in every language.
func TestTheWholeTillFitsTheKiosk(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) { wholeTillFits(t, lang) })
	}
}

func wholeTillFits(t *testing.T, lang string) {
	var session *flow.CashierSession
	r := newRigWith(t, lang, func(o *Options) {
		cashierLogin(t, &session)(o)
		o.StoreOps.SetTraining = func(context.Context, bool) error { return nil }
		o.OnSettings = func(fyne.Window) {}
	}, kari)
	cs, _ := session.Cashiers(t.Context())
	if _, err := session.Login(t.Context(), cs[0].ID, "1234"); err != nil {
		t.Fatal(err)
	}
	r.pump()
	pad := theme.Padding()
	fits := func(stage string) {
		t.Helper()
		r.layOut()
		if min := r.w.Cashier.Content().MinSize().AddWidthHeight(2*pad, 2*pad); min.Width > 1024 || min.Height > 768 {
			t.Errorf("%s: the cashier window needs %v, more than 1024×768", stage, min)
		}
		test.LaidOutObjects(r.w.Cashier.Content())
	}
	fits("idle")
	r.scan(kari.QR)
	r.keypad("7038010069307\n7311041013663\n")
	fits("cart with a member")
	v := r.w.view
	v.Notice = &flow.Notice{Seq: 999, Kind: flow.NoticeError, Key: "payment.failed", Text: "x"}
	r.w.render(v)
	fits("cart with a notice")
	r.request()
	fits("waiting")
	r.answer("payment", true)
	fits("paid")
}
