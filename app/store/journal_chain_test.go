package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
)

// fillJournal writes n drawer openings and a sale to till's journal.
func fillJournal(t *testing.T, db *store.DB, till string, n int) *flow.ElectronicJournal {
	t.Helper()
	at := time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)
	j := flow.NewElectronicJournal(db, till, time.UTC, func() time.Time { at = at.Add(time.Second); return at })
	j.SetCashier(flow.Cashier{ID: 1, Name: "Kari"})
	ctx := context.Background()
	for i := range n {
		if err := j.RecordEvent(ctx, flow.JournalDrawerOpen, 0, "", flow.Money(i), "manual"); err != nil {
			t.Fatal(err)
		}
	}
	sale := flow.SaleRecord{SaleID: 9, ReceiptNumber: "000009", Currency: "NOK", Total: 4990,
		Lines:    []flow.SaleRecordLine{{GTIN: "7038010000737", Name: "Melk «lett»", Quantity: 2, UnitPrice: 2495, Total: 4990, Net: 4339, VAT: 651, VATRate: 15}},
		Payments: []flow.SaleRecordPayment{{Method: flow.PaymentVipps, Amount: 4990, Reference: "pos1-000009"}}}
	if _, err := j.RecordSale(ctx, sale); err != nil {
		t.Fatal(err)
	}
	return j
}

func verify(t *testing.T, db *store.DB) (int, *flow.JournalBreak) {
	t.Helper()
	n, err := flow.VerifyJournal(context.Background(), db)
	var br *flow.JournalBreak
	if err != nil && !errors.As(err, &br) {
		t.Fatalf("verify: %v", err)
	}
	return n, br
}

func TestJournalSurvivesTheDatabaseAndCatchesTampering(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fillJournal(t, db, "pos1", 5)
		fillJournal(t, db, "pos2", 2)
		if n, br := verify(t, db); br != nil || n != 9 {
			t.Fatalf("fresh journal: %d records, %v", n, br)
		}
		g := db.Gorm()
		// A sale's amount edited in the database.
		var data string
		g.Raw("SELECT data FROM ejournal WHERE till_id = 'pos1' AND seq = 6").Scan(&data)
		if err := g.Exec("UPDATE ejournal SET data = REPLACE(data, '4990', '499'), amount = 499 WHERE till_id = 'pos1' AND seq = 6").Error; err != nil {
			t.Fatal(err)
		}
		if _, br := verify(t, db); br == nil || br.TillID != "pos1" || br.Seq != 6 {
			t.Fatalf("edited sale not caught: %v", br)
		}
		g.Exec("UPDATE ejournal SET data = ?, amount = 4990 WHERE till_id = 'pos1' AND seq = 6", data)
		if _, br := verify(t, db); br != nil {
			t.Fatalf("restored record still broken: %v", br)
		}
		// The time of a record moved by a second.
		g.Exec("UPDATE ejournal SET at_micros = at_micros + 1000000 WHERE till_id = 'pos2' AND seq = 1")
		if _, br := verify(t, db); br == nil || br.TillID != "pos2" || br.Seq != 1 {
			t.Fatalf("moved time not caught: %v", br)
		}
		g.Exec("UPDATE ejournal SET at_micros = at_micros - 1000000 WHERE till_id = 'pos2' AND seq = 1")
		// A record deleted from the middle.
		if err := g.Exec("DELETE FROM ejournal WHERE till_id = 'pos1' AND seq = 3").Error; err != nil {
			t.Fatal(err)
		}
		if _, br := verify(t, db); br == nil || br.Seq != 3 {
			t.Fatalf("deleted record not caught: %v", br)
		}
	})
}

func TestJournalCatchesTheLastRecordDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fillJournal(t, db, "pos1", 3)
		db.Gorm().Exec("DELETE FROM ejournal WHERE till_id = 'pos1' AND seq = 4")
		if _, br := verify(t, db); br == nil {
			t.Fatal("the last record was deleted and the journal still verifies")
		}
	})
}

func TestOneZReportPerTillAndDay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 2, 21, 0, 0, 0, time.UTC)
		z := flow.JournalRecord{TillID: "pos1", At: at, Day: "2026-03-02", Event: flow.JournalZReport}
		if _, err := db.AppendJournal(ctx, z); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AppendJournal(ctx, z); !errors.Is(err, flow.ErrZReportTaken) {
			t.Fatalf("second Z the same day: %v", err)
		}
		z.TillID = "pos2"
		if _, err := db.AppendJournal(ctx, z); err != nil {
			t.Fatalf("another till's Z: %v", err)
		}
		// The database itself refuses a second Z, whatever the code does.
		err := db.Gorm().Exec(`INSERT INTO ejournal (till_id, seq, at_micros, day, event, cashier_id, cashier_name, sale_id, receipt, amount, text, data, prev_hash, hash)
			VALUES ('pos1', 99, 0, '2026-03-02', 'z-report', 0, '', 0, '', 0, '', '', '', '')`).Error
		if err == nil {
			t.Fatal("a second Z report row for the same till and day was accepted by the database")
		}
	})
}

// Several tills, each with several writers, append at once: every chain
// must come out complete, gap-free and verifiable.
func TestJournalConcurrentAppends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const tills, writers, each = 3, 4, 15
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, tills*writers)
		for ti := range tills {
			// One ElectronicJournal per writer stands for separate processes.
			for w := range writers {
				j := flow.NewElectronicJournal(db, fmt.Sprintf("pos%d", ti+1), time.UTC, nil)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						if err := j.RecordEvent(ctx, flow.JournalPriceLookup, 0, "", flow.Money(w*100+i), ""); err != nil {
							errs <- err
							return
						}
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		n, br := verify(t, db)
		if br != nil || n != tills*writers*each {
			t.Fatalf("after concurrent appends: %d records verified (want %d), %v", n, tills*writers*each, br)
		}
		heads, _ := db.JournalHeads(ctx)
		for _, h := range heads {
			if h.Seq != writers*each {
				t.Errorf("till %s ends at %d, want %d", h.TillID, h.Seq, writers*each)
			}
		}
	})
}

func TestCashiersAreStoredWithTheirPINHash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := flow.NewCashierSession(db, nil, nil)
		ola, err := s.AddCashier(ctx, "Ola Nordmann", flow.RoleManager, "1234")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, ola.ID, "1234"); err != nil {
			t.Fatalf("login after storing: %v", err)
		}
		// Renaming from a list without hashes keeps the PIN.
		ola.Name = "Ola N."
		if err := db.SaveCashier(ctx, &ola); err != nil {
			t.Fatal(err)
		}
		got, err := db.CashierByID(ctx, ola.ID)
		if err != nil || got.Name != "Ola N." || !flow.CheckPIN(got.PINHash, "1234") {
			t.Fatalf("after rename: %+v %v", got, err)
		}
		var raw string
		db.Gorm().Raw("SELECT pin_hash FROM cashiers WHERE id = ?", ola.ID).Scan(&raw)
		if raw == "1234" || len(raw) < 40 {
			t.Errorf("stored PIN column %q is not a salted hash", raw)
		}
		if _, err := db.CashierByID(ctx, 999); !errors.Is(err, flow.ErrNoRecord) {
			t.Errorf("unknown cashier: %v", err)
		}
	})
}
