package app

import (
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// startGatewaySim is a simulated sales unit in currency and a vipps
// client on it over HTTP.
func startGatewaySim(t *testing.T, currency string) (*sim.Sim, *vipps.Client) {
	t.Helper()
	sc := sim.DefaultConfig()
	sc.Currency = currency
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	c, err := vipps.New(vipps.Config{BaseURL: url, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret,
		SubscriptionKey: sc.SubscriptionKey, MSN: sc.MSN, RetryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// A capture or refund names the payment's own currency, not the one the
// till is configured with now: a Danish payment captured by a till whose
// configuration says NOK (changed since, or restarted with a parked
// capture) is captured and refunded in DKK.
func TestCaptureAndRefundUseThePaymentsCurrency(t *testing.T) {
	for _, cur := range []string{"DKK", "EUR"} {
		t.Run(cur, func(t *testing.T) {
			ctx := t.Context()
			s, c := startGatewaySim(t, cur)
			if err := s.SetAuto("approve", 10*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			created := newVippsGateway(c, "Klubben", cur)
			ref := "pos1-cur-" + cur
			if _, err := created.CreatePayment(ctx, flow.PaymentRequest{Reference: ref, IdempotencyKey: ref + "-create",
				Amount: 4990, Currency: cur, MSISDN: "4791234567", Description: "Butikken"}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				p, err := created.GetPayment(ctx, ref)
				if err != nil {
					t.Fatal(err)
				}
				if p.State == flow.VippsAuthorized {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("payment still %s", p.State)
				}
				time.Sleep(10 * time.Millisecond)
			}

			later := newVippsGateway(c, "Klubben", "NOK") // knows nothing of the payment
			info, err := later.Capture(ctx, ref, 4990, ref+"-capture")
			if err != nil {
				t.Fatalf("capture: %v", err)
			}
			if info.Captured != 4990 {
				t.Errorf("captured %d, want 4990", info.Captured)
			}
			if info, err = later.Refund(ctx, ref, 1000, ref+"-refund"); err != nil || info.Refunded != 1000 {
				t.Fatalf("refund: %+v, %v", info, err)
			}
			if e, ok := s.LedgerFor(ref); !ok || e.Currency != cur || e.Captured != 4990 {
				t.Errorf("Vipps' record: %+v", e)
			}
		})
	}
}
