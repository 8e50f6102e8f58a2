package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/kasse-pos/kasse/flow"
)

// cashDialog opens the cash entry and returns its buttons by name.
func (r *rig) cashDialog() map[string]*touchButton {
	r.t.Helper()
	r.tap(r.w.cashier.tender.cash)
	if r.w.cashier.tender.buttons == nil {
		r.t.Fatal("the cash entry did not open")
	}
	return r.w.cashier.tender.buttons
}

func TestCashSaleWithChange(t *testing.T) {
	r := newRig(t, "en")
	r.keypad("7038010069307\n") // 24.90
	r.snap("tender/1-cart")
	b := r.cashDialog()
	r.snap("tender/2-cash-entry")
	r.tap(b["cash.200"])
	v := r.till.View()
	if v.Stage != flow.StagePaid || v.Change != 17500 || v.Rounding != 10 {
		t.Fatalf("paid 200 for 24.90: %+v", v)
	}
	if got := r.w.cashier.tender.change.Text; got != "Change kr 175,00" {
		t.Errorf("cashier shows %q", got)
	}
	if !strings.Contains(r.displayText(), "Change kr 175,00") {
		t.Errorf("customer display: %q", r.displayText())
	}
	r.snap("tender/3-change")
	r.tap(r.w.cashier.newSale)

	// A typed amount: 30 for 24.90.
	r.keypad("7038010069307\n")
	b = r.cashDialog()
	for _, k := range "30" {
		r.tap(b["cash.key."+string(k)])
	}
	if got := r.w.cashier.tender.given.Text; got != "Given: kr 30,00" {
		t.Errorf("typed amount shows %q", got)
	}
	r.tap(b["cash.ok"])
	if v := r.till.View(); v.Stage != flow.StagePaid || v.Change != 500 {
		t.Errorf("paid 30: %+v", v)
	}
}

func TestSplitCashAndVipps(t *testing.T) {
	r := newRig(t, "en", kari)
	r.scan(kari.QR)
	r.keypad("7311041013663\n") // 89.90
	b := r.cashDialog()
	r.tap(b["cash.50"])
	v := r.till.View()
	if v.Stage != flow.StageOpen || v.Due != 3990 || !strings.Contains(r.w.cashier.tender.summary.Text, "Due kr 39,90") {
		t.Fatalf("after 50 in cash: %+v, summary %q", v, r.w.cashier.tender.summary.Text)
	}
	if !strings.Contains(r.displayText(), "Paid kr 50,00 · Due kr 39,90") {
		t.Errorf("customer display: %q", r.displayText())
	}
	r.snap("tender/4-split-due")
	r.request()
	if p := r.till.View().Payment; p.Amount != 3990 {
		t.Fatalf("Vipps asked for %d", p.Amount)
	}
	r.answer("payment", true)
	v = r.await("paid", func(v flow.View) bool { return v.Stage == flow.StagePaid })
	if len(v.Tenders) != 2 || v.Tenders[1].Kind != flow.TenderVipps || v.Tenders[1].Amount != 3990 {
		t.Errorf("tenders %+v", v.Tenders)
	}
}

func TestCardVoucherAndPayAnotherWay(t *testing.T) {
	r := newRig(t, "en", ola)
	if err := r.shop.Store.IssueVoucher(context.Background(), flow.Voucher{Code: "GV-2000", Kind: flow.TenderVoucher, Currency: "NOK", Amount: 2000, Balance: 2000}, flow.JournalEntry{}); err != nil {
		t.Fatal(err)
	}
	r.keypad("7311041013663\n") // 89.90
	r.tap(r.w.cashier.tender.voucher)
	test.Type(r.w.cashier.tender.code, "GV-2000")
	r.w.cashier.tender.code.OnSubmitted("GV-2000")
	r.pump()
	if v := r.till.View(); v.Due != 6990 || v.Tenders[0].Kind != flow.TenderVoucher {
		t.Fatalf("after the voucher: %+v", v)
	}
	// Vipps cannot be reached: the rest moves to the card terminal.
	r.scan(ola.QR)
	r.request()
	if !r.w.cashier.tender.another.Visible() {
		t.Fatal("no Pay another way while Vipps waits")
	}
	r.tap(r.w.cashier.tender.another)
	r.tap(r.w.cashier.tender.card)
	r.tap(r.w.cashier.tender.buttons["card.ok"])
	v := r.till.View()
	if v.Stage != flow.StagePaid || len(v.Tenders) != 2 || v.Tenders[1].Kind != flow.TenderCard || v.Tenders[1].Amount != 6990 {
		t.Fatalf("card for the rest: %+v", v)
	}
}
