package app

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
)

func TestDailyBackupsAreKeptForAWeek(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "kasse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.Local)
	a := &autoBackup{db: db, dir: BackupDir(dir), keep: 7, log: slog.New(slog.DiscardHandler), now: func() time.Time { return now }}

	var written []string
	for day := range 10 {
		for hour := range 3 { // the till looks every hour; one backup a day
			now = time.Date(2026, 3, 1+day, 8+hour, 0, 0, 0, time.Local)
			file, err := a.once(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if (file != "") != (hour == 0) {
				t.Fatalf("day %d hour %d: wrote %q", day, hour, file)
			}
			if file != "" {
				written = append(written, filepath.Base(file))
			}
		}
	}
	names, err := a.backups()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 7 || names[0] != written[3] || names[6] != written[9] {
		t.Fatalf("kept %v, want the last 7 of %v", names, written)
	}
	if runtime.GOOS != "windows" {
		assertPrivate(t, filepath.Join(a.dir, names[6]))
		if fi, err := os.Stat(a.dir); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("backups dir: %v %v, want mode 700", fi, err)
		}
	}
	b, err := store.Open(filepath.Join(a.dir, names[6]))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.IntegrityCheck(t.Context()); err != nil {
		t.Fatal(err)
	}
}
