package crashtest

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// TestDrainBacklog measures how long a backlog of authorized sales takes to
// settle (receipt, capture, confirm) with the simulator answering slowly,
// failing a fifth of all calls and throwing 429 bursts. It takes minutes of
// wall time, so it only runs when asked:
//
//	KASSE_DRAIN_SALES=10000 KASSE_DRAIN_WORKERS=256 KASSE_DRAIN_LATENCY=2s \
//	  go test -run DrainBacklog -v -timeout 3h ./app/internal/crashtest
//
// KASSE_DRAIN_DB=<PostgreSQL DSN> runs it on PostgreSQL instead of SQLite.
func TestDrainBacklog(t *testing.T) {
	sales := envInt("KASSE_DRAIN_SALES", 0)
	if sales == 0 {
		t.Skip("set KASSE_DRAIN_SALES to measure a backlog drain")
	}
	workers := envInt("KASSE_DRAIN_WORKERS", 64)
	latency, err := time.ParseDuration(os.Getenv("KASSE_DRAIN_LATENCY"))
	if err != nil {
		latency = 2 * time.Second
	}
	ctx := context.Background()
	cfg := sim.DefaultConfig()
	cfg.HTTPWebhooks = true
	cfg.AuthorizingWindow = 0
	cfg.PaymentExpiry = 24 * time.Hour
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer func() { srv.Close(); s.Close() }()
	dsn := os.Getenv("KASSE_DRAIN_DB")
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "kasse.db")
	}
	env := Env{DB: dsn, VippsURL: srv.URL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		SubscriptionKey: cfg.SubscriptionKey, MSN: cfg.MSN}
	db, err := store.Open(env.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := env.Client()
	if err != nil {
		t.Fatal(err)
	}
	seedStart := time.Now()
	refs, err := Seed(ctx, db, c, "drain", sales)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d authorized sales in %v", sales, time.Since(seedStart).Round(time.Second))

	slow := sim.EndpointFaults{Latency: sim.Duration(latency), Error5xx: 0.20}
	faults := sim.Faults{Seed: 3, Endpoints: map[string]sim.EndpointFaults{"epayment": slow, "ordermanagement": slow}}
	s.SetFaults(faults)

	w := flow.NewSettler(db, app.NewVippsGateway(c, "", "NOK"), nil)
	w.Workers = workers
	var settled atomic.Int64
	w.OnSettled = func(int64, flow.SettlementStatus) { settled.Add(1) }
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(runCtx) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last429, bursting, bursts := time.Now(), false, int64(0)
	for {
		<-tick.C
		// A burst of 429s every half minute, lasting about a second.
		// SetFaults restarts the simulator's random sequence, so each
		// burst gets its own seed and is switched off only once.
		switch {
		case time.Since(last429) > 30*time.Second:
			bursts++
			burst := slow
			burst.Burst429 = workers
			s.SetFaults(sim.Faults{Seed: 3 + bursts, Endpoints: map[string]sim.EndpointFaults{"epayment": burst, "ordermanagement": slow}})
			last429, bursting = time.Now(), true
		case bursting && time.Since(last429) > 2*time.Second:
			s.SetFaults(sim.Faults{Seed: 1000 + bursts, Endpoints: faults.Endpoints})
			bursting = false
		}
		un, err := db.UnsettledPayments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(un) == 0 {
			break
		}
		if time.Since(start)%time.Minute < time.Second {
			t.Logf("%v: %d sales settled, %d to go", time.Since(start).Round(time.Second), settled.Load(), len(un))
		}
	}
	took := time.Since(start)
	stop()
	<-done
	t.Logf("DRAIN: %d sales (receipt+capture+confirm) with %d workers, %v latency, 20%% 5xx, 429 bursts: %v (%.1f sales/s)",
		sales, workers, latency, took.Round(time.Second), float64(sales)/took.Seconds())
	ledger := s.Ledger()
	byRef := map[string]sim.LedgerEntry{}
	for _, e := range ledger {
		byRef[e.Reference] = e
	}
	for _, ref := range refs {
		if e := byRef[ref]; e.Captures != 1 || e.Captured != e.Authorized || e.ReceiptsAttached != 1 {
			t.Errorf("%s: %d captures (%d of %d), %d receipts", ref, e.Captures, e.Captured, e.Authorized, e.ReceiptsAttached)
		}
	}
}
