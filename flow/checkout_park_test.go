package flow_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// A sale is parked while the next customer pays, survives a restart, is
// resumed and paid; both moves are journaled (13010, 13011) and the Z report
// waits while it is parked.
func TestParkAndResumeASale(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ej := flow.NewElectronicJournal(r.db, "pos1", time.UTC, r.clock.Now)
		ej.Work = r.db
		ej.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		r.till.Close()
		r.onParked = ej.SaleParked
		r.start()

		if v := r.till.View(); v.CanPark {
			t.Error("an idle till offers to park")
		}
		r.product(melk)
		r.product(brod)
		v := r.till.View()
		parkedID, parkedTotal := v.SaleID, v.Total
		if !v.CanPark {
			t.Fatal("an open sale with wares cannot be parked")
		}
		r.must(r.till.ParkSale(r.ctx))
		if v := r.till.View(); v.Stage != flow.StageIdle || v.ParkedSales != 1 || v.CanPark {
			t.Fatalf("after parking: %+v", v)
		}
		var blocked *flow.ZBlockedError
		if _, err := ej.ZReport(r.ctx); !errors.As(err, &blocked) || len(blocked.ParkedReceipts) != 1 || blocked.Notice().Key != "reports.z_parked_sale" {
			t.Errorf("Z with a parked sale: %v", err)
		}

		// The next customer pays meanwhile, and the till restarts.
		r.paidSale()
		r.must(r.till.NewSale(r.ctx))
		r.restart()
		if v := r.till.View(); v.ParkedSales != 1 || v.Stage != flow.StageIdle {
			t.Fatalf("after a restart: %+v", v)
		}
		parked, err := r.till.ParkedSales(r.ctx)
		if err != nil || len(parked) != 1 || parked[0].SaleID != parkedID || parked[0].Total != parkedTotal {
			t.Fatalf("parked sales: %+v %v", parked, err)
		}
		// Another till cannot take it.
		other := flow.NewCheckout(flow.Options{POSID: "pos2", Currency: "NOK", Store: r.db, Vipps: r.vipps, Clock: r.clock, Parking: r.db,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		defer other.Close()
		if err := other.ResumeSale(r.ctx, parkedID); !errors.Is(err, flow.ErrNotParked) {
			t.Errorf("pos2 resumed pos1's sale: %v", err)
		}

		r.must(r.till.ResumeSale(r.ctx, parkedID))
		v = r.till.View()
		if v.SaleID != parkedID || v.Stage != flow.StageOpen || len(v.Lines) != 2 || v.ParkedSales != 0 {
			t.Fatalf("resumed: %+v", v)
		}
		if err := r.till.ResumeSale(r.ctx, parkedID); err == nil {
			t.Error("resumed twice")
		}
		r.customer(qrOla)
		r.vipps.Approve(r.paying().Payment.Reference)
		r.clock.Advance(time.Second)
		r.status(flow.PaymentAuthorized)

		// The journal hooks run in the background; wait for both.
		deadline := time.Now().Add(5 * time.Second)
		var events []string
		for time.Now().Before(deadline) {
			recs, _ := r.db.JournalRecords(r.ctx, flow.JournalQuery{TillID: "pos1", Events: []flow.JournalEvent{flow.JournalSaleParked, flow.JournalSaleResumed}})
			events = events[:0]
			for _, rec := range recs {
				events = append(events, string(rec.Event)+" "+rec.Receipt)
				if rec.Amount != parkedTotal {
					t.Errorf("%s with amount %d, want %d", rec.Event, rec.Amount, parkedTotal)
				}
			}
			if len(events) == 2 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got := strings.Join(events, ", "); got != "sale-parked 000001, sale-resumed 000001" {
			t.Errorf("journal: %s", got)
		}
	})
}

func TestOnlyAnOpenSaleWithWaresIsParked(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		var ne *flow.NoticedError
		if err := r.till.ParkSale(r.ctx); !errors.As(err, &ne) || ne.Notice.Key != "sale.cannot_park" {
			t.Errorf("parking nothing: %v", err)
		}
		r.customer(qrOla)
		r.product(melk)
		r.paying()
		if r.till.View().CanPark {
			t.Error("a sale with a payment out may be parked")
		}
		if err := r.till.ParkSale(r.ctx); !errors.As(err, &ne) {
			t.Errorf("parking while paying: %v", err)
		}
	})
}
