package app

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kasse-pos/kasse/app/store"
)

// LockFile is the file in the data directory that a running till holds
// locked, so a second till on the same SQLite database is refused. The lock
// is the operating system's (flock, LockFileEx): it goes with the process,
// so a till killed or crashed can be started again at once.
const LockFile = "kasse.lock"

// AlreadyRunningError is a start refused because another process holds the
// data directory.
type AlreadyRunningError struct {
	Dir string
	PID int // 0 when the holder did not write its pid yet
}

func (e *AlreadyRunningError) Error() string {
	holder := "another kasse"
	if e.PID > 0 {
		holder = fmt.Sprintf("another kasse (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s is already running on the data directory %s: close it first, or give this one another --data-dir", holder, e.Dir)
}

// errLocked is what the platform's lock call reports when another process
// holds the lock.
var errLocked = errors.New("locked by another process")

// lockDataDir takes the data directory's lock for this process and writes
// this process's pid into the lock file. release gives it back.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, store.FileMode)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file: %w", err)
	}
	if err := lockFile(f); err != nil {
		defer func() { _ = f.Close() }() // not ours: another process holds the lock
		if errors.Is(err, errLocked) {
			return nil, &AlreadyRunningError{Dir: dir, PID: readPID(f)}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		_ = f.Truncate(0)
		_ = unlockFile(f)
		_ = f.Close()
	}, nil
}

func readPID(f *os.File) int {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 32))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
