package flow

import "time"

// Settlement job kinds, run in this order for an authorized sale.
const (
	JobReceipt = "receipt" // attach the receipt (Order Management)
	JobCapture = "capture" // capture the authorized amount
	JobConfirm = "confirm" // read the payment back and confirm the capture
	JobRefund  = "refund"
	// JobRelease gives back a reservation no sale will capture: a request
	// the till gave up (no answer from Vipps past its expiry, a create whose
	// fate was unknown) or that a voided or otherwise paid sale left behind.
	// It cancels the request if it is still open or was approved, and reports
	// an approval it released on the Problems list.
	JobRelease = "release"
)

// Settlement job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobParked  = "parked"
)

// OutboxJob is one durable settlement step. Jobs are written in the same
// transaction as the state change that needs them, so an authorization
// can never be recorded without its capture.
type OutboxJob struct {
	ID             int64
	SaleID         int64
	Reference      string
	Kind           string // JobReceipt, JobCapture, JobConfirm, JobRefund
	Amount         Money
	IdempotencyKey string // derived from the reference and the job: the same on every retry
	// SendKey is the Idempotency-Key sent now when it is not IdempotencyKey:
	// after Vipps refused the job with a "try again later" code (a key
	// Vipps refused stays refused), the payment is re-read and the job goes
	// again under a new key.
	SendKey string
	// CaptureBy is, for a capture, until when Vipps guarantees the
	// reservation (captureGuaranteedUntil), once the worker has learnt it;
	// zero before. After it the money may never arrive.
	CaptureBy time.Time
	State     string // JobQueued, JobRunning, JobDone, JobParked
	Attempts  int
	NextAt    time.Time
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SettlementJobs are the jobs an authorization of amount creates.
func SettlementJobs(saleID int64, reference string, amount Money, now time.Time) []OutboxJob {
	mk := func(kind string, amt Money) OutboxJob {
		return OutboxJob{SaleID: saleID, Reference: reference, Kind: kind, Amount: amt,
			IdempotencyKey: IdempotencyKey(reference, kind), State: JobQueued, NextAt: now,
			CreatedAt: now, UpdatedAt: now}
	}
	return []OutboxJob{mk(JobReceipt, 0), mk(JobCapture, amount), mk(JobConfirm, amount)}
}

// ReleaseJob is the job that makes sure reference, superseded in its sale,
// leaves no money reserved on the customer's account.
func ReleaseJob(saleID int64, reference string, amount Money, now time.Time) OutboxJob {
	return OutboxJob{SaleID: saleID, Reference: reference, Kind: JobRelease, Amount: amount,
		IdempotencyKey: IdempotencyKey(reference, JobRelease), State: JobQueued, NextAt: now,
		CreatedAt: now, UpdatedAt: now}
}

// Key is the Idempotency-Key the job's next request carries.
func (j OutboxJob) Key() string {
	if j.SendKey != "" {
		return j.SendKey
	}
	return j.IdempotencyKey
}

// NeedsManager says whether a job belongs on the Problems list at now: it
// is parked, or it is a capture still trying while Vipps' guarantee of the
// reservation runs out within CaptureWarning (or has run out).
func NeedsManager(j OutboxJob, now time.Time) bool {
	switch {
	case j.State == JobParked:
		return true
	case j.Kind != JobCapture || j.State == JobDone || j.CaptureBy.IsZero():
		return false
	}
	return j.CaptureBy.Sub(now) < CaptureWarning
}
