package app

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// demoConfig is a demo till's configuration in dir.
func demoConfig(dir string) *Config {
	cfg := DefaultConfig()
	cfg.DataDir = dir
	cfg.Demo = true
	return cfg
}

func assertPrivate(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %o, want 600", filepath.Base(path), perm)
	}
}

// A --data-dir that already exists as a 0755 directory (a home directory, a
// shared folder) must not make members' data readable by every user.
func TestDataFilesArePrivateInAnOpenDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are POSIX")
	}
	dir := filepath.Join(t.TempDir(), "till")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log, closeLog, err := newLogger(dir, LogOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()
	tl, err := Start(t.Context(), demoConfig(dir), log)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	// A sale on the screen: the WAL holds data now.
	if err := tl.till.Scan(t.Context(), flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kasse.db", "kasse.db-wal", "kasse.db-shm", "kasse.log", LockFile} {
		assertPrivate(t, filepath.Join(dir, name))
	}
}

// A database an earlier release created 0644 is made private on the next start.
func TestExistingWorldReadableDatabaseIsMadePrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are POSIX")
	}
	dir := t.TempDir()
	tl, err := Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	tl.Close()
	for _, name := range []string{"kasse.db", "kasse.db-wal"} {
		_ = os.Chmod(filepath.Join(dir, name), 0o644)
	}
	tl, err = Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	assertPrivate(t, filepath.Join(dir, "kasse.db"))
	assertPrivate(t, filepath.Join(dir, "kasse.db-wal"))
}

func TestSecondTillOnTheSameDataDirIsRefused(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))
	var running *AlreadyRunningError
	if !errors.As(err, &running) {
		first.Close()
		t.Fatalf("second start on the same data dir: %v, want AlreadyRunningError", err)
	}
	if running.PID != os.Getpid() || !strings.Contains(err.Error(), "pid ") {
		t.Errorf("refusal %q names pid %d, want %d", err, running.PID, os.Getpid())
	}
	first.Close()
	// Closed, the data dir is free again.
	again, err := Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start after the first till closed: %v", err)
	}
	again.Close()
}

// lockHolderEnv makes this test binary a process that holds a data dir's
// lock until it is killed (see TestLockHolderProcess).
const lockHolderEnv = "KASSE_TEST_HOLD_LOCK"

func TestLockHolderProcess(t *testing.T) {
	dir := os.Getenv(lockHolderEnv)
	if dir == "" {
		t.Skip("helper process for TestDataDirLockGoesWithTheProcess")
	}
	if _, err := lockDataDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "holding"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Minute)
}

// Another process holding the data dir refuses this one, naming its pid;
// once it is killed with SIGKILL the till starts at once, without anyone
// removing a stale lock file.
func TestDataDirLockGoesWithTheProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL")
	}
	dir := t.TempDir()
	holder := exec.Command(os.Args[0], "-test.run=^TestLockHolderProcess$")
	holder.Env = append(os.Environ(), lockHolderEnv+"="+dir)
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Process.Kill(); _ = holder.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "holding")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the helper process did not take the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}

	_, err := Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))
	var running *AlreadyRunningError
	if !errors.As(err, &running) || running.PID != holder.Process.Pid {
		t.Fatalf("start while pid %d holds the dir: %v", holder.Process.Pid, err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("refusal %q does not name the data dir", err)
	}

	_ = holder.Process.Signal(syscall.SIGKILL)
	_ = holder.Wait()
	tl, err := Start(t.Context(), demoConfig(dir), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("start after the holder was killed: %v", err)
	}
	tl.Close()
}
