package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// memSettlementStore is an in-memory SettlementStore with the same claim
// rules as app/store, for testing the worker's decisions.
type memSettlementStore struct {
	mu       sync.Mutex
	jobs     []OutboxJob
	status   map[int64]SettlementStatus
	receipts map[int64]Receipt
	amounts  map[int64]Money // authorized per sale
	refs     map[int64]string
	notes    map[int64]string
}

func newMemStore() *memSettlementStore {
	return &memSettlementStore{status: map[int64]SettlementStatus{}, receipts: map[int64]Receipt{},
		amounts: map[int64]Money{}, refs: map[int64]string{}, notes: map[int64]string{}}
}

// pay records an authorized sale with its jobs, as the checkout does.
func (m *memSettlementStore) pay(saleID int64, ref string, amount Money, now time.Time) {
	m.amounts[saleID], m.refs[saleID] = amount, ref
	m.status[saleID] = SettlementQueued
	m.receipts[saleID] = Receipt{Currency: "NOK", POSID: "pos-1", ReceiptNumber: ref,
		Lines: []ReceiptLine{{ID: "1", Name: "x", Quantity: 1, UnitPrice: amount, Total: amount, TotalExclTax: amount - VATOf(amount, 25), Tax: VATOf(amount, 25), TaxRate: 2500}}}
	_ = m.EnqueueJobs(context.Background(), SettlementJobs(saleID, ref, amount, now))
}

func (m *memSettlementStore) job(saleID int64, kind string) OutboxJob {
	m.mu.Lock()
	defer m.mu.Unlock()
	var last OutboxJob
	for _, j := range m.jobs {
		if j.SaleID == saleID && j.Kind == kind {
			last = j
		}
	}
	return last
}

func (m *memSettlementStore) find(id int64) *OutboxJob {
	for i := range m.jobs {
		if m.jobs[i].ID == id {
			return &m.jobs[i]
		}
	}
	return nil
}

func (m *memSettlementStore) ClaimDue(_ context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []OutboxJob
	blocked := map[string]bool{} // payments with an unfinished job seen so far (jobs are in id order)
	for i := range m.jobs {
		j := &m.jobs[i]
		if len(out) == limit {
			break
		}
		if j.State == JobDone {
			continue
		}
		wasBlocked := blocked[j.Reference]
		if !(j.Kind == JobReceipt && j.State == JobParked) {
			blocked[j.Reference] = true
		}
		if wasBlocked || (j.State != JobQueued && j.State != JobRunning) || j.NextAt.After(now) {
			continue
		}
		j.State, j.NextAt, j.UpdatedAt = JobRunning, now.Add(lease), now
		out = append(out, *j)
	}
	return out, nil
}

func (m *memSettlementStore) set(id int64, f func(*OutboxJob)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.find(id)
	if j == nil {
		return errors.New("no such job")
	}
	f(j)
	return nil
}

func (m *memSettlementStore) CompleteJob(_ context.Context, id int64, note string, now time.Time) error {
	return m.set(id, func(j *OutboxJob) { j.State, j.UpdatedAt = JobDone, now; m.notes[id] = note })
}

func (m *memSettlementStore) RescheduleJob(_ context.Context, id int64, attempts int, nextAt time.Time, lastErr string, now time.Time) error {
	return m.set(id, func(j *OutboxJob) {
		if j.State == JobRunning {
			j.State, j.Attempts, j.NextAt, j.LastError, j.UpdatedAt = JobQueued, attempts, nextAt, lastErr, now
		}
	})
}

func (m *memSettlementStore) ParkJob(_ context.Context, id int64, attempts int, lastErr string, now time.Time) error {
	return m.set(id, func(j *OutboxJob) {
		if j.State == JobRunning {
			j.State, j.Attempts, j.LastError, j.UpdatedAt = JobParked, attempts, lastErr, now
		}
	})
}

func (m *memSettlementStore) RetryJob(_ context.Context, id int64, now time.Time) error {
	return m.set(id, func(j *OutboxJob) {
		switch j.State {
		case JobParked:
			j.State, j.NextAt, j.Attempts = JobQueued, now, 0
		case JobQueued:
			j.NextAt = now
		}
	})
}

func (m *memSettlementStore) SaleJobs(_ context.Context, saleID int64) ([]OutboxJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []OutboxJob
	for _, j := range m.jobs {
		if j.SaleID == saleID {
			out = append(out, j)
		}
	}
	return out, nil
}

func (m *memSettlementStore) EnqueueJobs(_ context.Context, jobs []OutboxJob) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range jobs {
		if slices.ContainsFunc(m.jobs, func(e OutboxJob) bool { return e.IdempotencyKey == j.IdempotencyKey }) {
			continue
		}
		j.ID = int64(len(m.jobs) + 1)
		m.jobs = append(m.jobs, j)
	}
	return nil
}

func (m *memSettlementStore) refundable(saleID int64) Money {
	var captured, requested Money
	for _, j := range m.jobs {
		switch {
		case j.SaleID == saleID && j.Kind == JobCapture && j.State == JobDone:
			captured += j.Amount
		case j.SaleID == saleID && j.Kind == JobRefund:
			requested += j.Amount
		}
	}
	return captured - requested
}

func (m *memSettlementStore) EnqueueRefund(_ context.Context, saleID int64, amount Money, now time.Time) (OutboxJob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if amount > m.refundable(saleID) {
		return OutboxJob{}, ErrRefundTooLarge
	}
	seq := 1
	for _, j := range m.jobs {
		if j.SaleID == saleID && j.Kind == JobRefund {
			seq++
		}
	}
	j := OutboxJob{ID: int64(len(m.jobs) + 1), SaleID: saleID, Reference: m.refs[saleID], Kind: JobRefund, Amount: amount,
		IdempotencyKey: IdempotencyKey(m.refs[saleID], fmt.Sprintf("%s-%d", JobRefund, seq)), State: JobQueued, NextAt: now, CreatedAt: now, UpdatedAt: now}
	m.jobs = append(m.jobs, j)
	return j, nil
}

func (m *memSettlementStore) Refundable(_ context.Context, saleID int64) (Money, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refundable(saleID), nil
}

func (m *memSettlementStore) SettlementReceipt(_ context.Context, saleID int64) (Receipt, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.receipts[saleID], nil
}

func (m *memSettlementStore) RecordSettlement(_ context.Context, saleID int64, st SettlementStatus, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status[saleID] = st
	return nil
}

func (m *memSettlementStore) UnsettledPayments(context.Context) ([]UnsettledPayment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []UnsettledPayment
	for id, st := range m.status {
		if st == SettlementQueued || st == SettlementParked {
			out = append(out, UnsettledPayment{SaleID: id, Reference: m.refs[id], Amount: m.amounts[id]})
		}
	}
	slices.SortFunc(out, func(a, b UnsettledPayment) int { return int(a.SaleID - b.SaleID) })
	return out, nil
}

func (m *memSettlementStore) ReleaseSale(_ context.Context, saleID int64, note string, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		if j := &m.jobs[i]; j.SaleID == saleID && j.State != JobDone {
			j.State, j.UpdatedAt = JobDone, now
			m.notes[j.ID] = note
		}
	}
	m.status[saleID] = SettlementReleased
	return nil
}

func (m *memSettlementStore) RequeueSale(_ context.Context, saleID int64, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		if j := &m.jobs[i]; j.SaleID == saleID && j.State == JobQueued && j.NextAt.After(now) {
			j.NextAt = now
		}
	}
	return nil
}

// fakeVipps is Vipps' ledger for settlement: payments, captures and
// receipts, with scripted failures per operation.
type fakeVipps struct {
	Vipps // the checkout's calls are not used here

	mu       sync.Mutex
	payments map[string]*PaymentInfo
	events   map[string][]PaymentEvent
	receipts map[string]int // successful AddReceipt per reference
	captures map[string]int // captures that moved money, per reference
	refunds  map[string]int
	seenKeys map[string]PaymentInfo // idempotency: reference+op+key → answer
	calls    map[string]int         // per operation name
	// fail returns an error to inject before an operation runs (nil: none).
	fail func(op, reference string) error
	// lose makes the operation happen at Vipps but the answer get lost.
	lose func(op, reference string) bool
	// refuse refuses an operation by its Idempotency-Key (nil: none), as
	// Vipps keeps refusing a key it refused once.
	refuse func(op, key string) error
}

func newFakeVipps() *fakeVipps {
	return &fakeVipps{payments: map[string]*PaymentInfo{}, events: map[string][]PaymentEvent{},
		receipts: map[string]int{}, captures: map[string]int{}, refunds: map[string]int{},
		seenKeys: map[string]PaymentInfo{}, calls: map[string]int{}}
}

func (f *fakeVipps) authorize(ref string, amount Money) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.payments[ref] = &PaymentInfo{Reference: ref, State: VippsAuthorized, Amount: amount, Authorized: amount}
	f.events[ref] = append(f.events[ref], PaymentEvent{Reference: ref, Name: "AUTHORIZED", Amount: amount, Success: true})
}

func (f *fakeVipps) enter(op, ref string) error {
	f.calls[op]++
	if f.fail != nil {
		return f.fail(op, ref)
	}
	return nil
}

func (f *fakeVipps) lost(op, ref string) error {
	if f.lose != nil && f.lose(op, ref) {
		return &GatewayError{Kind: ErrTransient, Message: "connection reset after sending"}
	}
	return nil
}

func (f *fakeVipps) GetPayment(_ context.Context, ref string) (PaymentInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("get", ref); err != nil {
		return PaymentInfo{}, err
	}
	p, ok := f.payments[ref]
	if !ok {
		return PaymentInfo{}, &GatewayError{Kind: ErrNotFound, Status: 404, Code: "5090"}
	}
	return *p, nil
}

func (f *fakeVipps) PaymentEvents(_ context.Context, ref string) ([]PaymentEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("events", ref); err != nil {
		return nil, err
	}
	return slices.Clone(f.events[ref]), nil
}

func (f *fakeVipps) modify(op, name, ref string, amount Money, key string, apply func(p *PaymentInfo) error) (PaymentInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(op, ref); err != nil {
		return PaymentInfo{}, err
	}
	if f.refuse != nil {
		if err := f.refuse(op, key); err != nil {
			return PaymentInfo{}, err
		}
	}
	if prev, ok := f.seenKeys[ref+op+key]; ok {
		return prev, f.lost(op, ref) // replay: same answer, no money moves
	}
	p, ok := f.payments[ref]
	if !ok {
		return PaymentInfo{}, &GatewayError{Kind: ErrNotFound, Status: 404, Code: "5090"}
	}
	if err := apply(p); err != nil {
		return PaymentInfo{}, err
	}
	f.events[ref] = append(f.events[ref], PaymentEvent{Reference: ref, Name: name, Amount: amount, IdempotencyKey: key, Success: true})
	f.seenKeys[ref+op+key] = *p
	return *p, f.lost(op, ref)
}

func (f *fakeVipps) Capture(_ context.Context, ref string, amount Money, key string) (PaymentInfo, error) {
	return f.modify("capture", "CAPTURED", ref, amount, key, func(p *PaymentInfo) error {
		switch {
		case p.State != VippsAuthorized:
			return &GatewayError{Kind: ErrPermanent, Status: 400, Code: "6200"}
		case p.Captured+amount > p.Authorized-p.Cancelled:
			return &GatewayError{Kind: ErrPermanent, Status: 400, Code: "6090", Message: "capture amount too high"}
		}
		p.Captured += amount
		f.captures[ref]++
		return nil
	})
}

func (f *fakeVipps) Refund(_ context.Context, ref string, amount Money, key string) (PaymentInfo, error) {
	return f.modify("refund", "REFUNDED", ref, amount, key, func(p *PaymentInfo) error {
		if p.Refunded+amount > p.Captured {
			return &GatewayError{Kind: ErrPermanent, Status: 400, Code: "6150", Message: "not enough refundable"}
		}
		p.Refunded += amount
		f.refunds[ref]++
		return nil
	})
}

func (f *fakeVipps) AddReceipt(_ context.Context, ref string, _ Receipt) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("receipt", ref); err != nil {
		return err
	}
	if f.receipts[ref] > 0 {
		return &GatewayError{Kind: ErrConflict, Status: 409, Message: "receipt exists"}
	}
	f.receipts[ref]++
	return f.lost("receipt", ref)
}

// blocked reports whether an earlier job of j's sale holds j back.
func (m *memSettlementStore) blocked(j OutboxJob) bool {
	for _, e := range m.jobs {
		if e.Reference == j.Reference && e.ID < j.ID && e.State != JobDone && !(e.Kind == JobReceipt && e.State == JobParked) {
			return true
		}
	}
	return false
}

func (m *memSettlementStore) RenewJobKey(_ context.Context, id int64, key string, now time.Time) error {
	return m.set(id, func(j *OutboxJob) { j.SendKey, j.UpdatedAt = key, now })
}

func (m *memSettlementStore) NoteCaptureBy(_ context.Context, id int64, by time.Time) error {
	return m.set(id, func(j *OutboxJob) { j.CaptureBy = by })
}

// PaymentCreateKey: the fake Vipps of these tests creates each payment
// under the key "create-" + reference.
func (m *memSettlementStore) PaymentCreateKey(_ context.Context, reference string) (string, error) {
	return "create-" + reference, nil
}
