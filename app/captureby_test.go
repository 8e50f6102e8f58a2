package app

import (
	"log/slog"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// A payment whose capture Vipps keeps refusing (500) shows on the Problems
// list with the deadline Vipps gives for it (captureGuaranteedUntil), as a
// warning before it is parked; once Vipps answers again, Retry captures it
// once and the warning goes.
func TestACaptureNearItsDeadlineIsOnTheProblemsList(t *testing.T) {
	sc := sim.DefaultConfig()
	sc.Auto, sc.AutoDelay, sc.AuthorizingWindow, sc.HTTPWebhooks = "approve", 10*time.Millisecond, 0, true
	sc.CaptureGuarantee = 36 * time.Hour
	sc.Faults.Endpoints = map[string]sim.EndpointFaults{"epayment.capture": {Error5xx: 1}}
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Demo = true // the demo catalogue; Vipps is the simulator above
	cfg.Vipps.BaseURL, cfg.Vipps.ClientID, cfg.Vipps.ClientSecret, cfg.Vipps.SubscriptionKey = url, sc.ClientID, sc.ClientSecret, sc.SubscriptionKey
	tl, err := Start(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tl.Close)
	ctx := t.Context()

	if err := tl.till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
		t.Fatal(err)
	}
	if err := tl.till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tl, "the customer", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if err := tl.till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	paid := waitFor(t, tl, "paid", func(v flow.View) bool { return v.Stage == flow.StagePaid })

	var warned flow.ParkedJob
	deadline := time.Now().Add(30 * time.Second)
	for warned.ID == 0 && time.Now().Before(deadline) {
		jobs, err := tl.checkout.ParkedJobs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Job == flow.JobCapture && j.SaleID == paid.SaleID {
				warned = j
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if warned.ID == 0 {
		t.Fatal("the failing capture never reached the Problems list")
	}
	if left := time.Until(warned.CaptureBy); warned.Parked || left < 35*time.Hour || left > 37*time.Hour {
		t.Errorf("the capture on the Problems list: %+v (deadline %s away, want 36 h, not parked)", warned, left)
	}

	s.SetFaults(sim.Faults{})
	if err := tl.checkout.RetryParked(ctx, warned.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tl, "settled", func(v flow.View) bool { return v.Settlement == flow.SettlementDone })
	if e, _ := s.LedgerFor(paid.Payment.Reference); e.Captures != 1 || e.Captured != int64(paid.Total) {
		t.Errorf("Vipps' record: %+v, want one full capture", e)
	}
	if jobs, _ := tl.checkout.ParkedJobs(ctx); len(jobs) != 0 {
		t.Errorf("after the capture the Problems list still has %+v", jobs)
	}
}
