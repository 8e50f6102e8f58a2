package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/assets"
	"github.com/kasse-pos/kasse/flow"
)

func TestCatalogImportIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		n, err := db.ImportCatalogCSV(ctx, bytes.NewReader(assets.DemoCatalog))
		if err != nil || n < 40 {
			t.Fatalf("demo catalogue: %d, %v", n, err)
		}
		p, err := db.ProductByGTIN(ctx, "7038800010014")
		if err != nil || p.Name != "Lettmelk 1 l" || p.Price != 2490 || p.VATRate != 15 || !p.Active {
			t.Fatalf("lettmelk = %+v, %v", p, err)
		}
		// A file with one bad line changes nothing, not even its good lines.
		bad := "gtin,name,price,vat\n7038800010014,Lettmelk 1 l,19.90,15\n7038800010014,Duplikat,1,15\n"
		if _, err := db.ImportCatalogCSV(ctx, strings.NewReader(bad)); err == nil {
			t.Fatal("a bad file was imported")
		}
		if p, _ := db.ProductByGTIN(ctx, "7038800010014"); p.Price != 2490 {
			t.Errorf("half-imported: the price became %d", p.Price)
		}
		// A good file updates prices and takes products off sale.
		upd := "gtin,name,price,vat,active\n7038800010014,Lettmelk 1 l,19.90,15,true\n7038800010380,Helmelk 1 l,26.40,15,false\n"
		if _, err := db.ImportCatalogCSV(ctx, strings.NewReader(upd)); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.ProductByGTIN(ctx, "7038800010014"); p.Price != 1990 {
			t.Errorf("price not updated: %d", p.Price)
		}
		found, err := db.SearchProducts(ctx, "MELK 1 L", 10)
		if err != nil || len(found) != 1 || found[0].GTIN != "7038800010014" {
			t.Errorf("search 'melk' = %+v, %v (inactive products are not offered)", found, err)
		}
		found, err = db.SearchProducts(ctx, "70388000107", 10)
		if err != nil || len(found) != 1 || found[0].Name != "Grovbrød 750 g" {
			t.Errorf("GTIN prefix search = %+v, %v", found, err)
		}
	})
}

func TestProductFoundByAnyGTINForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// A UPC-A item is the same product scanned as EAN-13 or GTIN-14.
		if err := db.UpsertProducts(ctx, []flow.Product{{GTIN: "036000291452", Name: "Import", Price: 100, VATRate: 25, Active: true}}); err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"036000291452", "0036000291452", "00036000291452"} {
			if p, err := db.ProductByGTIN(ctx, code); err != nil || p.Name != "Import" {
				t.Errorf("%s: %+v, %v", code, p, err)
			}
		}
		if _, err := db.ProductByGTIN(ctx, "7038800010014"); !errors.Is(err, flow.ErrNoRecord) {
			t.Errorf("unknown GTIN: %v", err)
		}
	})
}

// The authorization and its settlement jobs are one transaction: when the
// write fails, neither exists.
func TestAuthorizationAndJobsCommitTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		newSale := func() *flow.Sale {
			s := &flow.Sale{POSID: "pos1", Currency: "NOK", Stage: flow.StageOpen, CreatedAt: now,
				Lines: []flow.SaleLine{{GTIN: "7038800010014", Name: "Melk", Quantity: 1, UnitPrice: 2490, VATRate: 15}}}
			if err := db.CreateSale(ctx, s, flow.JournalEntry{From: "idle", To: "open", At: now}); err != nil {
				t.Fatal(err)
			}
			return s
		}
		pay := func(s *flow.Sale, ref string) flow.SaleChange {
			s.Stage = flow.StagePaid
			s.Payment = &flow.Payment{Reference: ref, Attempt: 1, IdempotencyKey: ref + "-create", Status: flow.PaymentAuthorized,
				Amount: 2490, Authorized: 2490, Push: true, CreatedAt: now}
			return flow.SaleChange{Sale: s, Jobs: flow.SettlementJobs(s.ID, ref, 2490, now),
				Journal: []flow.JournalEntry{{From: "paying/waiting", To: "paid/authorized", At: now}}}
		}
		a, b := newSale(), newSale()
		if a.ReceiptNumber != "000001" || b.ReceiptNumber != "000002" {
			t.Errorf("receipt numbers %s, %s", a.ReceiptNumber, b.ReceiptNumber)
		}
		if err := db.SaveSale(ctx, pay(a, "pos1-000001")); err != nil {
			t.Fatal(err)
		}
		// Sale b claims a's reference: the payment row is refused, so the
		// whole transition must be.
		if err := db.SaveSale(ctx, pay(b, "pos1-000001")); err == nil {
			t.Fatal("a duplicate reference was stored")
		}
		got, err := db.Sale(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Stage != flow.StageOpen || got.Payment != nil {
			t.Errorf("sale b half-stored: %s, %+v", got.Stage, got.Payment)
		}
		var jobs []store.OutboxJobRow
		db.Gorm().Where("sale_id = ?", b.ID).Find(&jobs)
		if len(jobs) != 0 {
			t.Errorf("jobs without an authorization: %+v", jobs)
		}
		db.Gorm().Where("sale_id = ?", a.ID).Find(&jobs)
		if len(jobs) != 3 {
			t.Errorf("sale a has %d jobs", len(jobs))
		}
		// Storing a's authorization again (a duplicate webhook after a
		// crash) queues no second capture.
		if err := db.SaveSale(ctx, pay(a, "pos1-000001")); err != nil {
			t.Fatal(err)
		}
		var n int64
		db.Gorm().Model(&store.OutboxJobRow{}).Where("sale_id = ? AND kind = ?", a.ID, flow.JobCapture).Count(&n)
		if n != 1 {
			t.Errorf("%d capture jobs", n)
		}
		if st, _ := db.SettlementStatus(ctx, a.ID); st != flow.SettlementQueued {
			t.Errorf("settlement %q", st)
		}
	})
}

// Two tills with one id on a shared database would take each other's sales
// and payments for their own: the second is refused, naming the first; once
// the first is gone (however it ended), the id is free again.
func TestATillIDRunsOnceOnASharedDatabase(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	db := storetest.OpenPostgres(t, dsn)
	release, err := db.ClaimTill(ctx, "pos1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimTill(ctx, "pos1"); !errors.Is(err, store.ErrTillInUse) || !strings.Contains(err.Error(), "process") {
		t.Fatalf("second till with the same id: %v, want refused naming the first", err)
	}
	other, err := db.ClaimTill(ctx, "pos2")
	if err != nil {
		t.Fatalf("another id: %v", err)
	}
	other()
	release()
	again, err := db.ClaimTill(ctx, "pos1")
	if err != nil {
		t.Fatalf("after the first till stopped: %v", err)
	}
	again()
}

// The installation id is made once and kept: every reference of the
// database starts with it, so two databases never share one.
func TestInstallationIDIsMadeOnceAndKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := db.Installation(ctx)
		if err != nil || len(a) != 6 {
			t.Fatalf("installation id %q, %v", a, err)
		}
		if b, _ := db.Installation(ctx); b != a {
			t.Errorf("installation id changed from %q to %q", a, b)
		}
		if c, _ := storetest.OpenSQLite(t).Installation(ctx); c == a {
			t.Errorf("two databases share installation id %q", a)
		}
	})
}

// The tills of a chain start at once on a new shared database: every one
// of them opens it (one migrates, the others wait), none fails.
func TestTillsOpeningANewSharedDatabaseTogether(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	schemaDSN := storetest.NewPostgresSchema(t, dsn)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := store.Open(schemaDSN)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("opening the new database together: %v", err)
		}
	}
}
