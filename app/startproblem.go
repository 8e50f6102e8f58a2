package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/kasse-pos/kasse/ui"
)

// startReason sorts a refusal to start into what the person at the till
// can do about it.
func startReason(err error) (reason string, args map[string]string) {
	var running *AlreadyRunningError
	var cfgErr *ConfigError
	var dbErr *openDBError
	switch {
	case errors.As(err, &running):
		return ui.StartRunning, map[string]string{"PID": strconv.Itoa(running.PID), "Dir": running.Dir}
	case errors.As(err, &cfgErr):
		return ui.StartConfig, nil
	case errors.As(err, &dbErr):
		return ui.StartDatabase, map[string]string{"Dir": dbErr.dir}
	}
	return ui.StartOther, nil
}

// openDBError is a database the till could not open.
type openDBError struct {
	dir string
	err error
}

func (e *openDBError) Error() string { return "opening the database: " + e.err.Error() }
func (e *openDBError) Unwrap() error { return e.err }

// RefuseStart records why the till did not start in the log and, when
// nobody sees the terminal (started from the menu, autostart, a service),
// shows it in a small window with the way out: open the settings, show the
// log, start again. It returns err, for the command line to print.
func RefuseStart(ctx context.Context, cfg *Config, err error) error {
	reason, _ := startReason(err)
	if log, closeLog, lerr := newLogger(cfg.DataDir, LogOptions{}, nil); lerr == nil {
		log.Error("the till did not start", "reason", reason, "err", err, "version", Version)
		closeLog()
	}
	if !windowWanted() {
		return err
	}
	a := fyneapp.NewWithID(AppID)
	showStartProblem(a, cfg, err)
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	a.Run()
	return err
}

// showStartProblem opens the refusal window in a.
func showStartProblem(a fyne.App, cfg *Config, err error) *ui.StartProblemWindow {
	reason, args := startReason(err)
	p := ui.StartProblem{
		Lang: cfg.Lang, Reason: reason, Args: args, LogPath: LogPath(cfg.DataDir), Brand: brandToday(cfg, time.Now()),
		LogText: func() string {
			var b bytes.Buffer
			if err := TailLog(context.Background(), LogPath(cfg.DataDir), 200, false, &b); err != nil {
				return err.Error()
			}
			return b.String()
		},
		OnRetry: func() {
			if os.Getenv("INVOCATION_ID") != "" {
				return // a systemd service: it starts the till again once this one exits
			}
			// The same command line, as a new process: this one's Fyne
			// app cannot become the till's.
			cmd := exec.Command(os.Args[0], os.Args[1:]...)
			_ = cmd.Start()
		},
	}
	if reason == ui.StartConfig || reason == ui.StartOther {
		if settings, serr := NewSettingsManager(cfg.DataDir, cfg.File); serr == nil {
			p.OnSettings = func() { ui.ShowSettingsWindow(a, settings) }
		}
	}
	w := ui.NewStartProblemWindow(a, p)
	w.Win.Show()
	return w
}

// windowWanted: a person started the till without a terminal to read its
// refusal on, and there is a display to show a window on.
func windowWanted() bool {
	if os.Getenv("KASSE_NO_WINDOW") != "" {
		return false
	}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return false // a terminal: the error is printed there
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
	}
	return true
}
