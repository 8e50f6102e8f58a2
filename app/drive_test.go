package app

import (
	"context"
	"strings"
	"testing"
	"time"
)

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
