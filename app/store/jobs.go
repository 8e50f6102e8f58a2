package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

// SettlementStatus sums up a paid sale's jobs: parked if any job needs a
// manager, done when all are done (refunded when a refund is among them),
// queued otherwise.
func (db *DB) SettlementStatus(ctx context.Context, saleID int64) (flow.SettlementStatus, error) {
	var jobs []OutboxJobRow
	// A release of an earlier request is not part of settling the sale.
	if err := db.gorm.WithContext(ctx).Where("sale_id = ? AND kind <> ?", saleID, flow.JobRelease).Find(&jobs).Error; err != nil {
		return "", err
	}
	if len(jobs) == 0 {
		return "", nil
	}
	done, refund := 0, false
	for _, j := range jobs {
		switch j.State {
		case flow.JobParked:
			return flow.SettlementParked, nil
		case flow.JobDone:
			done++
			refund = refund || j.Kind == flow.JobRefund
		}
	}
	switch {
	case done < len(jobs):
		return flow.SettlementQueued, nil
	case refund:
		return flow.SettlementRefunded, nil
	}
	// All jobs ended: the worker's recorded outcome says how (a payment
	// Vipps released ends without a capture).
	if o, err := db.SettlementOutcome(ctx, saleID); err == nil && o != "" && o != flow.SettlementParked && o != flow.SettlementQueued {
		return o, nil
	}
	return flow.SettlementDone, nil
}

// ParkedJobs lists the jobs that need a manager, oldest first.
func (db *DB) ParkedJobs(ctx context.Context) ([]flow.ParkedJob, error) {
	type parked struct {
		OutboxJobRow
		ReceiptNumber string
	}
	var rows []parked
	err := db.gorm.WithContext(ctx).Table("settlement_jobs j").
		Select("j.*, s.receipt_number").Joins("JOIN sales s ON s.id = j.sale_id").
		Where(jobWantsManager, wantsManagerArgs(db.now())).Order("j.updated_at, j.id").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]flow.ParkedJob, len(rows))
	for i, r := range rows {
		j := r.Job()
		out[i] = flow.ParkedJob{ID: r.ID, SaleID: r.SaleID, ReceiptNumber: r.ReceiptNumber, Reference: r.Reference,
			Job: r.Kind, Error: r.LastError, Since: r.UpdatedAt, CaptureBy: j.CaptureBy, Parked: r.State == flow.JobParked}
	}
	return out, nil
}

// CountParked counts the jobs waiting for a manager (flow.NeedsManager).
func (db *DB) CountParked(ctx context.Context) (int, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Table("settlement_jobs j").Where(jobWantsManager, wantsManagerArgs(db.now())).Count(&n).Error
	return int(n), err
}

// NoteCaptureBy implements flow.SettlementStore.
func (db *DB) NoteCaptureBy(ctx context.Context, id int64, by time.Time) error {
	return db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).Where("id = ?", id).UpdateColumn("capture_by", by.UTC()).Error
}

// RetryJob puts a parked job back in the queue, or makes a waiting one due,
// now.
func (db *DB) RetryJob(ctx context.Context, id int64, now time.Time) error {
	res := db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).Where("id = ? AND state IN ?", id, []string{flow.JobParked, flow.JobQueued}).
		Updates(map[string]any{"state": flow.JobQueued, "next_at": now.UTC(), "updated_at": db.now()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("parked job %d: %w", id, flow.ErrNoRecord)
	}
	return nil
}

// AddRefund records the returned quantities of a paid sale and queues the
// refund, so the refund can neither be lost nor run twice.
func (db *DB) AddRefund(ctx context.Context, saleID int64, returned map[int]int, job flow.OutboxJob, j flow.JournalEntry) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sale saleRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&sale, saleID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return flow.ErrNoRecord
			}
			return err
		}
		for pos, qty := range returned {
			res := tx.Model(&saleLineRow{}).
				Where("sale_id = ? AND position = ? AND refunded_qty + ? <= quantity", saleID, pos, qty).
				Update("refunded_qty", gorm.Expr("refunded_qty + ?", qty))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("line %d: more returned than sold", pos+1)
			}
		}
		job.SaleID = saleID
		r := JobRow(job)
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		j.SaleID = saleID
		return tx.Create(journalToRow(j)).Error
	})
}
