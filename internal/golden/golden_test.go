package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps what a check said instead of failing.
type recorder struct {
	testing.TB
	failed bool
	logs   []string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Logf(f string, a ...any)   { r.logs = append(r.logs, f) }
func (r *recorder) Errorf(f string, a ...any) { r.failed = true }
func (r *recorder) Fatalf(f string, a ...any) { r.failed = true; panic(r) }

func check(r *recorder, path string, got []byte) {
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
	}()
	Check(r, path, got)
}

func TestUpdateWritesAndSaysSo(t *testing.T) {
	t.Setenv("UPDATE_GOLDEN", "1")
	path := filepath.Join(t.TempDir(), "x.golden")
	r := &recorder{TB: t}
	check(r, path, []byte("new"))
	if b, err := os.ReadFile(path); r.failed || err != nil || string(b) != "new" || len(r.logs) != 1 || !strings.Contains(r.logs[0], "updated") {
		t.Fatalf("failed %v, file %q %v, logs %q", r.failed, b, err, r.logs)
	}
}

// Asked to update a file it cannot write, the test fails: it must never
// pass as if the golden file had been renewed.
func TestUpdateThatCannotWriteFails(t *testing.T) {
	t.Setenv("UPDATE_GOLDEN", "1")
	r := &recorder{TB: t}
	check(r, filepath.Join(t.TempDir(), "no-such-dir", "x.golden"), []byte("new"))
	if !r.failed {
		t.Fatal("an update that could not write passed")
	}
}

func TestADifferenceFails(t *testing.T) {
	t.Setenv("UPDATE_GOLDEN", "")
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	if check(r, path, []byte("new")); !r.failed {
		t.Fatal("a difference passed")
	}
}
