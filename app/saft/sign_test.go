package saft

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kasse-pos/kasse/flow"
)

// The deterministic test key (RSA 1024, e 65537) and its public half are
// committed as fixtures; PKCS#1 v1.5 signatures are deterministic, so the
// golden export's signatures are too.
const (
	testKeyFile    = "testdata/signing-key-test.pem"
	testPubKeyFile = "testdata/signing-key-test.pub.pem"
	goldenExport   = "testdata/saft-2026-03-02.xml"
)

// testKeyDir is a data directory's saft-keys folder holding the test key as
// version 1 of each till (0600, as the till writes it).
func testKeyDir(t *testing.T, tills ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), KeysDirName)
	b, err := os.ReadFile(testKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, till := range tills {
		if err := os.WriteFile(keyFile(dir, till, 1), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func testPublicKeys(t *testing.T) []PublicKey {
	t.Helper()
	b, err := os.ReadFile(testPubKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParsePublicKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func verifyBytes(t *testing.T, xml []byte) (VerifyResult, error) {
	t.Helper()
	return VerifySignatures([]io.Reader{bytes.NewReader(xml)}, testPublicKeys(t), VerifyOptions{})
}

func TestGoldenExportSignaturesVerifyWithThePublicKeyOnly(t *testing.T) {
	b, err := os.ReadFile(goldenExport)
	if err != nil {
		t.Fatal(err)
	}
	res, err := verifyBytes(t, b)
	if err != nil {
		t.Fatal(err)
	}
	n := bytes.Count(b, []byte("<cashtransaction>"))
	if res.Verified != n || n < 5 || res.Unsigned != 0 || len(res.Continued) != 0 || res.Registers != 2 {
		t.Errorf("verified %d of %d transactions: %+v", res.Verified, n, res)
	}
	if bytes.Contains(b, []byte(LegacyKeyVersion)) {
		t.Error("the golden export still carries journal hashes as signatures")
	}
}

// transactionNrs lists the nr of every cashtransaction in file order.
func transactionNrs(xml []byte) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?s)<cashtransaction>\s*<nr>([^<]*)</nr>`).FindAllSubmatch(xml, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// tamper changes the transAmntIn of the i-th cashtransaction by one øre.
func tamper(t *testing.T, xml []byte, i int) []byte {
	t.Helper()
	re := regexp.MustCompile(`(?s)(<cashtransaction>.*?<transAmntIn>)([0-9-]+)\.([0-9]{2})(</transAmntIn>)`)
	locs := re.FindAllSubmatchIndex(xml, -1)
	if i >= len(locs) {
		t.Fatalf("no transaction %d", i)
	}
	l := locs[i]
	cents := string(xml[l[6]:l[7]])
	repl := "1" + cents[1:]
	if cents[0] == '1' {
		repl = "2" + cents[1:]
	}
	out := append([]byte{}, xml[:l[6]]...)
	out = append(out, repl...)
	return append(out, xml[l[7]:]...)
}

func TestATamperedAmountFailsAtThatTransaction(t *testing.T) {
	b, err := os.ReadFile(goldenExport)
	if err != nil {
		t.Fatal(err)
	}
	nrs := transactionNrs(b)
	for _, i := range []int{1, 3, len(nrs) - 1} {
		_, err := verifyBytes(t, tamper(t, b, i))
		var se *SignatureError
		if !errors.As(err, &se) || se.Nr != nrs[i] {
			t.Errorf("amount of transaction %d (nr %s) changed: got %v", i, nrs[i], err)
		}
	}
	// Allowed to follow an earlier file, the first transaction of each
	// register that does not start the chain with "0" is left unchecked.
	txs, _ := readSignedTransactions(bytes.NewReader(b))
	firstOfPos2 := 0
	for txs[firstOfPos2].Register != "pos2" {
		firstOfPos2++
	}
	if res, err := VerifySignatures([]io.Reader{bytes.NewReader(tamper(t, b, firstOfPos2))}, testPublicKeys(t), VerifyOptions{Continues: true}); err != nil || len(res.Continued) != 1 || res.Verified != len(nrs)-1 {
		t.Errorf("with Continues: %+v %v", res, err)
	}
	// A changed signature breaks its own transaction and the next.
	sigs := regexp.MustCompile(`<signature>([^<]*)</signature>`).FindAllSubmatchIndex(b, -1)
	broken := append([]byte{}, b...)
	broken[sigs[1][2]+5] ^= 1
	if _, err := verifyBytes(t, broken); err == nil {
		t.Error("a changed signature verified")
	}
}

// signedTexts returns each transaction's signed text and raw signature, as
// an auditor rebuilds them from the file.
func signedTexts(t *testing.T, xml []byte) ([]string, [][]byte) {
	t.Helper()
	txs, err := readSignedTransactions(bytes.NewReader(xml))
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	var sigs [][]byte
	prev := map[string]string{}
	for _, tx := range txs {
		p := prev[tx.Register]
		if p == "" {
			p = flow.NoPreviousSignature
		}
		texts = append(texts, tx.text(p))
		sig, err := base64.StdEncoding.DecodeString(tx.Signature)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, sig)
		prev[tx.Register] = tx.Signature
	}
	return texts, sigs
}

func TestOpenSSLVerifiesTheSignatures(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is missing")
		}
		t.Skip("openssl not installed")
	}
	b, err := os.ReadFile(goldenExport)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	verify := func(text string, sig []byte) (bool, string) {
		tf, sf := filepath.Join(dir, "text"), filepath.Join(dir, "sig")
		os.WriteFile(tf, []byte(text), 0o644)
		os.WriteFile(sf, sig, 0o644)
		out, err := exec.Command(openssl, "dgst", "-sha1", "-verify", testPubKeyFile, "-signature", sf, tf).CombinedOutput()
		return err == nil && strings.Contains(string(out), "Verified OK"), string(out)
	}
	texts, sigs := signedTexts(t, b)
	for i := range texts {
		if ok, out := verify(texts[i], sigs[i]); !ok {
			t.Errorf("openssl does not verify transaction %d (%s): %s", i, texts[i], out)
		}
	}
	// The same signature over a text with another amount fails.
	bad, _ := signedTexts(t, tamper(t, b, 2))
	if ok, _ := verify(bad[2], sigs[2]); ok {
		t.Errorf("openssl verified a tampered amount: %s", bad[2])
	}
	if ok, _ := verify(bad[1], sigs[1]); !ok {
		t.Error("the transaction before the tampered one should still verify")
	}
}

// TestSkatteetatenValidatorAcceptsTheExport runs Skatteetaten's own
// validator.js (testdata/skatteetaten) under node over the golden export.
// It needs node and npm's jsrsasign (npm ci in that folder; the test runs it
// when node_modules is missing).
func TestSkatteetatenValidatorAcceptsTheExport(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: Skatteetaten's validator.js cannot run (the openssl test still checks the signatures)")
	}
	dir := filepath.Join("testdata", "skatteetaten")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "jsrsasign")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skip("npm not installed, so jsrsasign is missing")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("npm ci in %s failed (offline?): %v\n%s", dir, err, out)
		}
	}
	run := func(file string) (string, error) {
		out, err := exec.Command(node, filepath.Join(dir, "verify.js"), file, testPubKeyFile).CombinedOutput()
		return string(out), err
	}
	out, err := run(goldenExport)
	if err != nil {
		t.Fatalf("Skatteetaten's validator rejects the golden export: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(goldenExport)
	n := bytes.Count(b, []byte("<cashtransaction>"))
	if !strings.Contains(out, strconv.Itoa(n)+" signatures OK") {
		t.Errorf("validator output does not say all %d signatures are OK:\n%s", n, out)
	}
	nrs := transactionNrs(b)
	bad := filepath.Join(t.TempDir(), "tampered.xml")
	os.WriteFile(bad, tamper(t, b, 3), 0o644)
	out, err = run(bad)
	if err == nil || !strings.Contains(out, "FAIL register pos1 nr "+nrs[3]+":") || !strings.Contains(out, "Signaturen er FEIL") {
		t.Errorf("tampered transaction %s: validator said %v\n%s", nrs[3], err, out)
	}
}
