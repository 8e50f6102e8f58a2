package app

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/kasse-pos/kasse/app/internal/drive"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// DriveOptions configure `kasse drive`, the headless load driver
// (app/internal/drive): scripted sales through the same checkout the
// cashier window drives.
type DriveOptions = drive.Options

// DefaultDriveOptions drive 100 sales and wait for settlement.
func DefaultDriveOptions() *DriveOptions { return drive.DefaultOptions() }

// RunDrive starts a till without windows from cfg and drives it.
func RunDrive(ctx context.Context, cfg *Config, opt *DriveOptions, out io.Writer) error {
	if cfg.Vipps.Env == EnvSimulator && cfg.Vipps.BaseURL != "" {
		// An external `kasse sim` accepts its printed demo credentials;
		// the environment overrides them as for any Vipps.
		d := sim.DefaultConfig()
		if cfg.Vipps.ClientSecret == "" {
			cfg.Vipps.ClientSecret = d.ClientSecret
		}
		if cfg.Vipps.SubscriptionKey == "" {
			cfg.Vipps.SubscriptionKey = d.SubscriptionKey
		}
	}
	var stderr io.Writer
	if opt.Verbose {
		stderr = os.Stderr
	}
	log, closeLog, err := newLogger(cfg.DataDir, LogOptions{}, stderr)
	if err != nil {
		return fmt.Errorf("opening the log: %w", err)
	}
	defer closeLog()
	log.Info("starting headless driver", "version", Version, "vipps_env", cfg.Vipps.Env, "sales", opt.Sales)
	t, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer t.Close()
	if t.sim != nil && opt.ApproveAfter > 0 {
		// No window shows the demo phone: its customer answers by itself.
		if err := t.sim.SetAuto("approve", opt.ApproveAfter); err != nil {
			return err
		}
	}
	st, err := drive.Run(ctx, t, *opt)
	if _, werr := fmt.Fprintf(out, "drive: %d paid, %d voided, %d unsettled, %d sales in this run\n", st.Paid, st.Voided, st.Unsettled, st.ThisRun); err == nil {
		err = werr
	}
	return err
}
