package crashtest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// BenchmarkDrain: how fast the settlement worker works off a backlog of
// authorized sales (receipt, capture, confirmation each) against the
// simulator with a round-trip time on every call and a fifth of them
// failing with 500. Each iteration is a fresh backlog of 200 sales.
func BenchmarkDrain(b *testing.B) {
	const backlog = 200
	for _, workers := range []int{8, 64} {
		b.Run(fmt.Sprintf("workers=%d/rtt=50ms/5xx=20%%", workers), func(b *testing.B) {
			ctx := context.Background()
			cfg := sim.DefaultConfig()
			cfg.HTTPWebhooks = true
			cfg.AuthorizingWindow = 0
			cfg.PaymentExpiry = 24 * time.Hour
			cfg.MutatingPerMinute, cfg.ReadsPerMinute = -1, -1
			s, err := sim.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(s)
			defer func() { srv.Close(); s.Close() }()
			env := Env{VippsURL: srv.URL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
				SubscriptionKey: cfg.SubscriptionKey, MSN: cfg.MSN}
			c, err := env.Client()
			if err != nil {
				b.Fatal(err)
			}
			slow := sim.EndpointFaults{Latency: sim.Duration(50 * time.Millisecond), Error5xx: 0.20}
			var drained time.Duration
			sales := 0
			for i := range b.N {
				b.StopTimer()
				s.SetFaults(sim.Faults{})
				db, err := store.Open(filepath.Join(b.TempDir(), "kasse.db"))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Seed(ctx, db, c, fmt.Sprintf("drain%d-%d", workers, i), backlog); err != nil {
					b.Fatal(err)
				}
				s.SetFaults(sim.Faults{Seed: int64(i + 1), Endpoints: map[string]sim.EndpointFaults{"epayment": slow, "ordermanagement": slow}})
				w := flow.NewSettler(db, app.NewVippsGateway(c, "", "NOK"), nil)
				w.Workers = workers
				w.Idle = 20 * time.Millisecond
				w.Backoff = flow.Backoff{Base: 50 * time.Millisecond, Max: time.Second}
				runCtx, stop := context.WithCancel(ctx)
				done := make(chan error, 1)
				b.StartTimer()
				start := time.Now()
				go func() { done <- w.Run(runCtx) }()
				for {
					un, err := db.UnsettledPayments(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if len(un) == 0 {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				drained += time.Since(start)
				sales += backlog
				b.StopTimer()
				stop()
				<-done
				db.Close()
			}
			b.ReportMetric(float64(sales)/drained.Seconds(), "sales/s")
		})
	}
}
