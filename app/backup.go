package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
)

// BackupConfig is the till's own daily backup of its SQLite database, in
// backups/ in the data directory.
type BackupConfig struct {
	Keep int `json:"keep,omitempty"` // daily backups kept; 0: 7; -1: no automatic backups
}

// BackupDir is where the daily backups of the till in dataDir go.
func BackupDir(dataDir string) string { return filepath.Join(dataDir, "backups") }

func (c BackupConfig) keep() int {
	if c.Keep == 0 {
		return 7
	}
	return c.Keep
}

// errPostgres is said by backup and restore for a chain database.
var errPostgres = errors.New("this till's database is PostgreSQL: " + store.ErrPostgresBackup.Error())

// sqlitePath is the till's SQLite database file, or errPostgres.
func sqlitePath(cfg *Config) (string, error) {
	if cfg.Database != "" {
		return "", errPostgres
	}
	return DatabaseDSN(cfg), nil
}

// Backup copies the till's database to file, consistent while the till
// runs (store.DB.Backup).
func Backup(ctx context.Context, cfg *Config, file string) error {
	path, err := sqlitePath(cfg)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s: %w", path, err)
	}
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	return errors.Join(db.Backup(ctx, file), db.Close())
}

// RestoreResult says what a restore put in place.
type RestoreResult struct {
	Installation   string // the backup's installation id
	JournalRecords int    // electronic journal records, all verified
	Previous       string // where the database it replaced was saved; "" if there was none
}

// ErrOtherInstallation refuses a backup made by another till.
type ErrOtherInstallation struct{ Backup, Here string }

func (e *ErrOtherInstallation) Error() string {
	return fmt.Sprintf("the backup is from another installation (%s; this till is %s): "+
		"restore it here only if this till is to take over that one's data, with --force", e.Backup, e.Here)
}

// Restore puts the backup in file in place of the till's database. The
// till must not be running (it holds the data directory's lock). The
// backup is checked first (SQLite's integrity check and the electronic
// journal's hash chains), and must come from this installation unless force;
// the database it replaces is kept beside it as kasse.db.before-restore-….
func Restore(ctx context.Context, cfg *Config, file string, force bool) (RestoreResult, error) {
	var res RestoreResult
	path, err := sqlitePath(cfg)
	if err != nil {
		return res, err
	}
	if _, err := os.Stat(file); err != nil {
		return res, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return res, err
	}
	release, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return res, err
	}
	defer release()

	// Work on a copy: opening a database migrates it, and the backup
	// itself stays as it was.
	staged := path + ".restoring"
	removeSQLite(staged)
	defer removeSQLite(staged)
	if err := copyFile(file, staged); err != nil {
		return res, fmt.Errorf("copying the backup: %w", err)
	}
	b, err := store.Open(staged)
	if err != nil {
		return res, fmt.Errorf("%s is not a kasse database: %w", file, err)
	}
	res.Installation, err = checkBackup(ctx, b)
	if err == nil {
		res.JournalRecords, err = flow.VerifyJournal(ctx, b)
	}
	if cerr := b.Close(); err == nil {
		err = cerr // closing the last connection folds the WAL into the file
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", file, err)
	}

	if _, err := os.Stat(path); err == nil {
		cur, err := store.Open(path)
		if err != nil {
			return res, fmt.Errorf("opening the current database: %w", err)
		}
		here, err := cur.Installation(ctx)
		if err == nil && here != res.Installation && !force {
			err = &ErrOtherInstallation{Backup: res.Installation, Here: here}
		}
		if err == nil {
			res.Previous = path + ".before-restore-" + time.Now().Format("20060102-150405")
			err = cur.Backup(ctx, res.Previous)
		}
		if cerr := cur.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return res, err
		}
	}
	removeSQLite(path)
	if err := os.Rename(staged, path); err != nil {
		return res, err
	}
	return res, nil
}

// checkBackup is the integrity check and the backup's installation id.
func checkBackup(ctx context.Context, db *store.DB) (string, error) {
	if err := db.IntegrityCheck(ctx); err != nil {
		return "", err
	}
	return db.Installation(ctx)
}

// removeSQLite removes a database file and the files SQLite keeps beside it.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		_ = os.Remove(path + suffix)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }() // read only: nothing to lose
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, store.FileMode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		return errors.Join(err, out.Close())
	}
	return out.Close()
}

// autoBackup keeps a daily backup of the till's database in backups/: one
// at start when the newest is a day old or missing, then as days pass; the
// oldest beyond Keep are removed.
type autoBackup struct {
	db    *store.DB
	dir   string
	keep  int
	log   *slog.Logger
	now   func() time.Time
	every time.Duration // how often it looks whether a day has passed
}

const backupPrefix, backupSuffix = "kasse-", ".db"

func (t *Till) startAutoBackup(ctx context.Context) {
	if t.cfg.Database != "" || t.cfg.Backup.keep() < 0 {
		return
	}
	a := &autoBackup{db: t.db, dir: BackupDir(t.cfg.DataDir), keep: t.cfg.Backup.keep(), log: t.log, now: time.Now, every: time.Hour}
	var wg sync.WaitGroup
	wg.Go(func() { a.run(ctx) })
	// Close waits: the database is closed after this, and a half-written
	// backup is removed by the backup itself.
	t.closers = append(t.closers, wg.Wait)
}

func (a *autoBackup) run(ctx context.Context) {
	tick := time.NewTicker(a.every)
	defer tick.Stop()
	for {
		if _, err := a.once(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("daily backup failed", "dir", a.dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// once makes today's backup if the newest is older than a day, and prunes.
// It returns the file it wrote, if any.
func (a *autoBackup) once(ctx context.Context) (string, error) {
	if err := os.MkdirAll(a.dir, 0o700); err != nil {
		return "", err
	}
	names, err := a.backups()
	if err != nil {
		return "", err
	}
	now := a.now()
	if len(names) > 0 {
		if last, err := time.ParseInLocation("20060102-150405", strings.TrimSuffix(strings.TrimPrefix(names[len(names)-1], backupPrefix), backupSuffix), time.Local); err == nil && now.Sub(last) < 24*time.Hour {
			return "", nil
		}
	}
	file := filepath.Join(a.dir, backupPrefix+now.Format("20060102-150405")+backupSuffix)
	if err := a.db.Backup(ctx, file); err != nil {
		return "", err
	}
	a.log.Info("daily backup written", "file", file)
	names = append(names, filepath.Base(file))
	for len(names) > a.keep {
		if err := os.Remove(filepath.Join(a.dir, names[0])); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return file, err
		}
		names = names[1:]
	}
	return file, nil
}

// backups are the daily backups' names, oldest first.
func (a *autoBackup) backups() ([]string, error) {
	entries, err := os.ReadDir(a.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && strings.HasPrefix(n, backupPrefix) && strings.HasSuffix(n, backupSuffix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}
