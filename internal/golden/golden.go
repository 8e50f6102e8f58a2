// Package golden is the one way tests compare output with a golden file
// under testdata/ (receipts, SAF-T XML, Vipps request bodies): set
// UPDATE_GOLDEN=1 to rewrite them all, e.g.
//
//	UPDATE_GOLDEN=1 go test ./...
//
// then review the diff. A test that was asked to update and could not
// write its file fails; one that did says so in the test log.
package golden

import (
	"bytes"
	"os"
	"testing"
)

// Updating reports whether UPDATE_GOLDEN asks for the files to be rewritten.
func Updating() bool { return os.Getenv("UPDATE_GOLDEN") != "" }

// Want is the golden file's content. When Updating, got is written there
// first: a write that fails fails the test.
func Want(t testing.TB, path string, got []byte) []byte {
	t.Helper()
	if Updating() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("updating the golden file: %v", err)
		}
		t.Logf("updated %s", path)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	return want
}

// Check fails the test when got differs from the golden file at path.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if want := Want(t, path, got); !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run with UPDATE_GOLDEN=1 and review the diff", path)
	}
}
