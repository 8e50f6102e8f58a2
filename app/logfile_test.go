package app

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestLogIsRotatedBySizeAndCount(t *testing.T) {
	dir := t.TempDir()
	log, closeLog, err := newLogger(dir, LogOptions{MaxSize: 2000, Keep: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		log.Info("sale closed", "n", i, "detail", strings.Repeat("x", 40))
	}
	closeLog()

	names, _ := filepath.Glob(filepath.Join(dir, LogName+"*"))
	if len(names) != 4 {
		t.Fatalf("log files %v, want kasse.log and 3 rotated", names)
	}
	for _, name := range names {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 2000 {
			t.Errorf("%s is %d bytes, over the 2000 allowed", filepath.Base(name), fi.Size())
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(name), fi.Mode().Perm())
		}
	}
	// The newest record is in kasse.log, the ones before it in kasse.log.1.
	cur, _ := os.ReadFile(LogPath(dir))
	if !bytes.Contains(cur, []byte("n=199 ")) {
		t.Errorf("kasse.log does not end with the last record:\n%s", cur)
	}
	prev, _ := os.ReadFile(LogPath(dir) + ".1")
	if bytes.Contains(prev, []byte("n=199 ")) || !bytes.Contains(prev, []byte("sale closed")) {
		t.Errorf("kasse.log.1 is not the file before:\n%s", prev)
	}
}

func TestTailLogPrintsTheLastLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogName)
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		n    int
		want string
	}{{3, "line 7\nline 8\nline 9\n"}, {1, "line 9\n"}, {50, b.String()}, {0, ""}} {
		var out bytes.Buffer
		if err := TailLog(t.Context(), path, tt.n, false, &out); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("tail %d = %q, want %q", tt.n, out.String(), tt.want)
		}
	}
}
