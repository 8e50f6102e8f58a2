package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// FileMode is the mode of every file the till keeps its data in: the
// database holds members' names, phones, e-mails and birth dates.
const FileMode fs.FileMode = 0o600

// sqliteCompanions are the files SQLite keeps beside the database in WAL mode.
var sqliteCompanions = []string{"", "-wal", "-shm", "-journal"}

// secureSQLiteFiles creates the database file readable by its owner only
// before SQLite opens it (SQLite gives -wal and -shm the mode of the
// database file), and tightens the files a release before this one left
// world-readable. A memory database or a file: URI is left to SQLite.
func secureSQLiteFiles(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return fmt.Errorf("store: creating the database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, suffix := range sqliteCompanions {
		if err := os.Chmod(path+suffix, FileMode); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: making %s private: %w", path+suffix, err)
		}
	}
	return nil
}
