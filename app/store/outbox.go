package store

import (
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// JobRow converts a settlement job to its row.
func JobRow(j flow.OutboxJob) OutboxJobRow {
	r := OutboxJobRow{ID: j.ID, SaleID: j.SaleID, Reference: j.Reference, Kind: j.Kind,
		Amount: int64(j.Amount), IdempotencyKey: j.IdempotencyKey, SendKey: j.SendKey, State: j.State,
		Attempts: j.Attempts, NextAt: j.NextAt.UTC(), LastError: j.LastError,
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC()}
	if !j.CaptureBy.IsZero() {
		by := j.CaptureBy.UTC()
		r.CaptureBy = &by
	}
	return r
}

// Job converts a row back to the settlement job.
func (r OutboxJobRow) Job() flow.OutboxJob {
	j := flow.OutboxJob{ID: r.ID, SaleID: r.SaleID, Reference: r.Reference, Kind: r.Kind,
		Amount: flow.Money(r.Amount), IdempotencyKey: r.IdempotencyKey, SendKey: r.SendKey, State: r.State,
		Attempts: r.Attempts, NextAt: r.NextAt, LastError: r.LastError,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.CaptureBy != nil {
		j.CaptureBy = r.CaptureBy.UTC()
	}
	return j
}

// jobWantsManager is flow.NeedsManager in SQL, for the Problems list: a
// parked job, or a capture still trying that Vipps guarantees for less
// than flow.CaptureWarning more.
const jobWantsManager = `(j.state = @parked OR (j.kind = @capture AND j.state <> @done
  AND j.capture_by IS NOT NULL AND j.capture_by < @warnFrom))`

func wantsManagerArgs(now time.Time) map[string]any {
	return map[string]any{"parked": flow.JobParked, "capture": flow.JobCapture, "done": flow.JobDone,
		"warnFrom": now.UTC().Add(flow.CaptureWarning)}
}
