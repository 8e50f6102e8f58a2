package drive_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app"
	"github.com/kasse-pos/kasse/app/internal/drive"
)

// A driver stopped part-way and started again on the same data directory
// counts the sales already in the database and only makes up the rest.
func TestDriveContinuesFromTheDatabase(t *testing.T) {
	dir := t.TempDir()
	run := func(sales int) drive.Status {
		cfg := app.DefaultConfig()
		cfg.DataDir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		till, err := app.Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer till.Close()
		if err := till.Sim().SetAuto("approve", 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		st, err := drive.Run(ctx, till, drive.Options{Sales: sales, Seed: 7, Customers: 5, SaleTimeout: 20 * time.Second,
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

// With mixed tenders every sale is paid: in cash or by card alone, or part
// in cash and the rest by Vipps, whose capture is the Vipps part only.
func TestDriveWithMixedTenders(t *testing.T) {
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	till, err := app.Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer till.Close()
	if err := till.Sim().SetAuto("approve", 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	st, err := drive.Run(ctx, till, drive.Options{Sales: 12, Seed: 3, Customers: 5, MixedShare: 1, SaleTimeout: 20 * time.Second,
		Drain: 20 * time.Second, StatusFile: cfg.DataDir + "/status.json"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Paid != 12 || st.Unsettled != 0 {
		t.Fatalf("status %+v", st)
	}
	sales, err := till.Store().PaidSales(ctx, till.POSID())
	if err != nil {
		t.Fatal(err)
	}
	var otherwise, split int
	for _, s := range sales {
		switch {
		case s.Reference == "" && s.Others >= s.Total:
			otherwise++
		case s.Reference != "" && s.Others > 0:
			split++
			e, ok := till.Sim().LedgerFor(s.Reference)
			if !ok || e.Captured != s.Total-s.Others || e.Captures != 1 {
				t.Errorf("sale %d: %d of %d paid otherwise, Vipps captured %+v", s.ID, s.Others, s.Total, e)
			}
		}
	}
	if otherwise == 0 || split == 0 {
		t.Errorf("%d sales paid without Vipps, %d split with Vipps: want both", otherwise, split)
	}
}
