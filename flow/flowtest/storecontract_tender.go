package flowtest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/kasse-pos/kasse/flow"
)

// tender adds t to a copy of s as the change that stores it.
func tender(s *flow.Sale, t flow.Tender, redeem ...flow.VoucherRedemption) flow.SaleChange {
	next := s.Clone()
	t.Seq, t.At = len(next.Tenders), c0
	next.Tenders = append(next.Tenders, t)
	if next.Due() <= 0 {
		next.Stage, next.ClosedAt = flow.StagePaid, c0
	}
	return flow.SaleChange{Sale: next, Tenders: []flow.Tender{t}, Redeem: redeem,
		Journal: []flow.JournalEntry{{From: "open", To: string(next.Stage), At: c0, Detail: "tender " + string(t.Kind)}}}
}

func contractTenders(t *testing.T, db ContractStore) {
	ctx := context.Background()
	must(t, db.IssueVoucher(ctx, flow.Voucher{Code: "GV-1", Kind: flow.TenderVoucher, Currency: "NOK", Amount: 5000, Balance: 5000}, flow.JournalEntry{}))
	if err := db.IssueVoucher(ctx, flow.Voucher{Code: "GV-1", Kind: flow.TenderVoucher, Currency: "NOK", Amount: 100, Balance: 100}, flow.JournalEntry{}); err == nil {
		t.Error("a voucher code was issued twice")
	}
	if _, err := db.Voucher(ctx, "NOPE"); !errors.Is(err, flow.ErrNoRecord) {
		t.Errorf("unknown voucher: %v", err)
	}
	s := newSale(t, db, "pos1", milk, bread) // 5180 + 3490 = 8670
	card := tender(s, flow.Tender{Kind: flow.TenderCard, Amount: 2000, Reference: "T-77"})
	must(t, db.SaveSale(ctx, card))
	got, err := db.Sale(ctx, s.ID)
	must(t, err)
	vo := tender(got, flow.Tender{Kind: flow.TenderVoucher, Amount: 5000, Reference: "GV-1"}, flow.VoucherRedemption{Code: "GV-1", Amount: 5000})
	must(t, db.SaveSale(ctx, vo))
	got, _ = db.Sale(ctx, s.ID)
	cash := tender(got, flow.Tender{Kind: flow.TenderCash, Amount: 1700, Given: 2000, Change: 300, Rounding: 30})
	must(t, db.SaveSale(ctx, cash))

	got, err = db.Sale(ctx, s.ID)
	must(t, err)
	if got.Stage != flow.StagePaid || len(got.Tenders) != 3 || got.Due() != 0 || got.Rounding() != 30 {
		t.Fatalf("stored sale: %s, due %d, rounding %d, tenders %+v", got.Stage, got.Due(), got.Rounding(), got.Tenders)
	}
	want := []flow.Tender{
		{Seq: 0, Kind: flow.TenderCard, Amount: 2000, Reference: "T-77"},
		{Seq: 1, Kind: flow.TenderVoucher, Amount: 5000, Reference: "GV-1"},
		{Seq: 2, Kind: flow.TenderCash, Amount: 1700, Given: 2000, Change: 300, Rounding: 30},
	}
	for i, w := range want {
		g := got.Tenders[i]
		if g.ID == 0 || g.SaleID != s.ID || !g.At.Equal(c0) {
			t.Errorf("tender %d: id %d sale %d at %v", i, g.ID, g.SaleID, g.At)
		}
		g.ID, g.SaleID, g.At = 0, 0, w.At
		if g != w {
			t.Errorf("tender %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if v, _ := db.Voucher(ctx, "GV-1"); v.Balance != 0 || v.Amount != 5000 {
		t.Errorf("voucher after redemption: %+v", v)
	}
	// A tender number taken twice is refused whole.
	dup := cash
	dup.Sale = got.Clone()
	dup.Tenders = []flow.Tender{{Seq: 2, Kind: flow.TenderCard, Amount: 1, At: c0}}
	if err := db.SaveSale(ctx, dup); err == nil {
		t.Error("a second tender with the same number was stored")
	}
	if again, _ := db.Sale(ctx, s.ID); len(again.Tenders) != 3 || again.Version != got.Version {
		t.Errorf("refused change half-stored: %d tenders, version %d → %d", len(again.Tenders), got.Version, again.Version)
	}

	// A return through the cash and the voucher, never more than each paid.
	ret := flow.Return{SaleID: s.ID, Returned: map[int]int{0: 1},
		Tenders: []flow.TenderRefund{{Seq: 2, Kind: flow.TenderCash, Amount: 1700}, {Seq: 1, Kind: flow.TenderVoucher, Amount: 890, Reference: "GV-1"}},
		Redeem:  []flow.VoucherRedemption{{Code: "GV-1", Amount: -890}},
		Issue:   &flow.Voucher{Code: "CN-RET", Kind: flow.TenderCreditNote, Currency: "NOK", Amount: 100, Balance: 100},
		Journal: flow.JournalEntry{From: "paid", To: "paid/refund-queued", At: c0, Detail: "return"}}
	must(t, db.AddReturn(ctx, ret))
	over := ret
	over.Returned, over.Redeem, over.Issue = nil, nil, nil
	over.Tenders = []flow.TenderRefund{{Seq: 2, Kind: flow.TenderCash, Amount: 1}}
	if err := db.AddReturn(ctx, over); !errors.Is(err, flow.ErrRefundTooLarge) {
		t.Errorf("a tender giving back more than it paid: %v", err)
	}
	got, _ = db.Sale(ctx, s.ID)
	if got.Tenders[2].Refunded != 1700 || got.Tenders[1].Refunded != 890 || got.Tenders[0].Refunded != 0 || got.Lines[0].RefundedQty != 1 {
		t.Errorf("after the return: tenders %+v, lines %+v", got.Tenders, got.Lines)
	}
	if v, _ := db.Voucher(ctx, "GV-1"); v.Balance != 890 {
		t.Errorf("voucher balance after the return: %d", v.Balance)
	}
	if v, err := db.Voucher(ctx, "CN-RET"); err != nil || v.Balance != 100 || v.SaleID != s.ID {
		t.Errorf("credit note issued: %+v, %v", v, err)
	}
	sums, _ := db.RecentSales(ctx, "pos1", 1)
	if len(sums) != 1 || sums[0].Stage != flow.StagePaid || sums[0].Refunded != 1700+890 {
		t.Errorf("summary %+v", sums)
	}
}

func contractVoucherOnce(t *testing.T, db ContractStore) {
	ctx := context.Background()
	must(t, db.IssueVoucher(ctx, flow.Voucher{Code: "CN-9", Kind: flow.TenderCreditNote, Currency: "NOK", Amount: 3000, Balance: 3000}, flow.JournalEntry{}))
	a, b := newSale(t, db, "pos1", milk), newSale(t, db, "pos2", milk)
	// More than the balance, or an unknown code: refused, nothing stored.
	over := tender(a, flow.Tender{Kind: flow.TenderCreditNote, Amount: 3100, Reference: "CN-9"}, flow.VoucherRedemption{Code: "CN-9", Amount: 3100})
	if err := db.SaveSale(ctx, over); !errors.Is(err, flow.ErrVoucherSpent) {
		t.Errorf("redeeming more than the balance: %v", err)
	}
	unknown := tender(a, flow.Tender{Kind: flow.TenderVoucher, Amount: 100, Reference: "X"}, flow.VoucherRedemption{Code: "X", Amount: 100})
	if err := db.SaveSale(ctx, unknown); !errors.Is(err, flow.ErrVoucherSpent) {
		t.Errorf("redeeming an unknown voucher: %v", err)
	}
	if got, _ := db.Sale(ctx, a.ID); len(got.Tenders) != 0 || got.Version != a.Version {
		t.Errorf("refused redemption stored: %+v", got.Tenders)
	}
	// Two tills spend the whole balance at once: exactly one gets it.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*flow.Sale{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.SaveSale(ctx, tender(s, flow.Tender{Kind: flow.TenderCreditNote, Amount: 3000, Reference: "CN-9"},
				flow.VoucherRedemption{Code: "CN-9", Amount: 3000}))
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("both or neither redemption went through: %v, %v", errs[0], errs[1])
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, flow.ErrVoucherSpent) {
			t.Errorf("the losing redemption: %v (want ErrVoucherSpent)", err)
		}
	}
	if v, _ := db.Voucher(ctx, "CN-9"); v.Balance != 0 {
		t.Errorf("balance %d after one full redemption", v.Balance)
	}
	// Given back (a void): the balance returns, never above what was issued.
	winner := a
	if errs[0] != nil {
		winner = b
	}
	cur, _ := db.Sale(ctx, winner.ID)
	back := cur.Clone()
	back.Stage = flow.StageCancelled
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: back, Redeem: []flow.VoucherRedemption{{Code: "CN-9", Amount: -3000}}}))
	if v, _ := db.Voucher(ctx, "CN-9"); v.Balance != 3000 {
		t.Errorf("balance %d after giving it back", v.Balance)
	}
	cur, _ = db.Sale(ctx, winner.ID)
	if err := db.SaveSale(ctx, flow.SaleChange{Sale: cur, Redeem: []flow.VoucherRedemption{{Code: "CN-9", Amount: -1}}}); !errors.Is(err, flow.ErrVoucherSpent) {
		t.Errorf("a balance above the issued amount: %v", err)
	}
}
