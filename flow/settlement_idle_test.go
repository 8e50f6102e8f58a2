package flow

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// countingClaims counts how often the workers look for due jobs.
type countingClaims struct {
	*memSettlementStore
	claims atomic.Int64
}

func (c *countingClaims) ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxJob, error) {
	c.claims.Add(1)
	return c.memSettlementStore.ClaimDue(ctx, now, limit, lease)
}

// An idle till must stay idle after a Kick: each idle worker looks once and
// goes back to sleep. (The workers used to hand the wake-up token to each
// other for ever: thousands of claim statements a second and a busy core.)
func TestSettlementIdleWorkersDoNotSpinAfterAKick(t *testing.T) {
	store := &countingClaims{memSettlementStore: newMemStore()}
	s := NewSettler(store, newFakeVipps(), nil)
	s.Idle = time.Hour // only Kicks wake the workers in this test
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for store.claims.Load() < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(int64(s.Workers)) // every worker had its first look
	for range 3 {
		s.Kick()
	}
	waitFor(2 * int64(s.Workers))
	time.Sleep(300 * time.Millisecond) // idle: nothing is due
	if got, most := store.claims.Load(), int64(4*s.Workers); got > most {
		t.Fatalf("%d claim statements by %d idle workers after three kicks, want at most %d", got, s.Workers, most)
	}
}
