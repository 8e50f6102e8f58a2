package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// TestMain turns the test binary into the child when asked to: the crash
// test kills a real process, and this one needs no separate build.
func TestMain(m *testing.M) {
	if IsChild() {
		if err := RunChild(context.Background(), EnvFromOS(), os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "crashtest child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// faults make every ePayment and Order Management call slow now and then,
// fail some before and some after doing the work, and drop connections.
var faults = sim.Faults{Seed: 1, Endpoints: map[string]sim.EndpointFaults{
	"epayment":        {Latency: sim.Duration(time.Millisecond), LatencyMax: sim.Duration(15 * time.Millisecond), Error5xx: 0.10, Error5xxAfter: 0.05, DropAfter: 0.05, TooMany: 0.02},
	"ordermanagement": {Latency: sim.Duration(time.Millisecond), LatencyMax: sim.Duration(15 * time.Millisecond), Error5xx: 0.10, Error5xxAfter: 0.05, DropAfter: 0.05},
}}

// TestCrashedSettlementCapturesExactlyOnce: a child settling sales is
// SIGKILLed at random moments and restarted; afterwards the simulator's
// ledger shows each sale captured once, in full, with one receipt.
// KASSE_CRASHTEST_SALES and KASSE_CRASHTEST_KILLS make it longer;
// KASSE_CRASHTEST_SIM points it at a running `kasse sim` instead of an
// in-process simulator.
func TestCrashedSettlementCapturesExactlyOnce(t *testing.T) {
	sales, kills := envInt("KASSE_CRASHTEST_SALES", 200), envInt("KASSE_CRASHTEST_KILLS", 8)
	ctx := context.Background()
	simURL := os.Getenv("KASSE_CRASHTEST_SIM")
	cfg := sim.DefaultConfig()
	cfg.HTTPWebhooks = true
	if simURL == "" {
		cfg.AuthorizingWindow = 0
		cfg.PaymentExpiry = time.Hour
		s, err := sim.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s)
		t.Cleanup(func() { srv.Close(); s.Close() })
		simURL = srv.URL
	}
	env := Env{DB: filepath.Join(t.TempDir(), "kasse.db"), VippsURL: simURL, ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, SubscriptionKey: cfg.SubscriptionKey, MSN: cfg.MSN, Lease: 2 * time.Second}
	db, err := store.Open(env.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := env.Client()
	if err != nil {
		t.Fatal(err)
	}
	pos := fmt.Sprintf("crash%d", time.Now().UnixNano()%1e9) // fresh references on a shared simulator
	refs, err := Seed(ctx, db, c, pos, sales)
	if err != nil {
		t.Fatal(err)
	}
	if err := SetFaults(ctx, simURL, faults); err != nil {
		t.Fatal(err)
	}
	defer SetFaults(ctx, simURL, sim.Faults{})

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("%d sales, %d kills, kill-timing seed %d", sales, kills, seed)
	start := time.Now()
	midFlight := 0
	for i := range kills {
		child := startChild(t, env)
		time.Sleep(time.Duration(20+rng.IntN(250)) * time.Millisecond) // a random moment, not a timing assertion
		_ = child.Process.Signal(syscall.SIGKILL)
		_ = child.Wait()
		var running int64
		db.Gorm().Table("settlement_jobs").Where("state = ?", flow.JobRunning).Count(&running)
		if running > 0 {
			midFlight++
		}
		t.Logf("kill %d: %d jobs were in flight", i+1, running)
	}
	child := startChild(t, env)
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(env.DB + ".log")
			t.Logf("children's log:\n%s", b)
		}
	}()
	waited := make(chan error, 1)
	go func() { waited <- child.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("the last child failed: %v", err)
		}
	case <-time.After(90 * time.Second):
		_ = child.Process.Kill()
		t.Error("the last child did not settle everything in 90 s")
	}
	t.Logf("settled after %d kills (%d mid-flight) in %v", kills, midFlight, time.Since(start).Round(time.Millisecond))
	if midFlight == 0 && kills > 0 {
		t.Error("no kill landed while a job was in flight: the test proved nothing")
	}

	ledger, err := Ledger(ctx, simURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		e, ok := ledger[ref]
		switch {
		case !ok:
			t.Errorf("%s: not in the simulator's ledger", ref)
		case e.Captures != 1 || e.Captured != e.Authorized || e.Authorized == 0:
			t.Errorf("%s: %d captures of %d, authorized %d; want exactly one full capture", ref, e.Captures, e.Captured, e.Authorized)
		case e.ReceiptsAttached != 1:
			t.Errorf("%s: %d receipts attached, want 1", ref, e.ReceiptsAttached)
		}
	}
	var open int64
	db.Gorm().Table("settlement_jobs").Where("state <> ?", flow.JobDone).Count(&open)
	if open != 0 {
		t.Errorf("%d settlement jobs not done", open)
	}
}

func startChild(t *testing.T, env Env) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env.Environ()...)
	log, err := os.OpenFile(env.DB+".log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}
