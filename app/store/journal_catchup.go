package store

import (
	"context"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// SalesNotJournaled returns the ids of a till's sales that were paid or
// voided after its electronic journal began but have no record in it: the
// checkout journals a closed sale right after storing it, so a crash in
// between leaves one behind, and the till catches up on its next start.
func (db *DB) SalesNotJournaled(ctx context.Context, tillID string) ([]int64, error) {
	var first ejournalRow
	err := db.gorm.WithContext(ctx).Where("till_id = ?", tillID).Order("seq").Limit(1).Find(&first).Error
	if err != nil || first.ID == 0 {
		return nil, err
	}
	var ids []int64
	err = db.gorm.WithContext(ctx).Model(&saleRow{}).
		Where("pos_id = ? AND stage IN ? AND closed_at >= ?", tillID,
			[]string{string(flow.StagePaid), string(flow.StageCancelled)}, time.UnixMicro(first.AtMicros).UTC()).
		Where("id NOT IN (?)", db.gorm.Model(&ejournalRow{}).Select("sale_id").
			Where("till_id = ? AND event IN ?", tillID, []string{string(flow.JournalSale), string(flow.JournalVoid)})).
		Order("id").Pluck("id", &ids).Error
	return ids, err
}

// SaleJournaled reports whether the sale's closing (a sale or a void
// record) is in tillID's electronic journal.
func (db *DB) SaleJournaled(ctx context.Context, tillID string, saleID int64) (bool, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&ejournalRow{}).
		Where("till_id = ? AND sale_id = ? AND event IN ?", tillID, saleID, []string{string(flow.JournalSale), string(flow.JournalVoid)}).
		Limit(1).Count(&n).Error
	return n > 0, err
}
