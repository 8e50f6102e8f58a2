package saft

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"

	"github.com/kasse-pos/kasse/flow"
)

// The signing method of Skatteetaten's guideline that kasse uses:
// SHA1withRSA (PKCS#1 v1.5) with a 1024-bit key and public exponent 65537.
const (
	KeyBits     = 1024
	KeyExponent = 65537
	// KeysDirName is the folder of the data directory that holds the
	// private keys, one 0600 PEM file per till and key version.
	KeysDirName = "saft-keys"
)

// KeyRing signs a till's SAF-T transactions with its current key. It
// satisfies flow.TransactionSigner.
type KeyRing struct {
	TillID  string
	Version string // keyVersion written beside each signature
	key     *rsa.PrivateKey
}

var _ flow.TransactionSigner = (*KeyRing)(nil)

// NewKeyRing signs with key as version (tests; tills use OpenKeyRing).
func NewKeyRing(tillID, version string, key *rsa.PrivateKey) (*KeyRing, error) {
	if err := checkKey(&key.PublicKey); err != nil {
		return nil, err
	}
	return &KeyRing{TillID: tillID, Version: version, key: key}, nil
}

// SignTransaction returns base64(RSA-SHA1(text)) and the key's version.
func (k *KeyRing) SignTransaction(text string) (string, string, error) {
	sum := sha1.Sum([]byte(text))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA1, sum[:])
	if err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(sig), k.Version, nil
}

// PublicKey returns the public half of the current key.
func (k *KeyRing) PublicKey() PublicKey {
	return PublicKey{Register: k.TillID, KeyVersion: k.Version, Key: &k.key.PublicKey}
}

func checkKey(pub *rsa.PublicKey) error {
	if pub.N.BitLen() != KeyBits || pub.E != KeyExponent {
		return fmt.Errorf("signing key is %d bits with exponent %d; SAF-T wants %d bits and %d", pub.N.BitLen(), pub.E, KeyBits, KeyExponent)
	}
	return nil
}

var safeTill = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func keyFile(dir, till string, version int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-v%d.pem", till, version))
}

// localVersions lists the key versions of till found in dir, oldest first.
func localVersions(dir, till string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(till) + `-v([0-9]+)\.pem$`)
	var out []int
	for _, e := range entries {
		if m := re.FindStringSubmatch(e.Name()); m != nil {
			v, _ := strconv.Atoi(m[1])
			out = append(out, v)
		}
	}
	sort.Ints(out)
	return out, nil
}

// ReadPrivateKey reads a private key PEM file (PKCS#1 "RSA PRIVATE KEY",
// as Skatteetaten's validator takes it, or PKCS#8). On Unix it refuses a
// file that its group or others may read.
func ReadPrivateKey(path string) (*rsa.PrivateKey, error) {
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("%s can be read by other users (mode %v); run chmod 600 on it", path, st.Mode().Perm())
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parsePrivateKey(b)
}

func parsePrivateKey(b []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block in the key file")
	}
	var key *rsa.PrivateKey
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("the key file holds no RSA key")
		}
		key = rk
	default:
		return nil, fmt.Errorf("unexpected PEM block %q in the key file", blk.Type)
	}
	return key, checkKey(&key.PublicKey)
}

// writeNewKey makes a key and writes it as version to dir, never over an
// existing file.
func writeNewKey(dir, till string, version int) (*rsa.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	f, err := os.OpenFile(keyFile(dir, till, version), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, errors.Join(err, os.Remove(f.Name()))
	}
	return key, nil
}

// OpenKeyRing returns the till's current signing key from dir (the data
// directory's saft-keys folder), making version 1 on the till's first start.
// Every key's public half is journaled (flow.JournalSigningKey) before it
// signs anything. A till whose data directory was lost starts a new version
// after the highest one its journal knows, so a version never names two keys.
func OpenKeyRing(ctx context.Context, dir string, j *flow.ElectronicJournal) (*KeyRing, error) {
	return openKeyRing(ctx, dir, j, false)
}

// RotateKey makes the till's next key version and journals its public key;
// the old private keys stay in dir, their public keys in the journal, so
// what they signed still verifies.
func RotateKey(ctx context.Context, dir string, j *flow.ElectronicJournal) (*KeyRing, error) {
	return openKeyRing(ctx, dir, j, true)
}

func openKeyRing(ctx context.Context, dir string, j *flow.ElectronicJournal, rotate bool) (*KeyRing, error) {
	till := j.TillID
	if !safeTill.MatchString(till) {
		return nil, fmt.Errorf("till id %q cannot name a key file (letters, digits, '.', '_' and '-' only)", till)
	}
	journaled, err := JournaledKeys(ctx, j.Store, till)
	if err != nil {
		return nil, fmt.Errorf("reading the journaled signing keys: %w", err)
	}
	known := map[string]PublicKey{}
	highest := 0
	for _, k := range journaled {
		known[k.KeyVersion] = k
		if v, err := strconv.Atoi(k.KeyVersion); err == nil && v > highest {
			highest = v
		}
	}
	local, err := localVersions(dir, till)
	if err != nil {
		return nil, err
	}
	var key *rsa.PrivateKey
	version := 0
	if n := len(local); n > 0 && !rotate {
		version = local[n-1]
		if key, err = ReadPrivateKey(keyFile(dir, till, version)); err != nil {
			return nil, fmt.Errorf("signing key version %d: %w", version, err)
		}
	} else {
		if n > 0 && local[n-1] > highest {
			highest = local[n-1]
		}
		version = highest + 1
		if key, err = writeNewKey(dir, till, version); err != nil {
			return nil, fmt.Errorf("making signing key version %d: %w", version, err)
		}
	}
	ring := &KeyRing{TillID: till, Version: strconv.Itoa(version), key: key}
	pub := ring.PublicKey()
	if k, ok := known[ring.Version]; ok {
		if !k.Key.Equal(&key.PublicKey) {
			return nil, fmt.Errorf("signing key version %s in %s is not the key the journal has for that version; move the file away so the till makes a new version", ring.Version, dir)
		}
		return ring, nil
	}
	_, err = j.Record(ctx, flow.JournalRecord{Event: flow.JournalSigningKey, KeyVersion: ring.Version,
		Text: fmt.Sprintf("SAF-T signing key version %s (RSA-SHA1-1024)", ring.Version), Data: string(pub.PEM())})
	if err != nil {
		return nil, fmt.Errorf("journaling signing key version %s: %w", ring.Version, err)
	}
	return ring, nil
}

// JournaledKeys returns the public keys journaled for till ("" for every
// till), oldest first per till.
func JournaledKeys(ctx context.Context, js flow.JournalStore, till string) ([]PublicKey, error) {
	recs, err := js.JournalRecords(ctx, flow.JournalQuery{TillID: till, Events: []flow.JournalEvent{flow.JournalSigningKey}})
	if err != nil {
		return nil, err
	}
	var out []PublicKey
	for _, r := range recs {
		keys, err := ParsePublicKeys([]byte(r.Data))
		if err != nil || len(keys) != 1 {
			return nil, fmt.Errorf("journal record %d of till %s: no public key in it (%v)", r.Seq, r.TillID, err)
		}
		k := keys[0]
		k.Register, k.KeyVersion, k.Created = r.TillID, r.KeyVersion, r.At
		out = append(out, k)
	}
	return out, nil
}
