package app

import (
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// Vipps does not answer while the customer fumbles with the phone: the
// cashier takes the money in cash at once. The customer approves in the app
// a minute later; the till releases that approval at Vipps and never
// captures it — all over HTTP against the built-in simulator.
func TestLateApprovalAfterPayAnotherWayIsReleasedAtTheSimulator(t *testing.T) {
	tl := startDemoTill(t)
	ctx := t.Context()
	if err := tl.sim.SetAuto("none", 0); err != nil {
		t.Fatal(err)
	}
	const ola = "4798765432"
	till := tl.till
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
		t.Fatal(err)
	}
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/" + ola + "?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tl, "the customer", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if err := till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	v := waitFor(t, tl, "the push on the phone", func(v flow.View) bool { return v.Payment != nil && v.Payment.Status == flow.PaymentWaiting })
	ref := v.Payment.Reference

	// Vipps stops answering cancels: the release cannot go through yet.
	down := sim.Faults{Endpoints: map[string]sim.EndpointFaults{"epayment.cancel": {Error5xx: 1}}}
	tl.sim.SetFaults(down)
	if err := till.PayAnotherWay(ctx); err != nil {
		t.Fatal(err)
	}
	if err := till.Tender(ctx, flow.TenderRequest{Kind: flow.TenderCash, Amount: 100000}); err != nil {
		t.Fatal(err)
	}
	paid := waitFor(t, tl, "the sale paid in cash", func(v flow.View) bool { return v.Stage == flow.StagePaid })
	if paid.Change <= 0 || len(paid.Tenders) != 1 || paid.Tenders[0].Kind != flow.TenderCash {
		t.Fatalf("cash sale: %+v", paid)
	}

	// The customer approves the forgotten push.
	var pushID string
	for _, p := range tl.sim.Pushes(ola) {
		if p.Kind == sim.PushPayment {
			pushID = p.ID
		}
	}
	if err := tl.sim.Answer(pushID, true); err != nil {
		t.Fatal(err)
	}
	for wait := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		e, _ := tl.sim.LedgerFor(ref)
		if e.Authorized > 0 {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("the simulator did not take the late approval: %+v", e)
		}
	}
	// Vipps is back: the release goes through, and nothing is captured.
	tl.sim.SetFaults(sim.Faults{})
	deadline := time.Now().Add(30 * time.Second)
	for {
		tl.settler.Kick()
		e, _ := tl.sim.LedgerFor(ref)
		if e.Cancelled == e.Authorized && e.Authorized > 0 {
			if e.Captured != 0 || e.Captures != 0 {
				t.Fatalf("a released approval was captured: %+v", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the late approval was not released: %+v", e)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, err := tl.db.Sale(ctx, paid.SaleID)
	if err != nil || s.Stage != flow.StagePaid || len(s.Tenders) != 1 || s.Tenders[0].Kind != flow.TenderCash {
		t.Errorf("the sale in the database: %+v, %v", s, err)
	}
}

func TestPaperReceiptNamesEachTender(t *testing.T) {
	tl := &Till{cfg: DefaultConfig()}
	s := &flow.Sale{POSID: "pos1", ReceiptNumber: "000003", Currency: "NOK", Stage: flow.StagePaid,
		Lines:   []flow.SaleLine{{Name: "Melk", Quantity: 1, UnitPrice: 2490, VATRate: 15}},
		Payment: &flow.Payment{Reference: "abc-pos1-000003", Status: flow.PaymentCancelled},
		Tenders: []flow.Tender{{Kind: flow.TenderCard, Amount: 1000, Reference: "T-77"}, {Kind: flow.TenderCash, Amount: 1500, Given: 2000, Change: 500, Rounding: 10}}}
	r := tl.receipt(s, flow.ReceiptSale)
	if r.PaymentMethod != "Bankkort 10,00, Kontant 15,00 (veksel 5,00)" || r.PaymentRef != "T-77" || r.QR != "" {
		t.Errorf("paid with %q, ref %q, QR %q", r.PaymentMethod, r.PaymentRef, r.QR)
	}
}

func TestReturnReceiptShowsTheCreditNoteCode(t *testing.T) {
	tl := &Till{cfg: DefaultConfig()}
	rec := flow.SaleRecord{ReceiptNumber: "000003-R1", Return: true, Currency: "NOK", Total: -4500,
		Payments: []flow.SaleRecordPayment{{Method: string(flow.TenderCreditNote), Amount: -4500, Reference: "CNABCDEFGHJKLM"}}}
	r := tl.returnReceipt(rec, time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	if r.PaymentMethod != "Tilgodelapp 45,00" || r.PaymentRef != "CNABCDEFGHJKLM" || r.QR != "CNABCDEFGHJKLM" {
		t.Errorf("return receipt: paid with %q, ref %q, QR %q", r.PaymentMethod, r.PaymentRef, r.QR)
	}
}
