package flow_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

func TestRoundCash(t *testing.T) {
	for _, c := range []struct {
		cur      string
		in, want flow.Money
	}{
		{"NOK", 2590, 2600}, {"NOK", 2549, 2500}, {"NOK", 2550, 2600}, {"NOK", 2500, 2500}, {"NOK", 49, 0}, {"NOK", -2550, -2600},
		{"DKK", 2524, 2500}, {"DKK", 2525, 2550}, {"DKK", 2574, 2550}, {"DKK", 2575, 2600}, {"DKK", 2550, 2550},
		{"EUR", 1002, 1000}, {"EUR", 1003, 1005}, {"EUR", 1007, 1005}, {"EUR", 1008, 1010}, {"EUR", 1005, 1005},
		{"SEK", 1234, 1234},
	} {
		if got := flow.RoundCash(c.cur, c.in); got != c.want {
			t.Errorf("RoundCash(%s, %d) = %d, want %d", c.cur, c.in, got, c.want)
		}
	}
}

// drawer counts openings and journal calls of a rig's cash drawer.
type drawer struct{ opened, journaled atomic.Int32 }

func (d *drawer) wire(o *flow.Options) {
	o.OpenDrawer = func(context.Context) error { d.opened.Add(1); return nil }
	o.OnDrawerOpened = func(context.Context, *flow.Sale) { d.journaled.Add(1) }
}

func tenderRig(t *testing.T, fn func(t *testing.T, r *rig, d *drawer)) {
	each(t, func(t *testing.T, r *rig) {
		d := &drawer{}
		r.till.Close()
		r.options = d.wire
		r.start()
		fn(t, r, d)
	})
}

func TestCashWithChangeAndRounding(t *testing.T) {
	tenderRig(t, func(t *testing.T, r *rig, d *drawer) {
		r.product(melk) // 25.90
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash, Amount: 5000}))
		v := r.till.View()
		if v.Stage != flow.StagePaid || v.Due != 0 || v.Change != 2400 || v.Rounding != 10 || v.Paid != 2600 {
			t.Fatalf("paid 50 kr cash for 25.90: %+v", v)
		}
		r.waitFor("drawer opened and journaled", func(flow.View) bool { return d.opened.Load() == 1 && d.journaled.Load() == 1 })
		s, err := r.db.Sale(r.ctx, v.SaleID)
		r.must(err)
		if len(s.Tenders) != 1 || s.Tenders[0] != (flow.Tender{ID: s.Tenders[0].ID, SaleID: s.ID, Kind: flow.TenderCash, Amount: 2600, Given: 5000, Change: 2400, Rounding: 10, At: s.Tenders[0].At}) {
			t.Errorf("stored tenders %+v", s.Tenders)
		}
		if len(r.vipps.Requests()) != 0 || len(r.jobs(s.ID)) != 0 {
			t.Errorf("a cash sale went to Vipps: %d requests, %d jobs", len(r.vipps.Requests()), len(r.jobs(s.ID)))
		}
		j := r.journal(s.ID)
		if last := j[len(j)-1].Detail; !strings.Contains(last, "tender cash 2600") || !strings.Contains(last, "change 2400") {
			t.Errorf("journal ends with %q", last)
		}
		r.must(r.till.NewSale(r.ctx))
		// "Exact": the rounded amount, no change.
		r.product(brod) // 39.90
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash}))
		if v := r.till.View(); v.Stage != flow.StagePaid || v.Change != 0 || v.Paid != 4000 || v.Rounding != 10 {
			t.Errorf("exact cash: %+v", v)
		}
	})
}

func TestCashRoundingPerCountry(t *testing.T) {
	for _, c := range []struct {
		cur                  string
		given, paid, rounded flow.Money
	}{
		{"NOK", 0, 2600, 10},    // 25.90 → 26
		{"DKK", 0, 2600, 10},    // 25.90 → 26.00 (nearest 50 øre)
		{"EUR", 3000, 2590, 0},  // 25.90 is whole 5 cent
		{"DKK", 2000, 2000, 0},  // part payment: never rounded
		{"EUR", 10000, 2590, 0}, // change 74.10
	} {
		t.Run(c.cur, func(t *testing.T) {
			each(t, func(t *testing.T, r *rig) {
				r.till.Close()
				r.options = func(o *flow.Options) { o.Currency = c.cur }
				r.start()
				r.product(melk)
				r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash, Amount: c.given}))
				v := r.till.View()
				if v.Paid != c.paid || v.Rounding != c.rounded {
					t.Errorf("%s: paid %d rounding %d, want %d and %d", c.cur, v.Paid, v.Rounding, c.paid, c.rounded)
				}
			})
		})
	}
}

func TestCardOnTheTerminal(t *testing.T) {
	tenderRig(t, func(t *testing.T, r *rig, d *drawer) {
		r.product(melk)
		r.product(brod) // 65.80
		var ne *flow.NoticedError
		if err := r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCard, Amount: 9000}); !errors.As(err, &ne) || ne.Notice.Key != "tender.card_too_much" {
			t.Fatalf("card for more than due: %v", err)
		}
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCard, Reference: " 000123 "}))
		v := r.till.View()
		if v.Stage != flow.StagePaid || len(v.Tenders) != 1 || v.Tenders[0].Amount != 6580 || v.Tenders[0].Reference != "000123" || v.Rounding != 0 {
			t.Errorf("card: %+v", v)
		}
		if d.opened.Load() != 0 {
			t.Error("the drawer opened for a card payment")
		}
	})
}

func TestSplitCashThenVipps(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrKari)
		r.product(melk)
		r.product(batteri) // 25.90 + 89.00 = 114.90
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash, Amount: 5000}))
		if v := r.till.View(); v.Stage != flow.StageOpen || v.Due != 6490 || v.Rounding != 0 || v.CanChangeLines {
			t.Fatalf("after 50 kr cash: %+v", v)
		}
		ref := r.paying().Payment.Reference
		if req := r.vipps.Requests(); req[len(req)-1].Amount != 6490 {
			t.Fatalf("Vipps asked for %d, want the 64.90 still due", req[len(req)-1].Amount)
		}
		r.vipps.Approve(ref)
		r.clock.Advance(time.Second)
		v := r.status(flow.PaymentAuthorized)
		if v.Stage != flow.StagePaid || v.Due != 0 || len(v.Tenders) != 2 || v.Tenders[1].Kind != flow.TenderVipps || v.Tenders[1].Amount != 6490 {
			t.Fatalf("split paid: %+v", v)
		}
		jobs := r.jobs(v.SaleID)
		if len(jobs) != 3 || jobs[1].Kind != flow.JobCapture || jobs[1].Amount != 6490 {
			t.Fatalf("capture of the Vipps part only: %+v", jobs)
		}
		r.settle()
		if info, _ := r.vipps.GetPayment(r.ctx, ref); info.Captured != 6490 {
			t.Errorf("Vipps captured %d, want 6490", info.Captured)
		}
		if rc, ok := r.vipps.Receipt(ref); !ok || rc.PaymentSources == nil || rc.PaymentSources.Cash != 5000 || flow.ReceiptTotal(rc) != 11490 {
			t.Errorf("receipt at Vipps: %+v", rc)
		}
		s, _ := r.db.Sale(r.ctx, v.SaleID)
		if got := flow.SaleRecordOf(s).Payments; len(got) != 2 || got[0].Method != "cash" || got[0].Amount != 5000 || got[1].Method != "vipps" || got[1].Amount != 6490 {
			t.Errorf("journal payments %+v", got)
		}
	})
}

func TestVoucherAndCreditNote(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.must(r.db.IssueVoucher(r.ctx, flow.Voucher{Code: "GV-3000", Kind: flow.TenderVoucher, Currency: "NOK", Amount: 3000, Balance: 3000}, flow.JournalEntry{}))
		r.product(melk) // 25.90
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderVoucher, Reference: "GV-3000"}))
		if v := r.till.View(); v.Stage != flow.StagePaid || v.Tenders[0].Amount != 2590 || v.Tenders[0].Kind != flow.TenderVoucher {
			t.Fatalf("voucher: %+v", v)
		}
		if g, _ := r.db.Voucher(r.ctx, "GV-3000"); g.Balance != 410 {
			t.Errorf("balance %d, want 4.10 left", g.Balance)
		}
		r.must(r.till.NewSale(r.ctx))
		r.product(brod) // 39.90: 4.10 from the voucher, the rest by card
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderVoucher, Reference: "GV-3000"}))
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCard}))
		if v := r.till.View(); v.Stage != flow.StagePaid || len(v.Tenders) != 2 || v.Tenders[1].Amount != 3580 {
			t.Fatalf("voucher + card: %+v", v)
		}
		r.must(r.till.NewSale(r.ctx))
		r.product(melk)
		var ne *flow.NoticedError
		for code, key := range map[string]string{"GV-3000": "tender.voucher_spent", "NOPE": "tender.voucher_unknown"} {
			if err := r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderVoucher, Reference: code}); !errors.As(err, &ne) || ne.Notice.Key != key {
				t.Errorf("voucher %s: %v, want %s", code, err, key)
			}
		}
		// A voided sale gives the voucher's amount back.
		r.must(r.db.IssueVoucher(r.ctx, flow.Voucher{Code: "CN-1", Kind: flow.TenderCreditNote, Currency: "NOK", Amount: 1000, Balance: 1000}, flow.JournalEntry{}))
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCreditNote, Reference: "CN-1"}))
		if v := r.till.View(); v.Tenders[0].Kind != flow.TenderCreditNote || v.Due != 1590 {
			t.Fatalf("credit note part: %+v", v)
		}
		r.must(r.till.VoidSale(r.ctx))
		if g, _ := r.db.Voucher(r.ctx, "CN-1"); g.Balance != 1000 {
			t.Errorf("credit note balance after the void: %d", g.Balance)
		}
	})
}

// Vipps cannot be reached while the customer waits: the cashier takes the
// money in cash at once; the customer's approval that arrives later is
// released, never captured on top.
func TestPayAnotherWayReleasesALateApproval(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		ref := r.paying().Payment.Reference
		var down []error
		for range 50 {
			down = append(down, &flow.GatewayError{Kind: flow.ErrTransient})
		}
		r.vipps.SetErrs(nil, down, down)
		if v := r.till.View(); !v.CanPayAnotherWay || v.CanTender {
			t.Fatalf("while Vipps waits: another way %v, tender %v", v.CanPayAnotherWay, v.CanTender)
		}
		r.must(r.till.PayAnotherWay(r.ctx))
		v := r.till.View()
		if v.Stage != flow.StageOpen || !v.CanTender || v.Due != 2590 || v.Notice == nil || v.Notice.Key != "tender.moved" {
			t.Fatalf("after Pay another way: %+v", v)
		}
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash, Amount: 10000}))
		if v := r.till.View(); v.Stage != flow.StagePaid || v.Change != 7400 {
			t.Fatalf("cash after Vipps: %+v", v)
		}
		// The customer approves after all.
		r.vipps.SetErrs(nil, nil, nil)
		r.vipps.Approve(ref)
		r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: ref, Name: flow.VippsAuthorized, Amount: 2590, PSPReference: "late", Success: true, At: t0}))
		for _, j := range r.jobs(v.SaleID) {
			if j.Kind != flow.JobRelease {
				t.Errorf("job %s queued for a sale paid in cash", j.Kind)
			}
		}
		r.settle()
		info, _ := r.vipps.GetPayment(r.ctx, ref)
		if info.Captured != 0 || info.Cancelled != info.Authorized {
			t.Errorf("late approval: captured %d, cancelled %d of %d", info.Captured, info.Cancelled, info.Authorized)
		}
		s, _ := r.db.Sale(r.ctx, v.SaleID)
		if len(s.Tenders) != 1 || s.Tenders[0].Kind != flow.TenderCash || s.Stage != flow.StagePaid {
			t.Errorf("the sale: %s %+v", s.Stage, s.Tenders)
		}
	})
}

// A request that failed on our side may still be approved. Once cash took
// part of what it asked for, such an approval is released, not taken.
func TestLateApprovalAfterAPartTenderIsReleased(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.customer(qrOla)
		r.product(melk)
		r.product(brod)
		r.vipps.CreateLost = true
		r.vipps.SetErrs([]error{&flow.GatewayError{Kind: flow.ErrPermanent, Status: 400, Code: "3010"}}, nil, nil)
		r.must(r.till.RequestPayment(r.ctx))
		ref := r.status(flow.PaymentFailed).Payment.Reference
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash, Amount: 2000}))
		r.vipps.Approve(ref)
		r.must(r.till.HandlePaymentEvent(r.ctx, flow.PaymentEvent{Reference: ref, Name: flow.VippsAuthorized, Amount: 6580, PSPReference: "a", Success: true, At: t0}))
		v := r.till.View()
		if v.Stage != flow.StageOpen || v.Due != 4580 {
			t.Fatalf("late approval taken on top of cash: %+v", v)
		}
		jobs := r.jobs(v.SaleID)
		if len(jobs) != 1 || jobs[0].Kind != flow.JobRelease {
			t.Errorf("jobs %+v, want one release", jobs)
		}
	})
}

func TestNoNewSaleWhileTheDrawerIsOpen(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		var open atomic.Bool
		open.Store(true)
		r.till.Close()
		r.options = func(o *flow.Options) { o.DrawerIsOpen = open.Load }
		r.start()
		var ne *flow.NoticedError
		if err := r.scan(flow.ScanProduct, melk); !errors.As(err, &ne) || ne.Notice.Key != "tender.drawer_open" {
			t.Fatalf("scan with the drawer open: %v", err)
		}
		open.Store(false)
		r.product(melk)
		if v := r.till.View(); v.Stage != flow.StageOpen || len(v.Lines) != 1 {
			t.Errorf("after closing the drawer: %+v", v)
		}
	})
}
