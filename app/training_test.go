package app

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/hardware"
)

// A manager trains on a running till: the training sale is paid and
// settled on a simulator of its own, never on the till's Vipps (here the
// demo simulator stands in for Vipps) and never in the shop's sales; the
// journal has it, marked as training.
func TestTrainingSalesNeverReachTheTillsVipps(t *testing.T) {
	tl := startDemoTill(t)
	ctx := t.Context()
	cs, err := tl.session.Cashiers(ctx)
	if err != nil || len(cs) == 0 {
		t.Fatalf("cashiers %v %v", cs, err)
	}
	if _, err := tl.session.Login(ctx, cs[0].ID, DemoManagerPIN); err != nil {
		t.Fatal(err)
	}
	if err := tl.training.SetTraining(ctx, true); err != nil {
		t.Fatal(err)
	}
	if tl.trainingSim == nil || tl.trainingSim == tl.sim {
		t.Fatal("training mode has no simulator of its own")
	}
	if _, err := os.Stat(filepath.Join(tl.cfg.DataDir, TrainingDBName)); err != nil {
		t.Fatalf("no training database: %v", err)
	}
	if err := tl.trainingSim.SetAuto("approve", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	till := tl.till
	// The barcode scanner's path, as a person scans at the till.
	tl.Scan(ctx, hardware.Scan{Kind: hardware.ScanProduct, Code: "7038800010014", Source: hardware.SourceCashier})
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	view := func(ok func(flow.View) bool) flow.View {
		t.Helper()
		for time.Now().Before(deadline) {
			if v := till.View(); ok(v) {
				return v
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("timed out; view %+v", till.View())
		return flow.View{}
	}
	view(func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if err := till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	paid := view(func(v flow.View) bool { return v.Stage == flow.StagePaid && v.Settlement == flow.SettlementDone })
	if !paid.Training {
		t.Error("the training sale's View is not marked as training")
	}
	if n := len(tl.sim.Ledger()); n != 0 {
		t.Errorf("the till's Vipps saw %d payments during training", n)
	}
	if e, ok := tl.trainingSim.LedgerFor(paid.Payment.Reference); !ok || e.Captures != 1 {
		t.Errorf("training simulator's record: %+v %v", e, ok)
	}
	if recent, err := tl.db.RecentSales(ctx, tl.cfg.Store.POSID, 10); err != nil || len(recent) != 0 {
		t.Errorf("the shop's sales show %d sales after training (%v)", len(recent), err)
	}
	if err := till.NewSale(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tl.training.SetTraining(ctx, false); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) {
		rec, err := tl.db.LastJournalRecord(ctx, tl.cfg.Store.POSID, flow.JournalSale)
		if err == nil {
			s, _ := flow.SaleRecordOfJournal(rec)
			if !s.Training || rec.Receipt != flow.TrainingReceiptPrefix+"000001" || rec.Signature == "" {
				t.Errorf("journaled training sale: %+v", rec)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the training sale was not journaled")
}
