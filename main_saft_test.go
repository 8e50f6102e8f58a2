package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/saft"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
)

// A till signs two sales with the key it made on first start; the export,
// the auditor's public key and the check all go through the command line.
func TestSAFTKeysAndVerifyCommands(t *testing.T) {
	t.Setenv("KASSE_VIPPS_CLIENT_SECRET", "")
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "kasse.db"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j := flow.NewElectronicJournal(db, "pos1", time.Local, nil)
	ring, err := saft.OpenKeyRing(ctx, filepath.Join(dir, saft.KeysDirName), j)
	if err != nil {
		t.Fatal(err)
	}
	j.Signer = ring
	for i, total := range []flow.Money{4990, 12900} {
		s := flow.SaleRecord{SaleID: int64(i + 1), ReceiptNumber: "00000" + string(rune('1'+i)), Currency: "NOK", Total: total,
			Lines:    []flow.SaleRecordLine{{Name: "Vare", Quantity: 1, UnitPrice: total, Total: total, Net: total * 4 / 5, VAT: total / 5, VATRate: 25}},
			Payments: []flow.SaleRecordPayment{{Method: flow.PaymentVipps, Amount: total, Reference: "pos1-x"}}}
		if _, err := j.RecordSale(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	kasse := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	today := time.Now().Format(time.DateOnly)
	xml := filepath.Join(dir, "saft.xml")
	if code, out, errs := kasse("saft-export", "--data-dir", dir, "--from", today, "--to", today, "-o", xml); code != 0 {
		t.Fatalf("saft-export: %d %q %q", code, out, errs)
	}
	code, pub, errs := kasse("saft-keys", "export", "--data-dir", dir)
	if code != 0 || !strings.Contains(pub, "register pos1 keyVersion 1") || !strings.Contains(pub, "-----BEGIN PUBLIC KEY-----") || strings.Contains(pub, "PRIVATE") {
		t.Fatalf("saft-keys export: %d %q %q", code, pub, errs)
	}
	keyFile := filepath.Join(dir, "public.pem")
	os.WriteFile(keyFile, []byte(pub), 0o644)
	if code, out, errs := kasse("saft-verify", xml, "--key", keyFile); code != 0 || !strings.Contains(out, "OK: 2 signatures verified in 1 registers") {
		t.Fatalf("saft-verify: %d %q %q", code, out, errs)
	}
	// The second sale's amount changed in the file: exit 1, naming it.
	b, _ := os.ReadFile(xml)
	re := regexp.MustCompile(`<transAmntIn>129\.00</transAmntIn>`)
	if !re.Match(b) {
		t.Fatalf("no 129.00 in the export:\n%s", b)
	}
	bad := filepath.Join(dir, "tampered.xml")
	os.WriteFile(bad, re.ReplaceAll(b, []byte("<transAmntIn>29.00</transAmntIn>")), 0o644)
	if code, _, errs := kasse("saft-verify", bad, "--key", keyFile); code != 1 || !strings.Contains(errs, "nr 000002") {
		t.Fatalf("tampered export: %d %q", code, errs)
	}

	// Rotation makes version 2 and keeps version 1's public key.
	if code, out, errs := kasse("saft-keys", "rotate", "--data-dir", dir); code != 0 || !strings.Contains(out, "version 2") {
		t.Fatalf("rotate: %d %q %q", code, out, errs)
	}
	if code, pub, _ := kasse("saft-keys", "export", "--data-dir", dir, "--till", "pos1"); code != 0 || strings.Count(pub, "BEGIN PUBLIC KEY") != 2 {
		t.Fatalf("after rotation: %d %q", code, pub)
	}
}
