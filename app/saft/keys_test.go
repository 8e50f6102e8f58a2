package saft

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

func TestATillMakesItsKeyOnFirstStartAndRotatesIt(t *testing.T) {
	ctx := context.Background()
	m := flow.NewMemoryJournal()
	clk := &setClock{}
	clk.at("08:00")
	j := flow.NewElectronicJournal(m, "pos7", oslo, clk.Now)
	dir := filepath.Join(t.TempDir(), KeysDirName)

	ring, err := OpenKeyRing(ctx, dir, j)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Version != "1" || ring.key.N.BitLen() != 1024 || ring.key.E != 65537 {
		t.Fatalf("first key: version %s, %d bits, e %d", ring.Version, ring.key.N.BitLen(), ring.key.E)
	}
	st, err := os.Stat(keyFile(dir, "pos7", 1))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(keyFile(dir, "pos7", 1))
	if !bytes.HasPrefix(b, []byte("-----BEGIN RSA PRIVATE KEY-----")) {
		t.Errorf("key file is not a PKCS#1 PEM: %.40s", b)
	}
	// Only the public key reaches the journal.
	recs, _ := m.JournalRecords(ctx, flow.JournalQuery{})
	for _, r := range recs {
		if strings.Contains(r.Data+r.Text, "PRIVATE") {
			t.Errorf("journal record %d holds a private key", r.Seq)
		}
	}
	if len(recs) != 1 || recs[0].Event != flow.JournalSigningKey || !strings.Contains(recs[0].Data, "BEGIN PUBLIC KEY") {
		t.Fatalf("journal after first start: %+v", recs)
	}

	sell := func(receipt string, total flow.Money) {
		t.Helper()
		clk.t = clk.t.Add(time.Minute)
		s := sale(1, receipt, false, flow.SaleLine{Name: "Melk", Quantity: 1, UnitPrice: total, VATRate: 15})
		if _, err := j.RecordSale(ctx, flow.SaleRecordOf(s)); err != nil {
			t.Fatal(err)
		}
	}
	j.Signer = ring
	sell("000001", 2490)

	// A restart keeps the key and journals nothing new.
	again, err := OpenKeyRing(ctx, dir, j)
	if err != nil || again.Version != "1" || !again.key.Equal(ring.key) {
		t.Fatalf("restart: version %s, same key %v, %v", again.Version, again.key.Equal(ring.key), err)
	}
	// Rotation: version 2, signing goes on, both public keys in the journal.
	rotated, err := RotateKey(ctx, dir, j)
	if err != nil || rotated.Version != "2" {
		t.Fatalf("rotate: %v %v", rotated, err)
	}
	j.Signer = rotated
	sell("000002", 3990)
	// The data directory is lost (a reinstall): the next key is version 3,
	// never a second "1".
	lost := filepath.Join(t.TempDir(), KeysDirName)
	fresh, err := OpenKeyRing(ctx, lost, j)
	if err != nil || fresh.Version != "3" {
		t.Fatalf("after losing the keys: %v %v", fresh, err)
	}
	j.Signer = fresh
	sell("000003", 1990)

	keys, err := JournaledKeys(ctx, m, "pos7")
	if err != nil || len(keys) != 3 {
		t.Fatalf("journaled keys: %v %v", keys, err)
	}
	var pem bytes.Buffer
	if err := WritePublicKeys(&pem, keys); err != nil {
		t.Fatal(err)
	}
	parsed, err := ParsePublicKeys(pem.Bytes())
	if err != nil || len(parsed) != 3 || parsed[1].Register != "pos7" || parsed[1].KeyVersion != "2" {
		t.Fatalf("exported keys read back: %+v %v", parsed, err)
	}
	// The day's export verifies with the exported public keys only.
	var xml bytes.Buffer
	opt := exportOptions()
	if _, err := Export(ctx, m, nil, opt, &xml); err != nil {
		t.Fatal(err)
	}
	res, err := VerifySignatures([]io.Reader{&xml}, parsed, VerifyOptions{})
	if err != nil || res.Verified != 3 {
		t.Fatalf("verify across three key versions: %+v %v", res, err)
	}
	// Each version verifies only its own transactions.
	xml.Reset()
	Export(ctx, m, nil, opt, &xml)
	_, err = VerifySignatures([]io.Reader{&xml}, parsed[:1], VerifyOptions{})
	if err == nil || !strings.Contains(err.Error(), "nr 000002") || !strings.Contains(err.Error(), "no public key") {
		t.Errorf("with version 1 only: %v", err)
	}
}

func TestAKeyFileOthersCanReadIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := testKeyDir(t, "pos1")
	os.Chmod(keyFile(dir, "pos1", 1), 0o644)
	j := flow.NewElectronicJournal(flow.NewMemoryJournal(), "pos1", oslo, nil)
	if _, err := OpenKeyRing(context.Background(), dir, j); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key was used: %v", err)
	}
}
