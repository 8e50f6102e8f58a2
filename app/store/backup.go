package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ErrPostgresBackup is what Backup says for a PostgreSQL database: the
// server's own tools make a consistent copy of it.
var ErrPostgresBackup = errors.New("a PostgreSQL database is backed up on the database server with pg_dump " +
	"(pg_dump --format=custom --file=kasse.dump \"$KASSE_DB\") and restored with pg_restore " +
	"(pg_restore --clean --if-exists --dbname=\"$KASSE_DB\" kasse.dump)")

// Backup writes a consistent copy of the SQLite database to path while the
// till keeps selling: VACUUM INTO reads one snapshot of the database,
// including what is still only in the WAL, so the copy is a database on its
// own (no -wal beside it). The file is readable by its owner only and
// appears under its name only once it is complete.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.postgres {
		return ErrPostgresBackup
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: %s exists already; choose a new file name", path)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".part"+strconv.Itoa(os.Getpid()))
	// VACUUM INTO takes an empty file, and keeps its mode.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer func() { _ = os.Remove(tmp) }() // normally renamed away already
	if err := db.gorm.WithContext(ctx).Exec("VACUUM INTO ?", tmp).Error; err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// IntegrityCheck runs SQLite's own check of every page and index.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	if db.postgres {
		return nil
	}
	var result []string
	if err := db.gorm.WithContext(ctx).Raw("PRAGMA integrity_check").Scan(&result).Error; err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	if len(result) != 1 || result[0] != "ok" {
		return fmt.Errorf("store: the database is damaged: %v", result)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
