package flow

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type settleRig struct {
	store  *memSettlementStore
	vipps  *fakeVipps
	s      *Settler
	now    time.Time
	parked []OutboxJob
	mu     sync.Mutex
}

func newSettleRig(t *testing.T) *settleRig {
	t.Helper()
	r := &settleRig{store: newMemStore(), vipps: newFakeVipps(), now: t0}
	r.s = NewSettler(r.store, r.vipps, nil)
	r.s.Now = func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }
	rng := rand.New(rand.NewPCG(1, 2))
	r.s.Rand = func() float64 { r.mu.Lock(); defer r.mu.Unlock(); return rng.Float64() }
	r.s.OnParked = func(j OutboxJob) { r.mu.Lock(); r.parked = append(r.parked, j); r.mu.Unlock() }
	return r
}

// sale authorizes a payment at Vipps and records it with its jobs.
func (r *settleRig) sale(id int64, amount Money) string {
	ref := fmt.Sprintf("pos1-%08d", id)
	r.vipps.authorize(ref, amount)
	r.store.pay(id, ref, amount, r.now)
	return ref
}

// drain runs jobs, moving the clock to the next due job whenever none is
// due, until nothing is left queued. It returns the virtual time it took.
func (r *settleRig) drain(t *testing.T) time.Duration {
	t.Helper()
	start := r.now
	for range 100000 {
		n, err := r.s.RunOnce(context.Background(), 50)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			continue
		}
		next, ok := r.nextDue()
		if !ok {
			return r.now.Sub(start)
		}
		r.mu.Lock()
		r.now = maxTime(r.now, next)
		r.mu.Unlock()
	}
	t.Fatal("jobs never drained")
	return 0
}

func (r *settleRig) nextDue() (time.Time, bool) {
	r.store.mu.Lock()
	defer r.store.mu.Unlock()
	var next time.Time
	for _, j := range r.store.jobs {
		if (j.State == JobQueued || j.State == JobRunning) && !r.store.blocked(j) && (next.IsZero() || j.NextAt.Before(next)) {
			next = j.NextAt
		}
	}
	return next, !next.IsZero()
}

func TestSettlementHappyPathRunsReceiptCaptureConfirmInOrder(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 49900)
	var order []string
	r.vipps.fail = func(op, _ string) error { order = append(order, op); return nil }
	r.drain(t)
	if got := strings.Join(order, ","); got != "receipt,capture,get,events" {
		t.Errorf("calls to Vipps = %s, want receipt, then capture, then the confirming reads", got)
	}
	if r.vipps.captures[ref] != 1 || r.vipps.receipts[ref] != 1 {
		t.Errorf("captures %d, receipts %d; want exactly one each", r.vipps.captures[ref], r.vipps.receipts[ref])
	}
	if got := r.vipps.payments[ref].Captured; got != 49900 {
		t.Errorf("captured %d, want the authorized 49900", got)
	}
	if r.store.status[1] != SettlementDone {
		t.Errorf("sale settlement = %q, want done", r.store.status[1])
	}
}

func TestSettlementRetriesTransientErrorsAndHonoursRetryAfter(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 10000)
	tries := map[string]int{}
	r.vipps.fail = func(op, _ string) error {
		tries[op]++
		switch {
		case op == "receipt" && tries[op] <= 2:
			return &GatewayError{Kind: ErrTransient, Status: 503}
		case op == "capture" && tries[op] == 1:
			return &GatewayError{Kind: ErrRateLimited, Status: 429, RetryAfter: 90 * time.Second}
		case op == "capture" && tries[op] == 2:
			return context.DeadlineExceeded
		}
		return nil
	}
	r.s.Backoff = Backoff{Base: time.Second, Max: 10 * time.Second}
	took := r.drain(t)
	if r.vipps.captures[ref] != 1 || r.store.status[1] != SettlementDone {
		t.Fatalf("captures %d, status %q: want one capture and done", r.vipps.captures[ref], r.store.status[1])
	}
	if took < 90*time.Second {
		t.Errorf("drained in %v: the 429's Retry-After of 90 s was not honoured", took)
	}
	if took > 90*time.Second+30*time.Second {
		t.Errorf("drained in %v: backoff waited far longer than needed", took)
	}
}

func TestSettlementLostAnswersNeverCaptureOrRefundTwice(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 25000)
	lost := map[string]int{}
	// Each operation goes through at Vipps but the first two answers are lost.
	r.vipps.lose = func(op, _ string) bool { lost[op]++; return lost[op] <= 2 }
	r.drain(t)
	if r.vipps.captures[ref] != 1 || r.vipps.receipts[ref] != 1 {
		t.Fatalf("captures %d, receipts %d after lost answers; want exactly one each", r.vipps.captures[ref], r.vipps.receipts[ref])
	}
	if _, err := r.s.Refund(context.Background(), 1, 5000); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if r.vipps.refunds[ref] != 1 || r.vipps.payments[ref].Refunded != 5000 {
		t.Errorf("refunds %d totalling %d; want one of 5000", r.vipps.refunds[ref], r.vipps.payments[ref].Refunded)
	}
}

func TestSettlementAlreadyCapturedElsewhereCountsAsDone(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 30000)
	// Captured in the business portal (another key) before the worker ran.
	if _, err := r.vipps.Capture(context.Background(), ref, 30000, "portal"); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if r.vipps.captures[ref] != 1 {
		t.Errorf("captures %d, want the portal's one only", r.vipps.captures[ref])
	}
	if j := r.store.job(1, JobCapture); j.State != JobDone {
		t.Errorf("capture job %s, want done after reading the payment", j.State)
	}
}

func TestSettlementParksWhatVippsRefusesAndRaisesIt(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 30000)
	r.vipps.fail = func(op, _ string) error {
		if op == "capture" {
			return &GatewayError{Kind: ErrPermanent, Status: 400, Code: "6100", Message: "capture period expired"}
		}
		return nil
	}
	r.drain(t)
	capture, confirm := r.store.job(1, JobCapture), r.store.job(1, JobConfirm)
	if capture.State != JobParked || !strings.Contains(capture.LastError, "6100") {
		t.Fatalf("capture job %s (%q), want parked with the Vipps code", capture.State, capture.LastError)
	}
	if confirm.State != JobQueued || r.vipps.calls["events"] != 0 {
		t.Errorf("confirm %s after %d event reads: it must wait behind the parked capture", confirm.State, r.vipps.calls["events"])
	}
	if len(r.parked) != 1 || r.parked[0].ID != capture.ID || r.store.status[1] != SettlementParked {
		t.Errorf("raised %v, sale status %q: the manager must be told", r.parked, r.store.status[1])
	}
	// The manager fixes it and asks to try again.
	r.vipps.fail = nil
	if err := r.s.RetryParked(context.Background(), capture.ID); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if r.vipps.captures[ref] != 1 || r.store.status[1] != SettlementDone {
		t.Errorf("after retry: captures %d, status %q; want 1 and done", r.vipps.captures[ref], r.store.status[1])
	}
}

func TestSettlementParkedReceiptDoesNotHoldBackTheMoney(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 30000)
	r.vipps.fail = func(op, _ string) error {
		if op == "receipt" {
			return &GatewayError{Kind: ErrInvalid, Status: 400, Message: "bad order line"}
		}
		return nil
	}
	r.drain(t)
	if r.store.job(1, JobReceipt).State != JobParked {
		t.Error("an invalid receipt must be parked, not retried forever")
	}
	if r.vipps.captures[ref] != 1 || r.store.status[1] != SettlementDone {
		t.Errorf("captures %d, status %q: the capture must still go through", r.vipps.captures[ref], r.store.status[1])
	}
}

func TestSettlementReleasesPaymentsVippsWillNotCapture(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 30000)
	r.vipps.payments[ref].Cancelled = 30000 // cancelled in the portal
	r.drain(t)
	if r.vipps.captures[ref] != 0 || r.store.status[1] != SettlementReleased {
		t.Errorf("captures %d, status %q; want none and released", r.vipps.captures[ref], r.store.status[1])
	}
	if j := r.store.job(1, JobConfirm); j.State != JobDone {
		t.Errorf("confirm %s: a released sale must leave no job behind", j.State)
	}
	if len(r.parked) != 0 {
		t.Errorf("parked %v: nothing for a manager to do", r.parked)
	}
}

func TestSettlementBackoffIsCappedAndJittered(t *testing.T) {
	b := Backoff{Base: 2 * time.Second, Max: time.Minute}
	tests := []struct {
		attempts int
		r        float64
		want     time.Duration
	}{
		{1, 0, time.Second}, {1, 0.999999, 2 * time.Second}, {2, 0, 2 * time.Second},
		{4, 0.5, 12 * time.Second}, {6, 0, 30 * time.Second}, {50, 0.999999, time.Minute},
	}
	for _, tt := range tests {
		got := b.Delay(tt.attempts, tt.r)
		if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.attempts, tt.r, got, tt.want)
		}
	}
}

func TestSettlementRefunds(t *testing.T) {
	ctx := context.Background()
	r := newSettleRig(t)
	ref := r.sale(1, 30000)
	if _, err := r.s.Refund(ctx, 1, 100); !errors.Is(err, ErrRefundTooLarge) {
		t.Errorf("refund before capture: %v, want ErrRefundTooLarge", err)
	}
	r.drain(t)
	if _, err := r.s.Refund(ctx, 1, 10000); err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.Refund(ctx, 1, 25000); !errors.Is(err, ErrRefundTooLarge) {
		t.Errorf("refund over what is left: %v, want ErrRefundTooLarge", err)
	}
	if _, err := r.s.RefundAll(ctx, 1); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	p := r.vipps.payments[ref]
	if r.vipps.refunds[ref] != 2 || p.Refunded != 30000 {
		t.Errorf("refunds %d totalling %d; want a partial and the rest, 30000", r.vipps.refunds[ref], p.Refunded)
	}
	if r.store.status[1] != SettlementRefunded {
		t.Errorf("status %q, want refunded", r.store.status[1])
	}
	if _, err := r.s.RefundAll(ctx, 1); !errors.Is(err, ErrRefundTooLarge) {
		t.Errorf("refund of a fully refunded sale: %v", err)
	}
}

func TestSettlementRefundNeverExceedsWhatVippsHoldsCaptured(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 30000)
	r.drain(t)
	// Someone refunded in the portal meanwhile; our records do not know.
	if _, err := r.vipps.Refund(context.Background(), ref, 25000, "portal"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.Refund(context.Background(), 1, 10000); err != nil {
		t.Fatal(err)
	}
	r.drain(t)
	if p := r.vipps.payments[ref]; p.Refunded != 25000 {
		t.Errorf("refunded %d: the refund must not have been sent", p.Refunded)
	}
	if j := r.store.job(1, JobRefund); j.State != JobParked {
		t.Errorf("refund job %s, want parked for the manager", j.State)
	}
}

func TestSettlementReconcileBringsSalesToTheTruth(t *testing.T) {
	ctx := context.Background()
	r := newSettleRig(t)
	// 1: authorized, jobs lost (recorded before jobs existed): capture queued.
	ref1 := r.sale(1, 10000)
	r.store.jobs = r.store.jobs[:0]
	// 2: captured at Vipps, but we crashed before recording it.
	ref2 := r.sale(2, 20000)
	if _, err := r.vipps.Capture(ctx, ref2, 20000, IdempotencyKey(ref2, JobCapture)); err != nil {
		t.Fatal(err)
	}
	// 3: expired at Vipps.
	ref3 := r.sale(3, 30000)
	r.vipps.payments[ref3].State = VippsExpired
	// 4: waiting out a long backoff from before the restart.
	r.sale(4, 40000)
	if err := r.store.set(r.store.job(4, JobReceipt).ID, func(j *OutboxJob) { j.NextAt = t0.Add(time.Hour) }); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if j := r.store.job(1, JobCapture); j.State != JobQueued || j.Amount != 10000 {
		t.Errorf("sale 1 capture job %+v, want queued for 10000", j)
	}
	if j := r.store.job(2, JobCapture); j.State != JobDone {
		t.Errorf("sale 2 capture job %s, want recorded done", j.State)
	}
	if r.store.status[3] != SettlementReleased || r.store.job(3, JobCapture).State != JobDone {
		t.Errorf("sale 3 status %q, want released with its jobs finished", r.store.status[3])
	}
	if j := r.store.job(4, JobReceipt); j.NextAt.After(t0) {
		t.Errorf("sale 4 receipt due at %v, want now", j.NextAt)
	}
	before := r.vipps.calls["capture"]
	r.drain(t)
	if r.vipps.captures[ref1] != 1 || r.vipps.captures[ref2] != 1 || r.vipps.captures[ref3] != 0 {
		t.Errorf("captures %d/%d/%d, want 1/1/0", r.vipps.captures[ref1], r.vipps.captures[ref2], r.vipps.captures[ref3])
	}
	if got := r.vipps.calls["capture"] - before; got != 2 {
		t.Errorf("%d capture calls after reconciliation, want 2 (sales 1 and 4; sale 2 was recorded)", got)
	}
	for id := int64(1); id <= 4; id++ {
		if want := map[bool]SettlementStatus{true: SettlementReleased, false: SettlementDone}[id == 3]; r.store.status[id] != want {
			t.Errorf("sale %d status %q, want %q", id, r.store.status[id], want)
		}
	}
}

// With a fifth of all calls failing, 429 bursts and slow answers, many
// workers still settle every sale exactly once.
func TestSettlementWorkersUnderFaults(t *testing.T) {
	took := simulateDrain(t, 300, 16, 2*time.Second)
	t.Logf("300 sales settled in %v of virtual time with 16 workers", took)
}

// TestSettlementDrainModel runs the worker against a fake Vipps in virtual
// time (testing/synctest) to show how a backlog drain scales with the
// number of workers; the real thing is app/internal/crashtest's
// TestDrainBacklog. KASSE_DRAIN_MODEL=10000 go test -run DrainModel -v ./flow
func TestSettlementDrainModel(t *testing.T) {
	sales, _ := strconv.Atoi(os.Getenv("KASSE_DRAIN_MODEL"))
	if sales == 0 {
		t.Skip("set KASSE_DRAIN_MODEL to the number of sales")
	}
	for _, workers := range []int{8, 32, 128, 256, 512} {
		took := simulateDrain(t, sales, workers, 2*time.Second)
		t.Logf("DRAIN MODEL: %d sales, %d workers, 2 s latency, 20%% 5xx, 429 bursts: %v virtual (%.1f sales/s)",
			sales, workers, took.Round(time.Second), float64(sales)/took.Seconds())
	}
}

// simulateDrain settles a backlog of sales with workers against a fake
// Vipps that answers after latency, fails 20 % of calls with 5xx and
// answers 429 (Retry-After 5 s) for the first second of every half minute.
// It returns the virtual time until every sale was settled.
func simulateDrain(t *testing.T, sales, workers int, latency time.Duration) time.Duration {
	var took time.Duration
	synctest.Test(t, func(t *testing.T) {
		store, vipps := newMemStore(), newFakeVipps()
		start := time.Now()
		for i := range int64(sales) {
			ref := fmt.Sprintf("pos1-%08d", i)
			vipps.authorize(ref, Money(1000+i))
			store.pay(i, ref, Money(1000+i), start)
		}
		var mu sync.Mutex
		rng := rand.New(rand.NewPCG(7, 7))
		vipps.fail = func(op, _ string) error {
			mu.Lock()
			x := rng.Float64()
			mu.Unlock()
			switch {
			case time.Since(start)%(30*time.Second) < time.Second:
				return &GatewayError{Kind: ErrRateLimited, Status: 429, RetryAfter: 5 * time.Second}
			case x < 0.20:
				return &GatewayError{Kind: ErrTransient, Status: 502}
			}
			return nil
		}
		s := NewSettler(store, &latencyVipps{fakeVipps: vipps, d: latency}, nil)
		s.Workers = workers
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = s.Run(ctx); close(done) }()
		for {
			time.Sleep(time.Second)
			if n, _ := store.UnsettledPayments(ctx); len(n) == 0 {
				break
			}
		}
		took = time.Since(start)
		cancel()
		<-done
		for ref, p := range vipps.payments {
			if vipps.captures[ref] != 1 || vipps.receipts[ref] != 1 || p.Captured != p.Authorized {
				t.Fatalf("%s: captures %d, receipts %d, captured %d of %d", ref, vipps.captures[ref], vipps.receipts[ref], p.Captured, p.Authorized)
			}
		}
	})
	return took
}

// latencyVipps answers every call after d (in the synctest bubble: virtual).
type latencyVipps struct {
	*fakeVipps
	d time.Duration
}

func (l *latencyVipps) GetPayment(ctx context.Context, ref string) (PaymentInfo, error) {
	time.Sleep(l.d)
	return l.fakeVipps.GetPayment(ctx, ref)
}

func (l *latencyVipps) PaymentEvents(ctx context.Context, ref string) ([]PaymentEvent, error) {
	time.Sleep(l.d)
	return l.fakeVipps.PaymentEvents(ctx, ref)
}

func (l *latencyVipps) Capture(ctx context.Context, ref string, a Money, key string) (PaymentInfo, error) {
	time.Sleep(l.d)
	return l.fakeVipps.Capture(ctx, ref, a, key)
}

func (l *latencyVipps) AddReceipt(ctx context.Context, ref string, r Receipt) error {
	time.Sleep(l.d)
	return l.fakeVipps.AddReceipt(ctx, ref, r)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// A "try again later" refusal (6160, 6280, 3010 as a 4xx) spends the key:
// Vipps answers it the same way for ever. The worker reads the payment
// back and tries again under a new key (it used to re-send the refused key
// until the end of time).
func TestSettlementTryAgainRefusalsGoAgainUnderANewKey(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 30000)
	var keys []string
	refused := map[string]bool{}
	r.vipps.refuse = func(op, key string) error {
		if op != "capture" {
			return nil
		}
		keys = append(keys, key)
		if len(keys) == 1 || refused[key] {
			refused[key] = true
			return &GatewayError{Kind: ErrRetryLater, Status: 423, Code: "6160", Message: "order processing"}
		}
		return nil
	}
	r.drain(t)
	if r.vipps.captures[ref] != 1 || r.store.status[1] != SettlementDone {
		t.Fatalf("captures %d, status %q: want one capture and done", r.vipps.captures[ref], r.store.status[1])
	}
	if len(keys) != 2 || keys[0] == keys[1] {
		t.Errorf("capture keys %q: want the refused key once, then a new one", keys)
	}
	if r.vipps.calls["get"] < 2 {
		t.Errorf("%d payment reads: the payment is read back before the new key is used", r.vipps.calls["get"])
	}
}

// Retries are capped: a job Vipps never accepts is parked with a plain
// message for the manager instead of being retried for ever.
func TestSettlementRetriesAreCappedThenParked(t *testing.T) {
	r := newSettleRig(t)
	r.sale(1, 30000)
	r.s.MaxAttempts = 5
	r.vipps.fail = func(op, _ string) error {
		if op == "capture" {
			return &GatewayError{Kind: ErrTransient, Status: 503}
		}
		return nil
	}
	r.drain(t)
	j := r.store.job(1, JobCapture)
	if j.State != JobParked || j.Attempts != 5 || !strings.Contains(j.LastError, "after 5 tries") {
		t.Fatalf("capture job %s after %d attempts (%q): want parked after 5 with a plain message", j.State, j.Attempts, j.LastError)
	}
	if r.store.status[1] != SettlementParked {
		t.Errorf("sale settlement %q, want parked", r.store.status[1])
	}
}

// A capture that keeps failing learns Vipps' deadline for the reservation
// (captureGuaranteedUntil) from its first failure, is on the Problems list
// while it runs out, and never waits past it: the backoff is cut to half of
// what is left, so the capture goes through when Vipps comes back in time.
func TestSettlementCapturesBeforeVippsStopsGuaranteeingTheMoney(t *testing.T) {
	r := newSettleRig(t)
	ref := r.sale(1, 10000)
	deadline := t0.Add(3 * time.Hour)
	r.vipps.payments[ref].CaptureGuaranteedUntil = deadline
	recovers := deadline.Add(-20 * time.Minute)
	var capturedAt time.Time
	r.vipps.fail = func(op, _ string) error {
		if op != "capture" {
			return nil
		}
		if r.s.Now().Before(recovers) {
			return &GatewayError{Kind: ErrTransient, Status: 503}
		}
		capturedAt = r.s.Now()
		return nil
	}
	r.s.Backoff = Backoff{Base: 10 * time.Minute, Max: 6 * time.Hour}
	r.s.MaxAttempts = 0

	// The first failure teaches the deadline; from then the capture wants
	// a manager although it is not parked.
	for range 3 {
		if _, err := r.s.RunOnce(context.Background(), 50); err != nil {
			t.Fatal(err)
		}
	}
	j := r.store.job(1, JobCapture)
	if !j.CaptureBy.Equal(deadline) || j.State != JobQueued {
		t.Fatalf("after the first failure: %+v (want CaptureBy %s, queued)", j, deadline)
	}
	if !NeedsManager(j, r.now) || NeedsManager(j, deadline.Add(-CaptureWarning-time.Minute)) {
		t.Error("a capture within CaptureWarning of its deadline is a problem for a manager, one further away is not")
	}
	if j.NextAt.After(deadline) {
		t.Errorf("the next try at %s is after the deadline %s", j.NextAt, deadline)
	}

	r.drain(t)
	if r.vipps.captures[ref] != 1 || capturedAt.IsZero() || capturedAt.After(deadline) {
		t.Fatalf("captures %d at %s: want one, before the deadline %s", r.vipps.captures[ref], capturedAt, deadline)
	}
	if NeedsManager(r.store.job(1, JobCapture), r.now) {
		t.Error("a done capture is nobody's problem")
	}
}
