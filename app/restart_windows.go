//go:build windows

package app

import (
	"os"
	"os/exec"
)

// restartTill starts the same command line again, once the till has let
// go of its data directory, and lets this process end.
func restartTill() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return exec.Command(exe, os.Args[1:]...).Start()
}
