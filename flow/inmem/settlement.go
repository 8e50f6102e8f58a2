package inmem

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// SettlementStatus sums up a paid sale's jobs: parked if any job needs a
// manager, done when all are done (refunded when a refund is among them,
// or as the worker recorded it), queued otherwise.
func (m *Store) SettlementStatus(_ context.Context, saleID int64) (flow.SettlementStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.settlementStatusLocked(saleID), nil
}

func (m *Store) settlementStatusLocked(saleID int64) flow.SettlementStatus {
	n, done, refund := 0, 0, false
	for _, j := range m.jobs {
		// A release of an earlier request is not part of settling the sale.
		if j.SaleID != saleID || j.Kind == flow.JobRelease {
			continue
		}
		n++
		switch j.State {
		case flow.JobParked:
			return flow.SettlementParked
		case flow.JobDone:
			done++
			refund = refund || j.Kind == flow.JobRefund
		}
	}
	switch {
	case n == 0:
		return ""
	case done < n:
		return flow.SettlementQueued
	case refund:
		return flow.SettlementRefunded
	}
	if o := m.outcomes[saleID]; o != "" && o != flow.SettlementParked && o != flow.SettlementQueued {
		return o
	}
	return flow.SettlementDone
}

// ParkedJobs lists the jobs that need a manager, oldest first.
func (m *Store) ParkedJobs(_ context.Context) ([]flow.ParkedJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var parked []flow.OutboxJob
	now := m.now()
	for _, j := range m.jobs {
		if flow.NeedsManager(j, now) {
			parked = append(parked, j)
		}
	}
	sort.SliceStable(parked, func(a, b int) bool {
		if !parked[a].UpdatedAt.Equal(parked[b].UpdatedAt) {
			return parked[a].UpdatedAt.Before(parked[b].UpdatedAt)
		}
		return parked[a].ID < parked[b].ID
	})
	out := make([]flow.ParkedJob, 0, len(parked))
	for _, j := range parked {
		receipt := ""
		if x, ok := m.sales[j.SaleID]; ok {
			receipt = x.s.ReceiptNumber
		}
		out = append(out, flow.ParkedJob{ID: j.ID, SaleID: j.SaleID, ReceiptNumber: receipt, Reference: j.Reference,
			Job: j.Kind, Error: j.LastError, Since: j.UpdatedAt, CaptureBy: j.CaptureBy, Parked: j.State == flow.JobParked})
	}
	return out, nil
}

// CountParked counts the jobs waiting for a manager.
func (m *Store) CountParked(_ context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	now := m.now()
	for _, j := range m.jobs {
		if flow.NeedsManager(j, now) {
			n++
		}
	}
	return n, nil
}

// RetryJob puts a parked job back in the queue, or makes a waiting one due,
// now.
func (m *Store) RetryJob(_ context.Context, id int64, now time.Time) error {
	return m.updateJob(id, []string{flow.JobParked, flow.JobQueued}, func(j *flow.OutboxJob) {
		j.State, j.NextAt, j.UpdatedAt = flow.JobQueued, now.UTC(), m.now().UTC()
	})
}

// updateJob changes job id when it is in one of the states from.
func (m *Store) updateJob(id int64, from []string, f func(*flow.OutboxJob)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		j := &m.jobs[i]
		if j.ID != id {
			continue
		}
		for _, st := range from {
			if j.State == st {
				f(j)
				return nil
			}
		}
		break
	}
	return fmt.Errorf("settlement job %d is no longer %v: %w", id, from, flow.ErrNoRecord)
}

// ClaimDue moves up to limit due jobs to running, leased until now+lease:
// jobs of a crashed worker (an expired lease) first, then queued ones. A
// job waits while an earlier job of its payment is unfinished, except a
// parked receipt.
func (m *Store) ClaimDue(_ context.Context, now time.Time, limit int, lease time.Duration) ([]flow.OutboxJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now = now.UTC()
	blocked := func(j flow.OutboxJob) bool {
		for _, e := range m.jobs {
			if e.Reference == j.Reference && e.ID < j.ID && e.State != flow.JobDone && !(e.Kind == flow.JobReceipt && e.State == flow.JobParked) {
				return true
			}
		}
		return false
	}
	var out []flow.OutboxJob
	for _, from := range []string{flow.JobRunning, flow.JobQueued} {
		var due []int
		for i, j := range m.jobs {
			if j.State == from && !j.NextAt.After(now) && !blocked(j) {
				due = append(due, i)
			}
		}
		sort.SliceStable(due, func(a, b int) bool {
			ja, jb := m.jobs[due[a]], m.jobs[due[b]]
			if !ja.NextAt.Equal(jb.NextAt) {
				return ja.NextAt.Before(jb.NextAt)
			}
			return ja.ID < jb.ID
		})
		for _, i := range due {
			if len(out) == limit {
				return out, nil
			}
			j := &m.jobs[i]
			j.State, j.NextAt, j.UpdatedAt = flow.JobRunning, now.Add(lease), now
			out = append(out, *j)
		}
	}
	return out, nil
}

// CompleteJob marks a job done; the note is kept as its last word.
func (m *Store) CompleteJob(_ context.Context, id int64, note string, now time.Time) error {
	return m.updateJob(id, []string{flow.JobQueued, flow.JobRunning, flow.JobParked}, func(j *flow.OutboxJob) {
		j.State, j.LastError, j.UpdatedAt = flow.JobDone, note, now.UTC()
	})
}

// RescheduleJob puts a running job back in the queue for another try.
func (m *Store) RescheduleJob(_ context.Context, id int64, attempts int, nextAt time.Time, lastErr string, now time.Time) error {
	return m.updateJob(id, []string{flow.JobRunning}, func(j *flow.OutboxJob) {
		j.State, j.Attempts, j.NextAt, j.LastError, j.UpdatedAt = flow.JobQueued, attempts, nextAt.UTC(), lastErr, now.UTC()
	})
}

// ParkJob stops retrying a running job until a manager asks again.
func (m *Store) ParkJob(_ context.Context, id int64, attempts int, lastErr string, now time.Time) error {
	return m.updateJob(id, []string{flow.JobRunning}, func(j *flow.OutboxJob) {
		j.State, j.Attempts, j.LastError, j.UpdatedAt = flow.JobParked, attempts, lastErr, now.UTC()
	})
}

// SaleJobs returns a sale's jobs in the order they were created.
func (m *Store) SaleJobs(_ context.Context, saleID int64) ([]flow.OutboxJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []flow.OutboxJob
	for _, j := range m.jobs {
		if j.SaleID == saleID {
			out = append(out, j)
		}
	}
	return out, nil
}

// EnqueueJobs adds jobs, skipping any whose key exists.
func (m *Store) EnqueueJobs(_ context.Context, jobs []flow.OutboxJob) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range jobs {
		if _, ok := m.jobByKeyLocked(j.IdempotencyKey); ok {
			continue
		}
		j.ID = m.id()
		m.jobs = append(m.jobs, j)
	}
	return nil
}

// refundableLocked is captured (done capture jobs) minus every refund asked.
func (m *Store) refundableLocked(saleID int64) (left flow.Money, ref string, refunds int) {
	for _, j := range m.jobs {
		switch {
		case j.SaleID != saleID:
		case j.Kind == flow.JobCapture && j.State == flow.JobDone:
			left += j.Amount
			ref = j.Reference
		case j.Kind == flow.JobRefund:
			left -= j.Amount
			refunds++
		}
	}
	return left, ref, refunds
}

// Refundable is captured minus the refunds requested so far.
func (m *Store) Refundable(_ context.Context, saleID int64) (flow.Money, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	left, _, _ := m.refundableLocked(saleID)
	return left, nil
}

// EnqueueRefund queues a refund unless it would take back more than is
// captured and not refunded.
func (m *Store) EnqueueRefund(_ context.Context, saleID int64, amount flow.Money, now time.Time) (flow.OutboxJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sales[saleID]; !ok {
		return flow.OutboxJob{}, flow.ErrNoRecord
	}
	left, ref, n := m.refundableLocked(saleID)
	if ref == "" || amount > left {
		return flow.OutboxJob{}, flow.ErrRefundTooLarge
	}
	now = now.UTC()
	job := flow.OutboxJob{ID: m.id(), SaleID: saleID, Reference: ref, Kind: flow.JobRefund, Amount: amount,
		IdempotencyKey: flow.IdempotencyKey(ref, fmt.Sprintf("refund-job%d", n+1)),
		State:          flow.JobQueued, NextAt: now, CreatedAt: now, UpdatedAt: now}
	m.jobs = append(m.jobs, job)
	return job, nil
}

// SettlementReceipt is the receipt of the sale as it was paid.
func (m *Store) SettlementReceipt(ctx context.Context, saleID int64) (flow.Receipt, error) {
	s, err := m.Sale(ctx, saleID)
	if err != nil {
		return flow.Receipt{}, err
	}
	return flow.ReceiptForSale(s)
}

// RecordSettlement stores how far the sale's settlement has come.
func (m *Store) RecordSettlement(_ context.Context, saleID int64, status flow.SettlementStatus, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outcomes[saleID] = status
	return nil
}

// UnsettledPayments lists sales with an unfinished receipt, capture or
// confirm job, and authorized payments that have no jobs at all.
func (m *Store) UnsettledPayments(_ context.Context) ([]flow.UnsettledPayment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	type key struct {
		sale int64
		ref  string
	}
	open := map[key]flow.Money{}
	unfinished := map[key]bool{}
	hasJobs := map[string]bool{}
	for _, j := range m.jobs {
		hasJobs[j.Reference] = true
		if j.Kind != flow.JobReceipt && j.Kind != flow.JobCapture && j.Kind != flow.JobConfirm {
			continue
		}
		k := key{j.SaleID, j.Reference}
		if _, ok := open[k]; !ok {
			open[k] = 0
		}
		if j.Kind == flow.JobCapture && j.Amount > open[k] {
			open[k] = j.Amount
		}
		if j.State != flow.JobDone {
			unfinished[k] = true
		}
	}
	var out []flow.UnsettledPayment
	for k, amount := range open {
		if unfinished[k] {
			out = append(out, flow.UnsettledPayment{SaleID: k.sale, Reference: k.ref, Amount: amount})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SaleID < out[j].SaleID })
	var orphans []flow.UnsettledPayment
	for _, p := range m.payments {
		if p.Status == flow.PaymentAuthorized && !hasJobs[p.Reference] {
			orphans = append(orphans, flow.UnsettledPayment{SaleID: p.SaleID, Reference: p.Reference, Amount: p.Authorized})
		}
	}
	sort.Slice(orphans, func(i, j int) bool { return orphans[i].SaleID < orphans[j].SaleID })
	return append(out, orphans...), nil
}

// ReleaseSale finishes every unfinished job of the sale with note and
// records it as released.
func (m *Store) ReleaseSale(_ context.Context, saleID int64, note string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		// A release of another request of the sale is about other money.
		if j := &m.jobs[i]; j.SaleID == saleID && j.State != flow.JobDone && j.Kind != flow.JobRelease {
			j.State, j.LastError, j.UpdatedAt = flow.JobDone, note, now.UTC()
		}
	}
	m.outcomes[saleID] = flow.SettlementReleased
	return nil
}

// RequeueSale makes the sale's queued jobs due now.
func (m *Store) RequeueSale(_ context.Context, saleID int64, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		if j := &m.jobs[i]; j.SaleID == saleID && j.State == flow.JobQueued && j.NextAt.After(now) {
			j.NextAt, j.UpdatedAt = now.UTC(), now.UTC()
		}
	}
	return nil
}

// NoteCaptureBy remembers a capture's deadline at Vipps.
func (m *Store) NoteCaptureBy(_ context.Context, id int64, by time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		if m.jobs[i].ID == id {
			m.jobs[i].CaptureBy = by.UTC()
		}
	}
	return nil
}

// RenewJobKey sets the Idempotency-Key a job's next try sends.
func (m *Store) RenewJobKey(_ context.Context, id int64, key string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		if m.jobs[i].ID == id {
			m.jobs[i].SendKey, m.jobs[i].UpdatedAt = key, now.UTC()
		}
	}
	return nil
}

// PaymentCreateKey is the Idempotency-Key our create of reference carried.
func (m *Store) PaymentCreateKey(_ context.Context, reference string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.payments {
		if p.Reference == reference {
			return p.IdempotencyKey, nil
		}
	}
	return "", flow.ErrNoRecord
}
