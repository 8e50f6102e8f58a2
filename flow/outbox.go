package flow

import "time"

// Settlement job kinds, run in this order for an authorized sale.
const (
	JobReceipt = "receipt" // attach the receipt (Order Management)
	JobCapture = "capture" // capture the authorized amount
	JobConfirm = "confirm" // read the payment back and confirm the capture
	JobRefund  = "refund"
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
	State          string // JobQueued, JobRunning, JobDone, JobParked
	Attempts       int
	NextAt         time.Time
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
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
