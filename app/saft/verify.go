package saft

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// PublicKey is a till's public signing key of one version, what an auditor
// verifies signatures with.
type PublicKey struct {
	Register   string // registerID; "" when not known (any register)
	KeyVersion string // "" when not known (any version)
	Created    time.Time
	Key        *rsa.PublicKey
}

// PEM is the key as "-----BEGIN PUBLIC KEY-----" (X.509 SubjectPublicKeyInfo),
// the form Skatteetaten's validator and openssl read.
func (k PublicKey) PEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(k.Key)
	if err != nil { // cannot happen for an RSA key
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// label is the comment line WritePublicKeys puts before a key, and
// ParsePublicKeys reads back.
const labelPrefix = "# SAF-T signing key: register "

// WritePublicKeys writes keys as PEM blocks, each after a comment line naming
// its register and key version (openssl and other PEM readers skip it).
func WritePublicKeys(w io.Writer, keys []PublicKey) error {
	for _, k := range keys {
		created := ""
		if !k.Created.IsZero() {
			created = ", created " + k.Created.UTC().Format(time.RFC3339)
		}
		if _, err := fmt.Fprintf(w, "%s%s keyVersion %s%s\n%s", labelPrefix, k.Register, k.KeyVersion, created, k.PEM()); err != nil {
			return err
		}
	}
	return nil
}

// ParsePublicKeys reads every public key PEM block in data. A block after a
// WritePublicKeys comment line applies to that register and key version
// only; a bare block to any.
func ParsePublicKeys(data []byte) ([]PublicKey, error) {
	var out []PublicKey
	rest := data
	for {
		// The label is the last comment line before the block.
		before, _, found := bytes.Cut(rest, []byte("-----BEGIN "))
		if !found {
			break
		}
		var label PublicKey
		sc := bufio.NewScanner(bytes.NewReader(before))
		for sc.Scan() {
			line := sc.Text()
			if s, ok := strings.CutPrefix(line, labelPrefix); ok {
				label = PublicKey{}
				f := strings.Fields(strings.SplitN(s, ",", 2)[0])
				if len(f) == 3 && f[1] == "keyVersion" {
					label.Register, label.KeyVersion = f[0], f[2]
				}
			}
		}
		blk, next := pem.Decode(rest)
		if blk == nil {
			return out, errors.New("a PEM block does not decode")
		}
		rest = next
		if blk.Type != "PUBLIC KEY" {
			return out, fmt.Errorf("PEM block %q is not a public key", blk.Type)
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return out, err
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return out, errors.New("a public key is not an RSA key")
		}
		if err := checkKey(rk); err != nil {
			return out, err
		}
		label.Key = rk
		out = append(out, label)
	}
	if len(out) == 0 {
		return nil, errors.New("no public key (-----BEGIN PUBLIC KEY-----) found")
	}
	return out, nil
}

// signedTransaction is what one cashtransaction's signature covers, as
// written in the file.
type signedTransaction struct {
	Register   string
	Nr         string `xml:"nr"`
	TransID    string `xml:"transID"`
	TransDate  string `xml:"transDate"`
	TransTime  string `xml:"transTime"`
	AmountIn   string `xml:"transAmntIn"`
	AmountEx   string `xml:"transAmntEx"`
	Signature  string `xml:"signature"`
	KeyVersion string `xml:"keyVersion"`
}

func (t signedTransaction) text(prev string) string {
	return strings.Join([]string{prev, t.TransDate, t.TransTime, t.Nr, t.AmountIn, t.AmountEx}, ";")
}

// SignatureError names the first transaction whose signature does not verify.
type SignatureError struct {
	Register, Nr, TransID, KeyVersion string
	Reason                            string
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("register %s transaction nr %s (transID %s, keyVersion %s): %s", e.Register, e.Nr, e.TransID, e.KeyVersion, e.Reason)
}

// VerifyResult counts what VerifySignatures checked.
type VerifyResult struct {
	Registers int
	Verified  int
	// Unsigned transactions were journaled before the till signed (they
	// carry the journal's SHA-256 hash, keyVersion LegacyKeyVersion).
	Unsigned int
	// Continued lists, per register, the first transaction when it follows a
	// signature outside the files given (an export that does not start at the
	// till's first transaction); its own signature cannot be checked without
	// the file before it.
	Continued []string
}

// VerifyOptions say how much of a chain the files are expected to hold.
type VerifyOptions struct {
	// Continues allows each register's first transaction to follow a
	// signature outside the files (an export that does not start at the
	// till's first sale). That transaction is then listed in
	// VerifyResult.Continued instead of failing; without Continues its
	// previous signature must be "0".
	Continues bool
}

// VerifySignatures checks the chained signature of every cash transaction
// in the SAF-T files (read in the order given, each register's chain running
// on from one file to the next) with the public keys only. It returns the
// first transaction that fails as a *SignatureError.
func VerifySignatures(files []io.Reader, keys []PublicKey, opt VerifyOptions) (VerifyResult, error) {
	var order []string
	byReg := map[string][]signedTransaction{}
	for i, f := range files {
		txs, err := readSignedTransactions(f)
		if err != nil {
			return VerifyResult{}, fmt.Errorf("file %d: %w", i+1, err)
		}
		for _, t := range txs {
			if _, ok := byReg[t.Register]; !ok {
				order = append(order, t.Register)
			}
			byReg[t.Register] = append(byReg[t.Register], t)
		}
	}
	var res VerifyResult
	for _, reg := range order {
		res.Registers++
		if err := verifyChain(byReg[reg], keys, opt, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func verifyChain(txs []signedTransaction, keys []PublicKey, opt VerifyOptions, res *VerifyResult) error {
	prev := flow.NoPreviousSignature
	for i, t := range txs {
		if t.KeyVersion == LegacyKeyVersion {
			res.Unsigned++
			prev = flow.NoPreviousSignature // signing starts its chain afresh
			continue
		}
		fail := func(reason string) error {
			return &SignatureError{Register: t.Register, Nr: t.Nr, TransID: t.TransID, KeyVersion: t.KeyVersion, Reason: reason}
		}
		sig, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(t.Signature), ""))
		if err != nil {
			return fail("the signature is not base64")
		}
		cands := keysFor(keys, t.Register, t.KeyVersion)
		if len(cands) == 0 {
			return fail("no public key given for this register and key version")
		}
		ok := verifyWith(cands, t.text(prev), sig)
		if !ok && i == 0 && opt.Continues {
			// The first transaction of the files may follow one before
			// them; the next one's signature covers this one's signature.
			res.Continued = append(res.Continued, fmt.Sprintf("register %s nr %s", t.Register, t.Nr))
			prev = t.Signature
			continue
		}
		if !ok && i == 0 {
			return fail("the signature does not match " + t.text(prev) + ": the transaction was changed, or the export does not start at the till's first signed sale (give the earlier export first, or allow that with --continues)")
		}
		if !ok {
			return fail("the signature does not match " + t.text(abbrev(prev)) + ": the transaction or the one before it was changed, or it was signed with another key")
		}
		res.Verified++
		prev = t.Signature
	}
	return nil
}

func abbrev(sig string) string {
	if len(sig) > 12 {
		return sig[:12] + "…"
	}
	return sig
}

func keysFor(keys []PublicKey, register, version string) []*rsa.PublicKey {
	var exact, any []*rsa.PublicKey
	for _, k := range keys {
		switch {
		case k.Register == register && k.KeyVersion == version:
			exact = append(exact, k.Key)
		case k.Register == "" && k.KeyVersion == "":
			any = append(any, k.Key)
		}
	}
	if len(exact) > 0 {
		return exact
	}
	return any
}

func verifyWith(keys []*rsa.PublicKey, text string, sig []byte) bool {
	sum := sha1.Sum([]byte(text))
	for _, k := range keys {
		if rsa.VerifyPKCS1v15(k, crypto.SHA1, sum[:], sig) == nil {
			return true
		}
	}
	return false
}

// VerifyAuditFile checks the signatures of an export before it is written,
// as VerifySignatures checks the file (with Continues: a period's export
// need not start at the till's first sale).
func VerifyAuditFile(af *AuditFile, keys []PublicKey) (VerifyResult, error) {
	var res VerifyResult
	text := func(a Amount) string { b, _ := a.MarshalText(); return string(b) }
	for _, l := range af.Company.Locations {
		for _, cr := range l.CashRegisters {
			res.Registers++
			txs := make([]signedTransaction, len(cr.CashTransactions))
			for i, t := range cr.CashTransactions {
				txs[i] = signedTransaction{Register: cr.RegisterID, Nr: t.Nr, TransID: t.TransID, TransDate: t.TransDate, TransTime: t.TransTime,
					AmountIn: text(t.TransAmntIn), AmountEx: text(t.TransAmntEx), Signature: t.Signature, KeyVersion: t.KeyVersion}
			}
			if err := verifyChain(txs, keys, VerifyOptions{Continues: true}, &res); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// readSignedTransactions streams a SAF-T file and returns its cash
// transactions with their register, in file order.
func readSignedTransactions(r io.Reader) ([]signedTransaction, error) {
	dec := xml.NewDecoder(r)
	var out []signedTransaction
	register := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "registerID":
			if err := dec.DecodeElement(&register, &se); err != nil {
				return nil, err
			}
		case "cashtransaction":
			var t signedTransaction
			if err := dec.DecodeElement(&t, &se); err != nil {
				return nil, err
			}
			t.Register = register
			out = append(out, t)
		case "eventReport":
			// A report names a register too; skip it whole.
			if err := dec.Skip(); err != nil {
				return nil, err
			}
		}
	}
	if len(out) == 0 && register == "" {
		return nil, errors.New("no cash register in the file (is it a SAF-T Cash Register export?)")
	}
	return out, nil
}
