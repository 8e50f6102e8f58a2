package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
)

// A till that stopped between storing a paid sale and journaling it
// journals the sale on its next start, once.
func TestJournalCatchesUpOnSalesClosedBeforeACrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		ej := flow.NewElectronicJournal(db, "pos1", time.UTC, func() time.Time { at = at.Add(time.Minute); return at })
		closeSale := func(stage flow.Stage, journaled bool) *flow.Sale {
			t.Helper()
			s := &flow.Sale{POSID: "pos1", Currency: "NOK", Stage: flow.StageOpen, CreatedAt: at,
				Lines: []flow.SaleLine{{GTIN: "7038010000737", Name: "Melk", Quantity: 1, UnitPrice: 2590, VATRate: 15}}}
			if err := db.CreateSale(ctx, s, flow.JournalEntry{At: at, To: "open"}); err != nil {
				t.Fatal(err)
			}
			s.Stage, s.ClosedAt, s.UpdatedAt = stage, at.Add(time.Second), at.Add(time.Second)
			if err := db.SaveSale(ctx, flow.SaleChange{Sale: s}); err != nil {
				t.Fatal(err)
			}
			if journaled {
				ej.SaleClosed(ctx, s)
			}
			return s
		}
		// Sales from before the journal existed are not the journal's.
		closeSale(flow.StagePaid, false)
		if err := ej.RecordEvent(ctx, flow.JournalAppStart, 0, "", 0, ""); err != nil {
			t.Fatal(err)
		}
		closeSale(flow.StagePaid, true)
		lost := closeSale(flow.StagePaid, false)
		lostVoid := closeSale(flow.StageCancelled, false)
		closeSale(flow.StageOpen, false) // still being scanned

		n, err := ej.CatchUp(ctx, db)
		if err != nil || n != 2 {
			t.Fatalf("CatchUp = %d, %v; want the lost sale and the lost void", n, err)
		}
		recs, _ := db.JournalRecords(ctx, flow.JournalQuery{TillID: "pos1", Events: []flow.JournalEvent{flow.JournalSale, flow.JournalVoid}})
		if len(recs) != 3 || recs[1].SaleID != lost.ID || recs[1].Amount != 2590 || recs[2].SaleID != lostVoid.ID || recs[2].Event != flow.JournalVoid {
			t.Fatalf("journal after catching up: %+v", recs)
		}
		if n, err := ej.CatchUp(ctx, db); err != nil || n != 0 {
			t.Fatalf("second CatchUp = %d, %v", n, err)
		}
	})
}
