package flow_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
)

// A manager switches to training mode; the training sale runs on a
// checkout with its own database and its own Vipps, is journaled marked as
// training in the till's own journal, and is counted apart on the Z
// report. Switching waits for the sale to end; a cashier cannot switch.
func TestTrainingModeKeepsTrainingSalesApart(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ej := flow.NewElectronicJournal(r.db, "pos1", time.UTC, r.clock.Now)
		ej.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		r.till.Close()
		r.onClosed = ej.SaleClosed
		r.start()

		tr := newRig(t, storetest.OpenSQLite(t)) // the training database and its own Vipps
		tr.till.Close()
		tr.onClosed = ej.TrainingSaleClosed
		tr.start()

		session := flow.NewCashierSession(r.db, ej, nil)
		boss, err := session.AddCashier(r.ctx, "Ola", flow.RoleManager, "1234")
		r.must(err)
		_, err = session.Login(r.ctx, boss.ID, "1234")
		r.must(err)
		kari, err := session.AddCashier(r.ctx, "Kari", flow.RoleCashier, "5678")
		r.must(err)
		made := 0
		till := &flow.TrainingTill{Real: r.till, Journal: ej, Session: session,
			NewTraining: func(context.Context) (flow.Till, error) { made++; return tr.till, nil }}
		defer till.Close()
		var mu sync.Mutex
		var seen []flow.View
		defer till.Subscribe(func(v flow.View) { mu.Lock(); seen = append(seen, v); mu.Unlock() })()

		_, err = session.Login(r.ctx, kari.ID, "5678")
		r.must(err)
		if err := till.SetTraining(r.ctx, true); !errors.Is(err, flow.ErrNotAllowed) {
			t.Fatalf("a cashier switched training on: %v", err)
		}
		_, err = session.Login(r.ctx, boss.ID, "1234")
		r.must(err)
		r.must(till.SetTraining(r.ctx, true))
		if v := till.View(); !v.Training || made != 1 {
			t.Fatalf("training on: view %+v, training till made %d times", v.Training, made)
		}

		// A training sale, on the training checkout and its Vipps only.
		r.must(till.Scan(r.ctx, flow.Scan{Kind: flow.ScanProduct, Code: melk}))
		if err := till.SetTraining(r.ctx, false); !errors.Is(err, flow.ErrSaleOpen) {
			t.Errorf("switched off during a sale: %v", err)
		}
		r.must(till.Scan(r.ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: qrOla}))
		tr.waitFor("customer", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
		r.must(till.RequestPayment(r.ctx))
		ref := tr.waitFor("waiting", func(v flow.View) bool { return v.Payment != nil && v.Payment.Status == flow.PaymentWaiting }).Payment.Reference
		tr.vipps.Approve(ref)
		tr.clock.Advance(time.Second)
		tr.status(flow.PaymentAuthorized)
		if len(r.vipps.Requests()) != 0 {
			t.Fatalf("the training sale reached the real Vipps: %+v", r.vipps.Requests())
		}
		if v := till.View(); !v.Training || v.Stage != flow.StagePaid {
			t.Errorf("training view after payment: %+v", v)
		}
		r.must(till.NewSale(r.ctx))
		r.must(till.SetTraining(r.ctx, false))
		if v := till.View(); v.Training {
			t.Error("still in training after switching off")
		}

		// A real sale after training.
		r.paidSale()

		var recs []flow.JournalRecord
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			recs, _ = r.db.JournalRecords(r.ctx, flow.JournalQuery{TillID: "pos1", Events: []flow.JournalEvent{flow.JournalSale, flow.JournalTrainingOn, flow.JournalTrainingOff}})
			if len(recs) == 4 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		// The training sale is journaled in the background when it closes,
		// so it may land after "training off"; it is marked either way.
		var ts, real flow.SaleRecord
		var events []flow.JournalEvent
		for _, rec := range recs {
			events = append(events, rec.Event)
			if rec.Event != flow.JournalSale {
				continue
			}
			sr, err := flow.SaleRecordOfJournal(rec)
			r.must(err)
			if sr.Training {
				ts = sr
				if rec.Receipt != "T-000001" || sr.ReceiptNumber != "T-000001" {
					t.Errorf("training sale journaled as receipt %q", rec.Receipt)
				}
			} else {
				real = sr
			}
		}
		if len(recs) != 4 || events[0] != flow.JournalTrainingOn || ts.Total == 0 || real.ReceiptNumber != "000001" {
			t.Fatalf("journal events %v; training sale %+v; real sale %+v", events, ts, real)
		}
		z, err := ej.ZReport(r.ctx)
		r.must(err)
		if z.Training.Count != 1 || z.Training.Amount != ts.Total || z.Sales.Count != 1 || z.Sales.Amount != real.Total || z.GrandTotalSales != real.Total {
			t.Errorf("Z counts training %+v, sales %+v, grand %d", z.Training, z.Sales, z.GrandTotalSales)
		}
		mu.Lock()
		defer mu.Unlock()
		training := false
		for _, v := range seen {
			training = training || (v.Training && v.Stage != flow.StageIdle) // Views are coalesced: any of the sale's
		}
		if len(seen) == 0 || !training || seen[len(seen)-1].Training {
			t.Errorf("subscribers saw the training sale marked %v (%d views)", training, len(seen))
		}
	})
}
