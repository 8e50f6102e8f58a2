package app

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A driver stopped part-way and started again on the same data directory
// counts the sales already in the database and only makes up the rest.
func TestDriveContinuesFromTheDatabase(t *testing.T) {
	dir := t.TempDir()
	run := func(sales int) DriveStatus {
		cfg := DefaultConfig()
		cfg.DataDir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		till, err := Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer till.Close()
		if err := till.Sim.SetAuto("approve", 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		st, err := Drive(ctx, till, DriveOptions{Sales: sales, Seed: 7, Customers: 5, SaleTimeout: 20 * time.Second,
			Drain: 20 * time.Second, StatusFile: dir + "/status.json"})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := run(2)
	if first.Paid != 2 || first.ThisRun != 2 || first.Unsettled != 0 {
		t.Fatalf("first run: %+v, want 2 paid and settled", first)
	}
	second := run(3)
	if second.Paid != 3 || second.ThisRun != 1 || second.Unsettled != 0 {
		t.Fatalf("second run: %+v, want 3 paid in all, 1 of them now", second)
	}
	if second.Webhooks.Accepted == 0 {
		t.Errorf("no webhook reached the till's listener: %+v", second.Webhooks)
	}
}

// `kasse drive --demo` on the built-in simulator completes its sales: the
// demo phone's customer approves by herself after a moment.
func TestDriveDemoCompletesSales(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Demo = t.TempDir(), true
	opt := DefaultDriveOptions()
	opt.Sales, opt.Seed, opt.Drain, opt.SaleTimeout, opt.ApproveAfter = 2, 3, 20*time.Second, 20*time.Second, 50*time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var out strings.Builder
	if err := RunDrive(ctx, cfg, opt, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "drive: 2 paid, 0 voided, 0 unsettled") {
		t.Errorf("drive said %q", out.String())
	}
}
