package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	fyneapp "fyne.io/fyne/v2/app"

	"github.com/kasse-pos/kasse/ui"
)

// AppID is the application id registered with the desktop (FyneApp.toml).
const AppID = "no.kasse.till"

// Run starts the till and blocks until its windows are closed or ctx ends.
func Run(ctx context.Context, cfg *Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating the data directory: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	log.Info("starting till", "version", Version, "vipps_env", cfg.Vipps.Env, "data_dir", cfg.DataDir, "demo", cfg.Demo)

	a := fyneapp.NewWithID(AppID)
	windows := ui.New(a, ui.Options{StoreName: cfg.Store.Name, Lang: cfg.Lang, CustomerDisplay: ui.Display{
		Disabled: cfg.CustomerDisplay.Disabled, Fullscreen: cfg.CustomerDisplay.Fullscreen, X: cfg.CustomerDisplay.X, Y: cfg.CustomerDisplay.Y,
	}})
	go func() {
		<-ctx.Done()
		windows.Quit()
	}()
	windows.ShowAndRun()
	return nil
}
