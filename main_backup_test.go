package main

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
)

// A backup taken while a customer is looking at the payment request on her
// phone restores to a database whose journal verifies and that still holds
// that sale, paying, so the restored till resumes it.
func TestBackupDuringAnOpenSaleRestores(t *testing.T) {
	ctx := t.Context()
	live := t.TempDir()
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.Demo = live, true
	tl, err := app.Start(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tl.Front().Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}))
	must(tl.Front().Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}))
	view := waitView(t, tl, func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	must(tl.Front().RequestPayment(ctx))
	view = waitView(t, tl, func(v flow.View) bool {
		return v.Stage == flow.StagePaying && v.Payment != nil && v.Payment.Reference != ""
	})

	file := filepath.Join(t.TempDir(), "till.kassebackup")
	if code, out, errs := runKasse("backup", file, "--data-dir", live); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v (want mode 600)", fi, err)
	}
	// The till goes on: the sale is paid after the backup was taken.
	if p := tl.Sim().Pushes(""); len(p) == 0 {
		t.Fatal("no payment request on the customer's phone")
	} else {
		must(tl.Sim().Answer(p[len(p)-1].ID, true))
	}
	waitView(t, tl, func(v flow.View) bool { return v.Stage == flow.StagePaid })
	tl.Close()

	// Restored into a new till's directory.
	restored := t.TempDir()
	if code, out, errs := runKasse("restore", file, "--data-dir", restored); code != 0 || !strings.Contains(out, "journal records verified") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs := runKasse("journal", "verify", "--data-dir", restored)
	if code != 0 || !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("journal verify of the restored database: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("restored: %s", strings.TrimSpace(out))
	db, err := store.Open(filepath.Join(restored, "kasse.db"))
	must(err)
	defer db.Close()
	s, err := db.Sale(ctx, view.SaleID)
	must(err)
	if s.Stage != flow.StagePaying || s.Payment == nil || s.Payment.Reference != view.Payment.Reference || s.Total() != view.Total {
		t.Errorf("restored sale %d: stage %s, payment %+v, total %d; want paying %s of %d", s.ID, s.Stage, s.Payment, s.Total(), view.Payment.Reference, view.Total)
	}
	open, err := db.OpenSales(ctx, cfg.Store.POSID)
	must(err)
	if len(open) != 1 || open[0].ID != view.SaleID {
		t.Errorf("restored open sales %v, want sale %d", open, view.SaleID)
	}
}

func TestRestoreRefusesAnotherInstallationsBackup(t *testing.T) {
	ctx := t.Context()
	mine, theirs := t.TempDir(), t.TempDir()
	for _, dir := range []string{mine, theirs} {
		if code, out, errs := runKasse("cashier", "add", "Mona", "--role", "manager", "--pin", "4321", "--data-dir", dir); code != 0 {
			t.Fatalf("cashier add: exit %d\n%s%s", code, out, errs)
		}
	}
	ids := map[string]string{}
	for _, dir := range []string{mine, theirs} {
		ids[dir] = installationOf(t, filepath.Join(dir, "kasse.db"))
	}
	if ids[mine] == ids[theirs] {
		t.Fatalf("two installations share the id %s", ids[mine])
	}
	file := filepath.Join(t.TempDir(), "theirs.db")
	if code, out, errs := runKasse("backup", file, "--data-dir", theirs); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs := runKasse("restore", file, "--data-dir", mine)
	if code != 1 || !strings.Contains(errs, "another installation") || !strings.Contains(errs, "--force") {
		t.Fatalf("restore of another till's backup: exit %d, %s", code, errs)
	}
	cfg := app.DefaultConfig()
	cfg.DataDir = mine
	if _, err := app.Restore(ctx, cfg, file, false); !errors.As(err, new(*app.ErrOtherInstallation)) {
		t.Fatalf("Restore: %v, want ErrOtherInstallation", err)
	}
	code, out, errs := runKasse("restore", file, "--force", "--data-dir", mine)
	if code != 0 || !strings.Contains(out, "kept as ") {
		t.Fatalf("restore --force: exit %d\n%s%s", code, out, errs)
	}
	// The replaced database is kept, and is mine.
	prev := strings.TrimSpace(out[strings.Index(out, "kept as ")+len("kept as "):])
	if got := installationOf(t, prev); got != ids[mine] {
		t.Errorf("the kept database %s is installation %s, want this till's %s", prev, got, ids[mine])
	}
	if got := installationOf(t, filepath.Join(mine, "kasse.db")); got != ids[theirs] {
		t.Errorf("the restored database is installation %s, want the backup's %s", got, ids[theirs])
	}
}

func installationOf(t *testing.T, path string) string {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id, err := db.Installation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRestoreRefusesWhileTheTillRuns(t *testing.T) {
	dir := t.TempDir()
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.Demo = dir, true
	tl, err := app.Start(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	file := filepath.Join(t.TempDir(), "b.db")
	if code, out, errs := runKasse("backup", file, "--data-dir", dir); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs := runKasse("restore", file, "--data-dir", dir)
	if code != 1 || !strings.Contains(errs, "already running") {
		t.Fatalf("restore under a running till: exit %d, %s", code, errs)
	}
}

func TestBackupOfPostgresSaysWhatToUse(t *testing.T) {
	code, _, errs := runKasse("backup", filepath.Join(t.TempDir(), "x"), "--db", "postgres://kasse@localhost/kasse", "--data-dir", t.TempDir())
	if code != 1 || !strings.Contains(errs, "pg_dump") {
		t.Fatalf("backup of a PostgreSQL till: exit %d, %s", code, errs)
	}
}

func runKasse(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func waitView(t *testing.T, tl *app.Till, ok func(flow.View) bool) flow.View {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if v := tl.Checkout().View(); ok(v) {
			return v
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out; view: %+v", tl.Checkout().View())
	return flow.View{}
}
