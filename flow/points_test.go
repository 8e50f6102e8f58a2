package flow_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
)

// pay asks the identified customer for the sale and approves it.
func (r *rig) pay() flow.View {
	r.t.Helper()
	ref := r.paying().Payment.Reference
	r.vipps.Approve(ref)
	r.clock.Advance(time.Second)
	return r.status(flow.PaymentAuthorized)
}

func (r *rig) kariPoints() flow.MemberPoints {
	r.t.Helper()
	m, err := r.db.MemberByMSISDN(r.ctx, kari)
	r.must(err)
	mp, err := r.db.MemberPoints(r.ctx, m.ID, r.clock.Now())
	r.must(err)
	return mp
}

// Points are earned when the sale is paid, per whole krone of each line;
// 200 points make a cheque of kr 50, used at a later sale as a discount;
// a return takes its points back.
func TestPointsChequesAndReturns(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		clubRig(t, r)
		r.customer(qrKari)
		r.must(r.till.AddProduct(r.ctx, ost, 3)) // 3 × 69.90 = 209.70 → 209 points
		r.product(avis)                          // 45.00 → 45 points
		v := r.waitFor("member prices", func(v flow.View) bool { return v.Discount == 6000 })
		if v.Points == nil || v.Points.Balance != 0 || v.CanUseCheque {
			t.Fatalf("before the sale: points %+v, can use cheque %v", v.Points, v.CanUseCheque)
		}
		if mp := r.kariPoints(); mp.Balance != 0 {
			t.Fatalf("points before payment: %+v", mp)
		}
		paid := r.pay()
		if paid.Points == nil || paid.Points.Earned != 254 || paid.Points.Balance != 54 || paid.Points.ChequesIssued != 1 || paid.Points.ChequeValue != 5000 {
			t.Fatalf("after payment: %+v", paid.Points)
		}
		mp := r.kariPoints()
		if mp.Balance != 54 || len(mp.Cheques) != 1 || mp.Cheques[0].Amount != 5000 {
			t.Fatalf("balance after the first sale: %+v", mp)
		}
		first := paid.SaleID

		// The next sale: the cheque pays kr 50 of it, spread over its lines.
		r.must(r.till.NewSale(r.ctx))
		r.product(batteri)
		r.product(melk)
		r.customer(qrKari)
		v = r.waitFor("cheque offered", func(v flow.View) bool { return v.CanUseCheque })
		if v.Points.Cheques != 1 || v.Points.ChequeValue != 5000 {
			t.Errorf("cheques shown %+v", v.Points)
		}
		r.must(r.till.UseCheque(r.ctx))
		v = r.till.View()
		if v.ChequeUsed != 5000 || v.Total != 8900+2590-5000 || v.CanUseCheque {
			t.Fatalf("with the cheque: used %d, total %d, can use again %v", v.ChequeUsed, v.Total, v.CanUseCheque)
		}
		for _, l := range v.Lines {
			if l.Total != l.UnitPrice*flow.Money(l.Quantity)-l.Discount || l.Discount <= 0 {
				t.Errorf("line %s: %+v", l.Name, l)
			}
		}
		paid = r.pay()
		if paid.Total != 6490 || paid.Points.Earned != 64 /* 49.37 + 15.53 */ {
			t.Errorf("second sale: total %d, points %+v", paid.Total, paid.Points)
		}
		mp = r.kariPoints()
		if len(mp.Cheques) != 0 || mp.Balance != 54+paid.Points.Earned {
			t.Errorf("after redeeming: %+v", mp)
		}

		// Returning one of the three cheeses takes back a third of 209 points.
		r.must(r.till.Refund(r.ctx, first, map[int]int{0: 1}))
		if got := r.kariPoints().Balance; got != 54+paid.Points.Earned-69 {
			t.Errorf("after a return: balance %d", got)
		}
		m, err := r.db.MemberByMSISDN(r.ctx, kari)
		r.must(err)
		hist, err := r.db.PointsHistory(r.ctx, m.ID)
		r.must(err)
		var sum int64
		for _, h := range hist {
			sum += h.Points
		}
		if len(hist) != 4 || sum != r.kariPoints().Balance {
			t.Errorf("history %+v sums to %d", hist, sum)
		}
	})
}

// A voided sale earns nothing and gives its cheque back; a cheque is used
// by one sale at a time.
func TestVoidGivesTheChequeBack(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		clubRig(t, r)
		m, err := r.db.MemberByMSISDN(r.ctx, kari)
		r.must(err)
		r.must(r.db.AwardPoints(r.ctx, &flow.PointsAward{MemberID: m.ID, Points: 250, Key: "import-1", Rule: clubRules().Points}))
		r.customer(qrKari)
		r.product(brod)
		r.waitFor("cheque offered", func(v flow.View) bool { return v.CanUseCheque })
		chequeID := r.kariPoints().Cheques[0].ID
		r.must(r.till.UseCheque(r.ctx))
		cheque := r.till.View()
		if err := r.db.ReserveCheque(r.ctx, chequeID, cheque.SaleID+1000); err == nil {
			t.Error("another sale took the cheque in use")
		}
		r.must(r.till.VoidSale(r.ctx))
		if mp := r.kariPoints(); len(mp.Cheques) != 1 || mp.Balance != 50 {
			t.Errorf("after the void: %+v", mp)
		}
		// The customer leaving gives it back as well.
		r.must(r.till.NewSale(r.ctx))
		r.product(brod)
		r.customer(qrKari)
		r.waitFor("cheque offered", func(v flow.View) bool { return v.CanUseCheque })
		r.must(r.till.UseCheque(r.ctx))
		r.customer(qrOla)
		v := r.waitFor("ordinary prices", func(v flow.View) bool { return v.Customer != nil && !v.Customer.Member })
		if v.ChequeUsed != 0 || v.Discount != 0 || len(r.kariPoints().Cheques) != 1 {
			t.Errorf("after the member left: cheque %d, discount %d, cheques %+v", v.ChequeUsed, v.Discount, r.kariPoints())
		}
	})
}

// Tills sharing one database add points at once: none are lost, and every
// 50 points become exactly one cheque.
func TestPointsFromManyTillsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		m := &flow.Member{MSISDN: kari, Sub: "sub-kari", Name: "Kari"}
		if err := db.AddMember(ctx, m); err != nil {
			t.Fatal(err)
		}
		rule := flow.PointsRule{PerKrone: 1, ChequeAt: 50, ChequeValue: 1000}
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- db.AwardPoints(ctx, &flow.PointsAward{MemberID: m.ID, SaleID: int64(i + 1), Points: 7, Key: fmt.Sprintf("earn-%d", i+1), Rule: rule})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// The same award again counts once.
		if err := db.AwardPoints(ctx, &flow.PointsAward{MemberID: m.ID, SaleID: 1, Points: 7, Key: "earn-1", Rule: rule}); err != nil {
			t.Fatal(err)
		}
		mp, err := db.MemberPoints(ctx, m.ID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(mp.Cheques) != 280/50 || mp.Balance != 280-50*int64(len(mp.Cheques)) {
			t.Errorf("40 × 7 points: balance %d, %d cheques", mp.Balance, len(mp.Cheques))
		}
	})
}

// A sale paid in cash earns its points too, when the tenders cover it.
func TestPointsOnACashSale(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		clubRig(t, r)
		r.customer(qrKari)
		r.product(ost) // 69.90 → 69 points
		r.waitFor("member price", func(v flow.View) bool { return v.Discount == 2000 })
		r.must(r.till.Tender(r.ctx, flow.TenderRequest{Kind: flow.TenderCash, Amount: 10000}))
		v := r.till.View()
		if v.Stage != flow.StagePaid || v.Points == nil || v.Points.Earned != 69 || v.Points.Balance != 69 {
			t.Errorf("after cash: stage %s, points %+v", v.Stage, v.Points)
		}
	})
}
