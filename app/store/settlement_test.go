package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
)

var st0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// paidSale stores an authorized sale with its settlement jobs, as the
// checkout does when Vipps says AUTHORIZED.
func paidSale(t testing.TB, db *store.DB, pos string, total flow.Money) *flow.Sale {
	t.Helper()
	ctx := context.Background()
	s := &flow.Sale{POSID: pos, Currency: "NOK", Stage: flow.StageOpen,
		Lines: []flow.SaleLine{{GTIN: "7038010009457", Name: "Jacket", Quantity: 1, UnitPrice: total, VATRate: 25}}}
	if err := db.CreateSale(ctx, s, flow.JournalEntry{To: "open", At: st0}); err != nil {
		t.Fatal(err)
	}
	ref := flow.Reference("", pos, s.ReceiptSeq, 1)
	s.Stage = flow.StagePaid
	s.Payment = &flow.Payment{Reference: ref, Attempt: 1, IdempotencyKey: flow.IdempotencyKey(ref, "create"),
		Status: flow.PaymentAuthorized, Amount: total, Authorized: total, CreatedAt: st0}
	if err := db.SaveSale(ctx, flow.SaleChange{Sale: s, Jobs: flow.SettlementJobs(s.ID, ref, total, st0)}); err != nil {
		t.Fatal(err)
	}
	return s
}

func kinds(jobs []flow.OutboxJob) string {
	out := ""
	for _, j := range jobs {
		out += j.Kind + " "
	}
	return out
}

func TestSettlementClaimRunsJobsInOrderPerSale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := paidSale(t, db, "pos1", 10000), paidSale(t, db, "pos1", 20000)
		claim := func(at time.Time) []flow.OutboxJob {
			t.Helper()
			jobs, err := db.ClaimDue(ctx, at, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return jobs
		}
		first := claim(st0)
		if got := kinds(first); got != "receipt receipt " || first[0].SaleID != a.ID || first[1].SaleID != b.ID {
			t.Fatalf("first claim %q, want the receipt of each sale", got)
		}
		if first[0].State != flow.JobRunning || !first[0].NextAt.Equal(st0.Add(time.Minute)) {
			t.Errorf("claimed job %s until %v, want running with a one-minute lease", first[0].State, first[0].NextAt)
		}
		if got := claim(st0.Add(30 * time.Second)); len(got) != 0 {
			t.Fatalf("claimed %q while the receipts are leased", kinds(got))
		}
		if err := db.CompleteJob(ctx, first[0].ID, "receipt attached", st0); err != nil {
			t.Fatal(err)
		}
		// Sale b's receipt is refused for good: parked, but its capture goes on.
		if err := db.ParkJob(ctx, first[1].ID, 1, "bad order line", st0); err != nil {
			t.Fatal(err)
		}
		second := claim(st0.Add(time.Second))
		if got := kinds(second); got != "capture capture " {
			t.Fatalf("second claim %q, want both captures", got)
		}
		if err := db.ParkJob(ctx, second[0].ID, 1, "capture period expired", st0); err != nil {
			t.Fatal(err)
		}
		if err := db.RescheduleJob(ctx, second[1].ID, 1, st0.Add(time.Hour), "HTTP 503", st0); err != nil {
			t.Fatal(err)
		}
		if got := claim(st0.Add(59 * time.Minute)); len(got) != 0 {
			t.Fatalf("claimed %q: a parked capture must hold back confirm, and a backoff must be sat out", kinds(got))
		}
		// A worker that crashed holds its lease until it runs out.
		third := claim(st0.Add(time.Hour))
		if got := kinds(third); got != "capture " || third[0].Attempts != 1 {
			t.Fatalf("third claim %q (attempts %d), want sale b's capture again", got, third[0].Attempts)
		}
		if got := kinds(claim(st0.Add(time.Hour + 2*time.Minute))); got != "capture " {
			t.Fatalf("after the lease ran out: %q, want the capture reclaimed", got)
		}
		// A stale worker cannot reopen a finished job.
		if err := db.CompleteJob(ctx, third[0].ID, "captured", st0); err != nil {
			t.Fatal(err)
		}
		if err := db.RescheduleJob(ctx, third[0].ID, 2, st0, "late", st0); !errors.Is(err, flow.ErrNoRecord) {
			t.Errorf("rescheduling a done job: %v, want ErrNoRecord", err)
		}
		if got := kinds(claim(st0.Add(2 * time.Hour))); got != "confirm " {
			t.Errorf("last claim %q, want sale b's confirm", got)
		}
	})
}

func TestSettlementReconciliationQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := paidSale(t, db, "pos1", 10000), paidSale(t, db, "pos1", 20000)
		jobs, _ := db.SaleJobs(ctx, a.ID)
		for _, j := range jobs {
			db.CompleteJob(ctx, j.ID, "ok", st0)
		}
		bj, _ := db.SaleJobs(ctx, b.ID)
		if err := db.RescheduleJob(ctx, bj[0].ID, 3, st0.Add(time.Hour), "x", st0); err == nil {
			t.Error("rescheduled a job that was never claimed")
		}
		db.Gorm().Exec("UPDATE settlement_jobs SET next_at = ? WHERE id = ?", st0.Add(time.Hour), bj[0].ID)
		un, err := db.UnsettledPayments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(un) != 1 || un[0].SaleID != b.ID || un[0].Amount != 20000 || un[0].Reference != b.Payment.Reference {
			t.Fatalf("unsettled %+v, want only sale b for 20000", un)
		}
		if err := db.RequeueSale(ctx, b.ID, st0); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ClaimDue(ctx, st0, 10, time.Minute); len(got) != 1 || got[0].ID != bj[0].ID {
			t.Errorf("after requeue claimed %q, want b's receipt now", kinds(got))
		}
		// Enqueueing the same jobs again (reconciliation twice) adds nothing.
		if err := db.EnqueueJobs(ctx, flow.SettlementJobs(b.ID, b.Payment.Reference, 20000, st0)); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.SaleJobs(ctx, b.ID); len(again) != 3 {
			t.Errorf("%d jobs after enqueueing twice, want 3", len(again))
		}
		if err := db.ReleaseSale(ctx, b.ID, "payment EXPIRED at Vipps", st0); err != nil {
			t.Fatal(err)
		}
		if un, _ := db.UnsettledPayments(ctx); len(un) != 0 {
			t.Errorf("unsettled after release: %+v", un)
		}
		if st, _ := db.SettlementOutcome(ctx, b.ID); st != flow.SettlementReleased {
			t.Errorf("outcome %q, want released", st)
		}
		r, err := db.SettlementReceipt(ctx, b.ID)
		if err != nil || len(r.Lines) != 1 || r.Lines[0].Total != 20000 || r.Lines[0].Tax != 4000 || r.POSID != "pos1" || r.ReceiptNumber != b.ReceiptNumber {
			t.Errorf("receipt %+v, %v", r, err)
		}
	})
}

func TestSettlementRefundsNeverExceedTheCapture(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := paidSale(t, db, "pos1", 10000)
		if _, err := db.EnqueueRefund(ctx, s.ID, 100, st0); !errors.Is(err, flow.ErrRefundTooLarge) {
			t.Errorf("refund before capture: %v", err)
		}
		jobs, _ := db.SaleJobs(ctx, s.ID)
		db.CompleteJob(ctx, jobs[1].ID, "captured", st0)
		var wg sync.WaitGroup
		var ok atomic.Int32
		for range 4 { // four tills try to refund 40.00 of the 100.00 at once
			wg.Go(func() {
				if _, err := db.EnqueueRefund(ctx, s.ID, 4000, st0); err == nil {
					ok.Add(1)
				} else if !errors.Is(err, flow.ErrRefundTooLarge) {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 2 {
			t.Errorf("%d refunds of 4000 accepted on a 10000 capture, want 2", ok.Load())
		}
		left, _ := db.Refundable(ctx, s.ID)
		if left != 2000 {
			t.Errorf("refundable %d, want 2000", left)
		}
		all, _ := db.SaleJobs(ctx, s.ID)
		keys := map[string]bool{}
		for _, j := range all {
			if keys[j.IdempotencyKey] {
				t.Errorf("duplicate key %s", j.IdempotencyKey)
			}
			keys[j.IdempotencyKey] = true
		}
	})
}

// countingVipps accepts everything and counts each call per reference.
type countingVipps struct {
	flow.Vipps
	mu    sync.Mutex
	calls map[string]int // "op reference"
	paid  map[string]flow.Money
}

func (c *countingVipps) count(op, ref string) {
	c.mu.Lock()
	c.calls[op+" "+ref]++
	c.mu.Unlock()
	runtime.Gosched()
}

func (c *countingVipps) AddReceipt(_ context.Context, ref string, _ flow.Receipt) error {
	c.count("receipt", ref)
	return nil
}

func (c *countingVipps) Capture(_ context.Context, ref string, amount flow.Money, key string) (flow.PaymentInfo, error) {
	c.count("capture", ref)
	return flow.PaymentInfo{Reference: ref, State: flow.VippsAuthorized, Authorized: amount, Captured: amount}, nil
}

func (c *countingVipps) GetPayment(_ context.Context, ref string) (flow.PaymentInfo, error) {
	c.count("get", ref)
	a := c.paid[ref]
	return flow.PaymentInfo{Reference: ref, State: flow.VippsAuthorized, Authorized: a, Captured: a}, nil
}

func (c *countingVipps) PaymentEvents(_ context.Context, ref string) ([]flow.PaymentEvent, error) {
	c.count("events", ref)
	return []flow.PaymentEvent{{Reference: ref, Name: "CAPTURED", Amount: c.paid[ref], Success: true, IdempotencyKey: flow.IdempotencyKey(ref, flow.JobCapture)}}, nil
}

// reopenPostgres opens another connection pool on db's schema.
func reopenPostgres(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	var schema string
	if err := db.Gorm().Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		t.Fatal(err)
	}
	h, err := store.Open(os.Getenv("KASSE_TEST_POSTGRES") + " search_path=" + schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// Several tills share one database: every job runs exactly once.
func TestSettlementConcurrentTillsRunEachJobOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			db := b.Open(t)
			const sales, tills = 150, 6
			v := &countingVipps{calls: map[string]int{}, paid: map[string]flow.Money{}}
			for i := range sales {
				s := paidSale(t, db, "pos1", flow.Money(1000+i))
				v.paid[s.Payment.Reference] = flow.Money(1000 + i)
			}
			handles := []*store.DB{db}
			if b.Name == "postgres" {
				// Separate connection pools, as separate tills would have.
				for range tills - 1 {
					handles = append(handles, reopenPostgres(t, db))
				}
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			for i := range tills {
				s := flow.NewSettler(handles[i%len(handles)], v, nil)
				for range 3 {
					wg.Go(func() {
						for {
							n, err := s.RunOnce(ctx, 2)
							if err != nil {
								t.Error(err)
								return
							}
							if n == 0 {
								if un, _ := db.UnsettledPayments(ctx); len(un) == 0 {
									return
								}
								runtime.Gosched()
							}
						}
					})
				}
			}
			wg.Wait()
			for ref := range v.paid {
				for _, op := range []string{"receipt", "capture", "get", "events"} {
					if n := v.calls[op+" "+ref]; n != 1 {
						t.Errorf("%s %s ran %d times, want once", op, ref, n)
					}
				}
			}
			if t.Failed() {
				t.Log(fmt.Sprint(len(v.calls)))
			}
		})
	}
}

// BenchmarkSettlementStore measures what the database alone allows: sales
// settled per second (claim, record and the confirm's job read for three
// jobs each) by 16 workers against a Vipps that answers at once.
//
//	.ci/with-postgres go test -run '^$' -bench SettlementStore -benchtime 3000x ./app/store
func BenchmarkSettlementStore(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			db := be.Open(b)
			v := &countingVipps{calls: map[string]int{}, paid: map[string]flow.Money{}}
			for i := range b.N {
				s := paidSale(b, db, "pos1", flow.Money(1000+i))
				v.paid[s.Payment.Reference] = flow.Money(1000 + i)
			}
			ctx := context.Background()
			s := flow.NewSettler(db, v, nil)
			var left atomic.Int64
			left.Store(int64(3 * b.N))
			b.ResetTimer()
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					for left.Load() > 0 {
						n, err := s.RunOnce(ctx, 1)
						if err != nil {
							b.Error(err)
							return
						}
						left.Add(-int64(n))
						if n == 0 {
							runtime.Gosched()
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sales/s")
		})
	}
}

// A till killed while its worker held a job gets the job back at its next
// start instead of waiting out the lease; jobs leased by other tills of a
// shared database are left alone.
func TestReclaimLeasesTakesBackOnlyThisTillsJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := st0.Add(time.Minute)
		paidSale(t, db, "pos2", 20000) // claimed first (jobs go in order)
		mine := paidSale(t, db, "pos1", 10000).Payment.Reference
		db.LeaseHolder = "pos2"
		if got, err := db.ClaimDue(ctx, now, 1, 2*time.Minute); err != nil || len(got) != 1 {
			t.Fatalf("claimed %d jobs (%v) when asking for one", len(got), err)
		}
		db.LeaseHolder = "pos1"
		if _, err := db.ClaimDue(ctx, now, 1, 2*time.Minute); err != nil {
			t.Fatal(err)
		}
		// pos1 is killed and starts again a moment later.
		n, err := db.ReclaimLeases(ctx, now.Add(time.Second))
		if err != nil || n != 1 {
			t.Fatalf("reclaimed %d, %v; want pos1's one job", n, err)
		}
		got, err := db.ClaimDue(ctx, now.Add(time.Second), 10, 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Reference != mine {
			t.Errorf("claimable after the restart: %+v; want pos1's receipt only (pos2's is still leased)", got)
		}
	})
}
