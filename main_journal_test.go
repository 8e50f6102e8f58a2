package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
)

// A day at till pos1, stored the way the till stores it, then inspected
// and closed from the command line.
func TestJournalReportAndSAFTCommands(t *testing.T) {
	t.Setenv("KASSE_VIPPS_CLIENT_SECRET", "")
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "kasse.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j := flow.NewElectronicJournal(db, "pos1", time.Local, nil)
	s := flow.NewCashierSession(db, j, nil)
	ola, err := s.AddCashier(ctx, "Ola Nordmann", flow.RoleManager, "1234")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, ola.ID, "1234"); err != nil {
		t.Fatal(err)
	}
	sale := flow.SaleRecord{SaleID: 1, ReceiptNumber: "000001", Currency: "NOK", Total: 4990,
		Lines:    []flow.SaleRecordLine{{GTIN: "7038010000737", Name: "Melk", Quantity: 2, UnitPrice: 2495, Total: 4990, Net: 4339, VAT: 651, VATRate: 15}},
		Payments: []flow.SaleRecordPayment{{Method: flow.PaymentVipps, Amount: 4990, Reference: "pos1-000001-1"}}}
	if _, err := j.RecordSale(ctx, sale); err != nil {
		t.Fatal(err)
	}
	db.Close()

	kasse := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append(args, "--data-dir", dir), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := kasse("journal", "verify"); code != 0 || !strings.Contains(out, "OK: 2 records") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	if code, out, errs := kasse("report", "x"); code != 0 || !strings.Contains(out, "X-RAPPORT") || !strings.Contains(out, "49,90") {
		t.Fatalf("report x: %d %q %q", code, out, errs)
	}
	if code, _, errs := kasse("report", "z", "--cashier", "1", "--pin", "9999"); code != 1 || !strings.Contains(errs, "wrong PIN") {
		t.Fatalf("Z with a wrong PIN: %d %q", code, errs)
	}
	if code, out, errs := kasse("report", "z", "--cashier", "1", "--pin", "1234"); code != 0 || !strings.Contains(out, "Z-RAPPORT") {
		t.Fatalf("report z: %d %q %q", code, out, errs)
	}
	if code, _, errs := kasse("report", "z", "--cashier", "1", "--pin", "1234"); code != 1 || !strings.Contains(errs, "already") {
		t.Fatalf("second Z: %d %q", code, errs)
	}
	// The manager identifying at the command line is journaled as at the
	// till: logged in, the Z under their name, logged out.
	if got := journalTrail(t, dir); !strings.Contains(got, "login:1 z-report:1 logout:1") {
		t.Errorf("journal after the Z: %s; want the manager's login, Z and logout", got)
	}
	today := time.Now().Format(time.DateOnly)
	file := filepath.Join(dir, "saft.xml")
	if code, out, errs := kasse("saft-export", "--from", today, "--to", today, "-o", file); code != 0 || !strings.Contains(out, "wrote") {
		t.Fatalf("saft-export: %d %q %q", code, out, errs)
	}
	if b, err := os.ReadFile(file); err != nil || !bytes.Contains(b, []byte("<transAmntIn>49.90</transAmntIn>")) {
		t.Fatalf("exported file: %v\n%.400s", err, b)
	}
	if code, _, _ := kasse("saft-export", "--from", today, "-o", file); code != 2 {
		t.Errorf("saft-export without --to: exit %d, want 2", code)
	}

	// Someone lowers the sale in the database.
	db, err = store.Open(filepath.Join(dir, "kasse.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Gorm().Exec("UPDATE ejournal SET amount = 990 WHERE seq = 2")
	db.Close()
	if code, _, errs := kasse("journal", "verify"); code != 1 || !strings.Contains(errs, "broken at record 2") {
		t.Fatalf("verify after tampering: %d %q", code, errs)
	}
}

// journalTrail is pos1's journal as "event:cashier" words, oldest first.
func journalTrail(t *testing.T, dir string) string {
	t.Helper()
	db, err := store.Open(filepath.Join(dir, "kasse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recs, err := db.JournalRecords(context.Background(), flow.JournalQuery{TillID: "pos1"})
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, r := range recs {
		words = append(words, fmt.Sprintf("%s:%d", r.Event, r.CashierID))
	}
	return strings.Join(words, " ")
}

func TestCashierCommand(t *testing.T) {
	t.Setenv("KASSE_VIPPS_CLIENT_SECRET", "")
	t.Setenv("KASSE_PIN", "")
	dir := filepath.Join(t.TempDir(), "new")
	kasse := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append(args, "--data-dir", dir), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := kasse("cashier", "add", "Ola Nordmann", "--pin", "1234"); code != 0 || !strings.Contains(out, "id 1, manager") {
		t.Fatalf("first cashier: %d %q %q", code, out, errs)
	}
	if code, _, errs := kasse("cashier", "add", "Kari", "--pin", "5678"); code != 1 || !strings.Contains(errs, "logged in") {
		t.Fatalf("second cashier without a manager: %d %q", code, errs)
	}
	if code, _, errs := kasse("cashier", "add", "Kari", "--pin", "56"); code != 1 {
		t.Fatalf("a two-digit PIN: %d %q", code, errs)
	}
	if code, out, errs := kasse("cashier", "add", "Kari", "--pin", "5678", "--manager", "1", "--manager-pin", "1234"); code != 0 || !strings.Contains(out, "cashier") {
		t.Fatalf("second cashier: %d %q %q", code, out, errs)
	}
	if got := journalTrail(t, dir); !strings.Contains(got, "login:1 logout:1") {
		t.Errorf("journal after adding a cashier: %s; want the manager's login and logout", got)
	}
	if code, out, _ := kasse("cashier", "list"); code != 0 || !strings.Contains(out, "Kari") || !strings.Contains(out, "Ola Nordmann") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, _, _ := kasse("cashier", "add"); code != 2 {
		t.Errorf("add without a name: exit %d, want 2", code)
	}
}

// The office's overview of a chain: every till's period since its last Z,
// and the totals, from one shared database.
func TestChainOverviewOfEveryTill(t *testing.T) {
	t.Setenv("KASSE_VIPPS_CLIENT_SECRET", "")
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "kasse.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, till := range []string{"butikk1", "butikk2"} {
		j := flow.NewElectronicJournal(db, till, time.Local, nil)
		total := flow.Money(1000 * (i + 1))
		sale := flow.SaleRecord{SaleID: int64(i + 1), ReceiptNumber: "000001", Currency: "NOK", Total: total,
			Lines:    []flow.SaleRecordLine{{GTIN: "7038010000737", Name: "Melk", Quantity: 1, UnitPrice: total, Total: total, Net: total - flow.VATOf(total, 15), VAT: flow.VATOf(total, 15), VATRate: 15}},
			Payments: []flow.SaleRecordPayment{{Method: flow.PaymentVipps, Amount: total, Reference: till + "-000001"}}}
		if _, err := j.RecordSale(ctx, sale); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	var out, errb bytes.Buffer
	if code := run([]string{"report", "x", "--chain", "--data-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("report x --chain: %d %q", code, errb.String())
	}
	for _, want := range []string{"butikk1", "10,00", "butikk2", "20,00", "all", "30,00"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("overview lacks %q:\n%s", want, out.String())
		}
	}
}
