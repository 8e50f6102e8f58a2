package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/app/store"
)

// LogName is the till's log file in the data directory; rotated files are
// LogName.1 (the newest) to LogName.N.
const LogName = "kasse.log"

// LogOptions bound the log's size on disk: a sale writes about 4.5 KB, so
// the defaults keep several weeks of a busy till in 50 MB.
type LogOptions struct {
	MaxSize int64 // bytes in kasse.log before it is rotated; 0: 10 MiB
	Keep    int   // rotated files kept beside it; 0: 4
}

func (o LogOptions) withDefaults() LogOptions {
	if o.MaxSize <= 0 {
		o.MaxSize = 10 << 20
	}
	if o.Keep <= 0 {
		o.Keep = 4
	}
	return o
}

// LogPath is where the till in dataDir writes its log.
func LogPath(dataDir string) string { return filepath.Join(dataDir, LogName) }

// newLogger writes to kasse.log in the data directory (rotated by size) and,
// when stderr is not nil, to stderr too.
func newLogger(dataDir string, opt LogOptions, stderr io.Writer) (*slog.Logger, func(), error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, nil, err
	}
	f, err := openRotatingFile(LogPath(dataDir), opt.withDefaults())
	if err != nil {
		return nil, nil, err
	}
	var w io.Writer = f
	if stderr != nil {
		w = io.MultiWriter(stderr, f)
	}
	return slog.New(slog.NewTextHandler(w, nil)), func() { _ = f.Close() }, nil // the log itself: nowhere left to report
}

// rotatingFile is an append-only log file that moves itself aside once it
// reaches its size: kasse.log → kasse.log.1 → … → kasse.log.Keep, the oldest
// dropped. Every file is readable by the owner only (phone numbers are
// masked in the log, but names and amounts are not).
type rotatingFile struct {
	mu   sync.Mutex
	path string
	opt  LogOptions
	f    *os.File
	size int64
}

func openRotatingFile(path string, opt LogOptions) (*rotatingFile, error) {
	r := &rotatingFile{path: path, opt: opt}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *rotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, store.FileMode)
	if err != nil {
		return err
	}
	// A log an earlier release left world-readable.
	_ = f.Chmod(store.FileMode)
	fi, err := f.Stat()
	if err != nil {
		return errors.Join(err, f.Close())
	}
	r.f, r.size = f, fi.Size()
	return nil
}

// Write appends p, rotating first when p would take the file past its size.
// A failed rotation keeps writing to the current file: a log that grows is
// better than a till that stops logging.
func (r *rotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	if r.size > 0 && r.size+int64(len(p)) > r.opt.MaxSize {
		_ = r.rotate()
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *rotatingFile) rotate() error {
	if err := r.f.Close(); err != nil {
		return err
	}
	r.f = nil
	_ = os.Remove(r.path + "." + strconv.Itoa(r.opt.Keep))
	for i := r.opt.Keep - 1; i >= 1; i-- {
		_ = os.Rename(r.path+"."+strconv.Itoa(i), r.path+"."+strconv.Itoa(i+1))
	}
	renameErr := os.Rename(r.path, r.path+".1")
	if err := r.open(); err != nil {
		return err
	}
	return renameErr
}

// Close closes the file; later writes fail.
func (r *rotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// TailLog writes the last n lines of the log at path to out and, with
// follow, keeps writing what is appended (across rotations) until ctx ends.
func TailLog(ctx context.Context, path string, n int, follow bool, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read only
	offset, err := tailOffset(f, n)
	if err != nil {
		return err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(out, f); err != nil || !follow {
		return err
	}
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if _, err := io.Copy(out, f); err != nil {
			return err
		}
		// Rotated: the name now holds a new, shorter file.
		cur, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && !os.SameFile(cur, now) {
			nf, err := os.Open(path)
			if err != nil {
				continue
			}
			_ = f.Close() // read only: the rotated-away log
			f = nf
		}
	}
}

// tailOffset is where the last n lines of f begin (the log is at most
// LogOptions.MaxSize, so reading it whole is fine).
func tailOffset(f *os.File, n int) (int64, error) {
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, fmt.Errorf("reading the log: %w", err)
	}
	if n <= 0 {
		return int64(len(b)), nil
	}
	i := len(b)
	if i > 0 && b[i-1] == '\n' {
		i--
	}
	for range n {
		j := bytes.LastIndexByte(b[:i], '\n')
		if j < 0 {
			return 0, nil
		}
		i = j
	}
	return int64(i + 1), nil
}
