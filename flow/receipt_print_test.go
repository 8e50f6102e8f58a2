package flow_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
)

// printingTill is a checkout on the rig's database with a printer that
// records what kind of receipt it printed.
type printingTill struct {
	*flow.Checkout
	mu      sync.Mutex
	printed []flow.ReceiptKind
	journal []flow.ReceiptKind
	fail    bool
}

func (r *rig) printingTill(posID string) *printingTill {
	p := &printingTill{}
	p.Checkout = flow.NewCheckout(flow.Options{POSID: posID, Currency: "NOK", StoreName: "Testbutikken", Store: r.db,
		Vipps: r.vipps, Clock: r.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Receipts: r.db,
		Print: func(_ context.Context, _ *flow.Sale, kind flow.ReceiptKind) error {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.fail {
				return errors.New("paper out")
			}
			p.printed = append(p.printed, kind)
			return nil
		},
		OnReceiptPrinted: func(_ context.Context, _ *flow.Sale, kind flow.ReceiptKind) {
			p.mu.Lock()
			p.journal = append(p.journal, kind)
			p.mu.Unlock()
		}})
	r.t.Cleanup(p.Close)
	return p
}

// paidSale runs one sale through to authorized and returns its id.
func (r *rig) paidSale() int64 {
	r.t.Helper()
	r.customer(qrOla)
	r.product(melk)
	ref := r.paying().Payment.Reference
	r.vipps.Approve(ref)
	r.clock.Advance(time.Second)
	return r.status(flow.PaymentAuthorized).SaleID
}

// The customer gets one Salgskvittering and at most one KOPI, whichever
// till prints them (kassasystemforskrifta § 2-8-6).
func TestOneSalesReceiptAndOneCopyAcrossTills(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		id := r.paidSale()
		pos1, pos2 := r.printingTill("pos1"), r.printingTill("pos2")

		// A jammed printer does not use up the receipt.
		pos1.fail = true
		if err := pos1.Reprint(r.ctx, id); err == nil {
			t.Fatal("a failed print reported success")
		}
		pos1.fail = false
		r.must(pos1.Reprint(r.ctx, id))
		r.must(pos2.Reprint(r.ctx, id))
		var ne *flow.NoticedError
		for _, p := range []*printingTill{pos1, pos2} {
			if err := p.Reprint(r.ctx, id); !errors.As(err, &ne) || ne.Notice.Key != "print.copy_taken" || ne.Notice.Args["Receipt"] != "000001" {
				t.Errorf("a second copy: %v", err)
			}
		}
		if v := pos2.View(); v.Notice == nil || v.Notice.Key != "print.copy_taken" {
			t.Errorf("the refusal is not on the screen: %+v", v.Notice)
		}
		if len(pos1.printed) != 1 || pos1.printed[0] != flow.ReceiptSale || len(pos2.printed) != 1 || pos2.printed[0] != flow.ReceiptCopy {
			t.Errorf("printed: pos1 %v, pos2 %v; want the sales receipt, then one copy", pos1.printed, pos2.printed)
		}
		if len(pos1.journal) != 1 || len(pos2.journal) != 1 {
			t.Errorf("journaled: %v %v", pos1.journal, pos2.journal)
		}
	})
}

// When the receipt went to the customer's Vipps app, that is the sales
// receipt: the first paper one is already the copy.
func TestAfterTheVippsReceiptPaperIsTheCopy(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		id := r.paidSale()
		r.must(r.db.Gorm().Model(&store.OutboxJobRow{}).Where("sale_id = ? AND kind = ?", id, flow.JobReceipt).Update("state", flow.JobDone).Error)
		p := r.printingTill("pos1")
		r.must(p.Reprint(r.ctx, id))
		if err := p.Reprint(r.ctx, id); err == nil {
			t.Error("a second paper receipt after the Vipps one")
		}
		if len(p.printed) != 1 || p.printed[0] != flow.ReceiptCopy {
			t.Errorf("printed %v, want one copy", p.printed)
		}
	})
}
