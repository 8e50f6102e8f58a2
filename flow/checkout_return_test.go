package flow_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

func TestPlanRefund(t *testing.T) {
	split := &flow.Sale{Currency: "NOK", Stage: flow.StagePaid, Tenders: []flow.Tender{
		{Seq: 0, Kind: flow.TenderCash, Amount: 5000},
		{Seq: 1, Kind: flow.TenderVipps, Amount: 6490, Reference: "r-1"},
	}}
	for _, c := range []struct {
		name     string
		s        *flow.Sale
		amount   flow.Money
		credit   bool
		want     []flow.TenderRefund
		rounding flow.Money
		err      bool
	}{
		{"Vipps gives back first", split, 2590, false, []flow.TenderRefund{{Seq: 1, Kind: flow.TenderVipps, Amount: 2590, Reference: "r-1"}}, 0, false},
		{"then cash, rounded to whole kroner", split, 8900, false, []flow.TenderRefund{{Seq: 1, Kind: flow.TenderVipps, Amount: 6490, Reference: "r-1"}, {Seq: 0, Kind: flow.TenderCash, Amount: 2400}}, 10, false},
		{"never more than a tender paid", split, 11491, false, nil, 0, true},
		{"a credit note takes it all", split, 8900, true, []flow.TenderRefund{{Seq: -1, Kind: flow.TenderCreditNote, Amount: 8900}}, 0, false},
		{"a tender already given back is skipped", &flow.Sale{Currency: "NOK", Stage: flow.StagePaid, Tenders: []flow.Tender{
			{Seq: 0, Kind: flow.TenderCard, Amount: 3000, Reference: "T1"},
			{Seq: 1, Kind: flow.TenderVoucher, Amount: 1000, Refunded: 1000, Reference: "GV"},
		}}, 3000, false, []flow.TenderRefund{{Seq: 0, Kind: flow.TenderCard, Amount: 3000, Reference: "T1"}}, 0, false},
		{"a Vipps sale from before tenders", &flow.Sale{Currency: "NOK", Stage: flow.StagePaid,
			Payment: &flow.Payment{Reference: "old", Status: flow.PaymentAuthorized, Amount: 2590, Authorized: 2590}}, 2590, false,
			[]flow.TenderRefund{{Seq: 0, Kind: flow.TenderVipps, Amount: 2590, Reference: "old"}}, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, rounding, err := flow.PlanRefund(c.s, c.amount, c.credit)
			if c.err {
				if !errors.Is(err, flow.ErrRefundTooLarge) {
					t.Fatalf("err %v, want ErrRefundTooLarge", err)
				}
				return
			}
			if err != nil || rounding != c.rounding || len(got) != len(c.want) {
				t.Fatalf("got %+v rounding %d err %v, want %+v rounding %d", got, rounding, err, c.want, c.rounding)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("part %d: %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

// A split sale returned in two goes: Vipps by refund, then cash from the
// drawer; each gives back exactly what it took, no more.
func TestReturnsGoBackToTheirTenders(t *testing.T) {
	tenderRig(t, func(t *testing.T, r *rig, d *drawer) {
		r.customer(qrKari)
		r.product(melk)
		r.product(batteri) // 114.90
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash, Amount: 5000}))
		ref := r.paying().Payment.Reference
		r.vipps.Approve(ref)
		r.clock.Advance(time.Second)
		id := r.status(flow.PaymentAuthorized).SaleID
		r.settle()
		opened := d.opened.Load()

		res, err := r.till.RefundTo(r.ctx, id, flow.RefundRequest{Lines: map[int]int{1: 1}}) // the battery, 89.00
		r.must(err)
		if len(res.Parts) != 2 || res.Parts[0].Kind != flow.TenderVipps || res.Parts[0].Amount != 6490 || res.Parts[1].Kind != flow.TenderCash || res.Parts[1].Amount != 2400 || res.Rounding != 10 {
			t.Fatalf("return of the battery: %+v", res)
		}
		r.settle()
		if info, _ := r.vipps.GetPayment(r.ctx, ref); info.Refunded != 6490 {
			t.Errorf("Vipps refunded %d, want 6490", info.Refunded)
		}
		r.waitFor("drawer opened for the cash back", func(flow.View) bool { return d.opened.Load() == opened+1 })

		res, err = r.till.RefundTo(r.ctx, id, flow.RefundRequest{Lines: map[int]int{0: 1}}) // the milk, 25.90: cash only now
		r.must(err)
		if len(res.Parts) != 1 || res.Parts[0].Kind != flow.TenderCash || res.Parts[0].Amount != 2600 || res.Rounding != -10 {
			t.Fatalf("return of the milk: %+v", res)
		}
		s, _ := r.db.Sale(r.ctx, id)
		if s.Tenders[0].Refunded != 5000 || s.Tenders[1].Refunded != 6490 {
			t.Errorf("refunded per tender: %+v", s.Tenders)
		}
		var ne *flow.NoticedError
		if _, err := r.till.RefundTo(r.ctx, id, flow.RefundRequest{}); !errors.As(err, &ne) || ne.Notice.Key != "refund.nothing_left" {
			t.Errorf("a third return: %v", err)
		}
	})
}

func TestReturnToCardVoucherAndAsCreditNote(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		r.must(r.db.IssueVoucher(r.ctx, flow.Voucher{Code: "GV-1", Kind: flow.TenderVoucher, Currency: "NOK", Amount: 1000, Balance: 1000}, flow.JournalEntry{}))
		r.product(melk)
		r.product(brod) // 65.80
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderVoucher, Reference: "GV-1"}))
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCard, Reference: "T-9"}))
		id := r.till.View().SaleID
		res, err := r.till.RefundTo(r.ctx, id, flow.RefundRequest{Lines: map[int]int{1: 1}}) // 39.90 back to the card
		r.must(err)
		if len(res.Parts) != 1 || res.Parts[0] != (flow.TenderRefund{Seq: 1, Kind: flow.TenderCard, Amount: 3990, Reference: "T-9"}) {
			t.Fatalf("card return: %+v", res.Parts)
		}
		res, err = r.till.RefundTo(r.ctx, id, flow.RefundRequest{}) // 25.90: 15.90 card, 10.00 onto the voucher
		r.must(err)
		if len(res.Parts) != 2 || res.Parts[0].Amount != 1590 || res.Parts[1].Kind != flow.TenderVoucher || res.Parts[1].Amount != 1000 {
			t.Fatalf("card + voucher return: %+v", res.Parts)
		}
		if v, _ := r.db.Voucher(r.ctx, "GV-1"); v.Balance != 1000 {
			t.Errorf("voucher balance after the return: %d", v.Balance)
		}
		if jobs := r.jobs(id); len(jobs) != 0 {
			t.Errorf("a sale without Vipps queued %+v", jobs)
		}

		// A customer who wants a credit note gets one, and pays with it.
		r.must(r.till.NewSale(r.ctx))
		r.product(avis) // 45.00
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash}))
		id = r.till.View().SaleID
		res, err = r.till.RefundTo(r.ctx, id, flow.RefundRequest{CreditNote: true})
		r.must(err)
		cn := res.CreditNote
		if cn == nil || cn.Amount != 4500 || cn.Balance != 4500 || cn.Kind != flow.TenderCreditNote || len(cn.Code) != 14 {
			t.Fatalf("credit note: %+v", cn)
		}
		r.must(r.till.NewSale(r.ctx))
		r.product(batteri) // 89.00: 45.00 by the credit note, the rest in cash
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCreditNote, Reference: cn.Code}))
		if v := r.till.View(); v.Due != 4400 || v.Tenders[0].Kind != flow.TenderCreditNote {
			t.Fatalf("paying with the credit note: %+v", v)
		}
	})
}
