//go:build !windows

package app

import (
	"os"
	"syscall"
)

// restartTill replaces this process with a new start of the same command
// line, once the till has let go of its data directory: the settings the
// first-run assistant saved are read as at any start.
func restartTill() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, os.Environ())
}
