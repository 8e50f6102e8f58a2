package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

var _ flow.SettlementStore = (*DB)(nil)

// settlementOutcomeRow keeps what the settlement worker concluded about a
// sale (done, refunded, parked, released); the jobs stay the source of truth
// for what is still to do.
type settlementOutcomeRow struct {
	SaleID    int64  `gorm:"primaryKey;autoIncrement:false"`
	Status    string `gorm:"size:16;not null"`
	UpdatedAt time.Time
}

func (settlementOutcomeRow) TableName() string { return "settlement_outcomes" }

func init() { registerModels(&settlementOutcomeRow{}) }

// claimSQL moves due jobs in one state (queued, or running with an expired
// lease) to running in one statement. A job waits while an earlier job of
// its payment (reference) is unfinished, except a parked receipt: the money
// must not wait for a receipt a manager has to fix. SQLite has one writer
// (BEGIN IMMEDIATE), which serialises claims anyway. One state at a time
// lets the (state, next_at) index deliver candidates in order, so a claim
// stops at the first free job instead of sorting the whole backlog.
const claimSQL = `UPDATE settlement_jobs SET state = @running, next_at = @lease, leased_by = @holder, updated_at = @now
WHERE id IN (` + claimCandidates + `)
RETURNING *`

// pgClaimSQL is claimSQL for PostgreSQL: the candidates are locked with SKIP
// LOCKED, so tills sharing the database take disjoint jobs without waiting
// for each other, and they are chosen once, in a materialised CTE — as a
// subquery of the UPDATE the planner may run the LIMIT again and claim more
// jobs than asked for. A row another till claimed meanwhile is re-checked
// and dropped.
const pgClaimSQL = `WITH c AS MATERIALIZED (` + claimCandidates + ` FOR UPDATE SKIP LOCKED)
UPDATE settlement_jobs s SET state = @running, next_at = @lease, leased_by = @holder, updated_at = @now
FROM c WHERE s.id = c.id AND s.state = @from AND s.next_at <= @now
RETURNING s.*`

const claimCandidates = `SELECT j.id FROM settlement_jobs j
  WHERE j.state = @from AND j.next_at <= @now
    AND NOT EXISTS (SELECT 1 FROM settlement_jobs e
      WHERE e.reference = j.reference AND e.id < j.id AND e.state <> @done
        AND NOT (e.kind = @receipt AND e.state = @parked))
  ORDER BY j.next_at, j.id
  LIMIT @limit`

// ClaimDue implements flow.SettlementStore. Jobs of a crashed worker (an
// expired lease) are taken before queued ones.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]flow.OutboxJob, error) {
	// The outer re-check is for PostgreSQL only: on SQLite it would make
	// the planner scan the due index for the UPDATE instead of taking the
	// one or few ids, and with a single writer nothing can change between.
	sql := claimSQL
	if db.postgres {
		sql = pgClaimSQL
	}
	now = now.UTC()
	var rows []OutboxJobRow
	for _, from := range []string{flow.JobRunning, flow.JobQueued} {
		if len(rows) >= limit {
			break
		}
		var got []OutboxJobRow
		err := db.gorm.WithContext(ctx).Raw(sql, map[string]any{
			"running": flow.JobRunning, "from": from, "done": flow.JobDone, "parked": flow.JobParked,
			"receipt": flow.JobReceipt, "now": now, "lease": now.Add(lease), "limit": limit - len(rows), "holder": db.LeaseHolder,
		}).Scan(&got).Error
		if err != nil {
			return nil, fmt.Errorf("claiming settlement jobs: %w", err)
		}
		rows = append(rows, got...)
	}
	slices.SortFunc(rows, func(a, b OutboxJobRow) int { return int(a.ID - b.ID) })
	jobs := make([]flow.OutboxJob, len(rows))
	for i, r := range rows {
		jobs[i] = r.Job()
	}
	return jobs, nil
}

func (db *DB) updateJob(ctx context.Context, id int64, from []string, set map[string]any) error {
	res := db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).Where("id = ? AND state IN ?", id, from).Updates(set)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("settlement job %d is no longer %v: %w", id, from, flow.ErrNoRecord)
	}
	return nil
}

// CompleteJob implements flow.SettlementStore; the note is kept in
// last_error, where a done job says how it ended.
func (db *DB) CompleteJob(ctx context.Context, id int64, note string, now time.Time) error {
	return db.updateJob(ctx, id, []string{flow.JobQueued, flow.JobRunning, flow.JobParked},
		map[string]any{"state": flow.JobDone, "last_error": truncate(note, 1000), "updated_at": now.UTC()})
}

// RescheduleJob implements flow.SettlementStore. Only a running job is
// rescheduled: a job another worker finished meanwhile stays finished.
func (db *DB) RescheduleJob(ctx context.Context, id int64, attempts int, nextAt time.Time, lastErr string, now time.Time) error {
	return db.updateJob(ctx, id, []string{flow.JobRunning}, map[string]any{"state": flow.JobQueued,
		"attempts": attempts, "next_at": nextAt.UTC(), "last_error": truncate(lastErr, 1000), "updated_at": now.UTC()})
}

// ParkJob implements flow.SettlementStore.
func (db *DB) ParkJob(ctx context.Context, id int64, attempts int, lastErr string, now time.Time) error {
	return db.updateJob(ctx, id, []string{flow.JobRunning}, map[string]any{"state": flow.JobParked,
		"attempts": attempts, "last_error": truncate(lastErr, 1000), "updated_at": now.UTC()})
}

// SaleJobs implements flow.SettlementStore.
func (db *DB) SaleJobs(ctx context.Context, saleID int64) ([]flow.OutboxJob, error) {
	var rows []OutboxJobRow
	if err := db.gorm.WithContext(ctx).Where("sale_id = ?", saleID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	jobs := make([]flow.OutboxJob, len(rows))
	for i, r := range rows {
		jobs[i] = r.Job()
	}
	return jobs, nil
}

// EnqueueJobs implements flow.SettlementStore.
func (db *DB) EnqueueJobs(ctx context.Context, jobs []flow.OutboxJob) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, j := range jobs {
			r := JobRow(j)
			r.ID = 0
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "idempotency_key"}}, DoNothing: true}).
				Create(&r).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// refundable is captured (done capture jobs) minus every refund requested.
func refundable(tx *gorm.DB, saleID int64) (flow.Money, string, int, error) {
	var rows []OutboxJobRow
	if err := tx.Where("sale_id = ? AND kind IN ?", saleID, []string{flow.JobCapture, flow.JobRefund}).Find(&rows).Error; err != nil {
		return 0, "", 0, err
	}
	var left flow.Money
	ref, refunds := "", 0
	for _, r := range rows {
		switch {
		case r.Kind == flow.JobCapture && r.State == flow.JobDone:
			left += flow.Money(r.Amount)
			ref = r.Reference
		case r.Kind == flow.JobRefund:
			left -= flow.Money(r.Amount)
			refunds++
		}
	}
	return left, ref, refunds, nil
}

// Refundable implements flow.SettlementStore.
func (db *DB) Refundable(ctx context.Context, saleID int64) (flow.Money, error) {
	left, _, _, err := refundable(db.gorm.WithContext(ctx), saleID)
	return left, err
}

// EnqueueRefund implements flow.SettlementStore. The sale row is locked so
// two tills refunding the same sale cannot both pass the check.
func (db *DB) EnqueueRefund(ctx context.Context, saleID int64, amount flow.Money, now time.Time) (flow.OutboxJob, error) {
	var job flow.OutboxJob
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sale saleRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&sale, saleID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return flow.ErrNoRecord
			}
			return err
		}
		left, ref, n, err := refundable(tx, saleID)
		if err != nil {
			return err
		}
		if ref == "" || amount > left {
			return flow.ErrRefundTooLarge
		}
		now = now.UTC()
		job = flow.OutboxJob{SaleID: saleID, Reference: ref, Kind: flow.JobRefund, Amount: amount,
			IdempotencyKey: flow.IdempotencyKey(ref, fmt.Sprintf("refund-job%d", n+1)), // apart from the checkout's per-item "refund-N" keys
			State:          flow.JobQueued, NextAt: now, CreatedAt: now, UpdatedAt: now}
		r := JobRow(job)
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		job.ID = r.ID
		return nil
	})
	return job, err
}

// SettlementReceipt implements flow.SettlementStore: the sale's lines as
// they were paid (later returns do not change the receipt).
func (db *DB) SettlementReceipt(ctx context.Context, saleID int64) (flow.Receipt, error) {
	s, err := db.Sale(ctx, saleID)
	if err != nil {
		return flow.Receipt{}, err
	}
	return flow.ReceiptForSale(s)
}

// RecordSettlement implements flow.SettlementStore.
func (db *DB) RecordSettlement(ctx context.Context, saleID int64, status flow.SettlementStatus, now time.Time) error {
	r := settlementOutcomeRow{SaleID: saleID, Status: string(status), UpdatedAt: now.UTC()}
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "sale_id"}}, DoUpdates: clause.AssignmentColumns([]string{"status", "updated_at"}),
	}).Create(&r).Error
}

// SettlementOutcome is what the worker last recorded for the sale ("" if
// nothing yet).
func (db *DB) SettlementOutcome(ctx context.Context, saleID int64) (flow.SettlementStatus, error) {
	var rows []settlementOutcomeRow
	if err := db.gorm.WithContext(ctx).Where("sale_id = ?", saleID).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return "", err
	}
	return flow.SettlementStatus(rows[0].Status), nil
}

// UnsettledPayments implements flow.SettlementStore: sales with an
// unfinished receipt, capture or confirm job, and authorized payments that
// have no jobs at all.
func (db *DB) UnsettledPayments(ctx context.Context) ([]flow.UnsettledPayment, error) {
	g := db.gorm.WithContext(ctx)
	var out []flow.UnsettledPayment
	var open []struct {
		SaleID    int64
		Reference string
		Amount    int64
	}
	err := g.Raw(`SELECT sale_id, reference, MAX(CASE WHEN kind = @capture THEN amount ELSE 0 END) AS amount
FROM settlement_jobs WHERE kind IN (@kinds)
GROUP BY sale_id, reference
HAVING SUM(CASE WHEN state <> @done THEN 1 ELSE 0 END) > 0
ORDER BY sale_id`, map[string]any{"capture": flow.JobCapture, "done": flow.JobDone,
		"kinds": []string{flow.JobReceipt, flow.JobCapture, flow.JobConfirm}}).Scan(&open).Error
	if err != nil {
		return nil, err
	}
	for _, o := range open {
		out = append(out, flow.UnsettledPayment{SaleID: o.SaleID, Reference: o.Reference, Amount: flow.Money(o.Amount)})
	}
	var orphans []paymentRow
	err = g.Where("status = ? AND NOT EXISTS (SELECT 1 FROM settlement_jobs j WHERE j.reference = payments.reference)",
		string(flow.PaymentAuthorized)).Order("sale_id").Find(&orphans).Error
	if err != nil {
		return nil, err
	}
	for _, p := range orphans {
		out = append(out, flow.UnsettledPayment{SaleID: p.SaleID, Reference: p.Reference, Amount: flow.Money(p.Authorized)})
	}
	return out, nil
}

// ReleaseSale implements flow.SettlementStore.
func (db *DB) ReleaseSale(ctx context.Context, saleID int64, note string, now time.Time) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A release of another request of the sale is about other money.
		if err := tx.Model(&OutboxJobRow{}).Where("sale_id = ? AND state <> ? AND kind <> ?", saleID, flow.JobDone, flow.JobRelease).
			Updates(map[string]any{"state": flow.JobDone, "last_error": truncate(note, 1000), "updated_at": now.UTC()}).Error; err != nil {
			return err
		}
		r := settlementOutcomeRow{SaleID: saleID, Status: string(flow.SettlementReleased), UpdatedAt: now.UTC()}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "sale_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"status", "updated_at"})}).Create(&r).Error
	})
}

// RequeueSale implements flow.SettlementStore.
func (db *DB) RequeueSale(ctx context.Context, saleID int64, now time.Time) error {
	return db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).
		Where("sale_id = ? AND state = ? AND next_at > ?", saleID, flow.JobQueued, now.UTC()).
		Updates(map[string]any{"next_at": now.UTC(), "updated_at": now.UTC()}).Error
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// RenewJobKey implements flow.SettlementStore.
func (db *DB) RenewJobKey(ctx context.Context, id int64, key string, now time.Time) error {
	return db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).Where("id = ?", id).
		Updates(map[string]any{"send_key": key, "updated_at": now.UTC()}).Error
}

// PaymentCreateKey implements flow.SettlementStore.
func (db *DB) PaymentCreateKey(ctx context.Context, reference string) (string, error) {
	var keys []string
	if err := db.gorm.WithContext(ctx).Model(&paymentRow{}).Where("reference = ?", reference).Limit(1).Pluck("idempotency_key", &keys).Error; err != nil {
		return "", err
	}
	if len(keys) == 0 {
		return "", flow.ErrNoRecord
	}
	return keys[0], nil
}

// ReclaimLeases makes the jobs this till's workers had leased when it last
// stopped due again. Call it at start, once the till holds its id (and, on
// SQLite, its data directory): a lease under this till's name can then only
// be a dead process's, and waiting out its lease (minutes) would only keep
// a paid sale from being captured.
func (db *DB) ReclaimLeases(ctx context.Context, now time.Time) (int64, error) {
	if db.LeaseHolder == "" {
		return 0, nil
	}
	res := db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).
		Where("state = ? AND leased_by = ?", flow.JobRunning, db.LeaseHolder).
		Updates(map[string]any{"state": flow.JobQueued, "next_at": now.UTC(), "leased_by": "", "updated_at": now.UTC()})
	return res.RowsAffected, res.Error
}
