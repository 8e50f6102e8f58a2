package store

import "github.com/kasse-pos/kasse/flow"

// JobRow converts a settlement job to its row.
func JobRow(j flow.OutboxJob) OutboxJobRow {
	return OutboxJobRow{ID: j.ID, SaleID: j.SaleID, Reference: j.Reference, Kind: j.Kind,
		Amount: int64(j.Amount), IdempotencyKey: j.IdempotencyKey, SendKey: j.SendKey, State: j.State,
		Attempts: j.Attempts, NextAt: j.NextAt.UTC(), LastError: j.LastError,
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC()}
}

// Job converts a row back to the settlement job.
func (r OutboxJobRow) Job() flow.OutboxJob {
	return flow.OutboxJob{ID: r.ID, SaleID: r.SaleID, Reference: r.Reference, Kind: r.Kind,
		Amount: flow.Money(r.Amount), IdempotencyKey: r.IdempotencyKey, SendKey: r.SendKey, State: r.State,
		Attempts: r.Attempts, NextAt: r.NextAt, LastError: r.LastError,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
