package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

var _ flow.ReceiptPrints = (*DB)(nil)

func init() { registerModels(&receiptPrintRow{}) }

// receiptPrintRow is one paper receipt printed for a sale. The unique index
// on (sale, kind) is what allows one Salgskvittering and one copy per sale,
// whichever till prints them.
type receiptPrintRow struct {
	ID       int64  `gorm:"primaryKey"`
	SaleID   int64  `gorm:"not null;uniqueIndex:receipt_prints_one,priority:1"`
	Kind     string `gorm:"size:16;not null;uniqueIndex:receipt_prints_one,priority:2"`
	TillID   string `gorm:"size:64;not null"`
	AtMicros int64  `gorm:"not null"`
}

func (receiptPrintRow) TableName() string { return "receipt_prints" }

// ClaimReceiptPrint records a print of kind for sale, or returns
// flow.ErrCopyTaken when one is recorded already.
func (db *DB) ClaimReceiptPrint(ctx context.Context, saleID int64, kind flow.ReceiptKind, tillID string, at time.Time) error {
	row := receiptPrintRow{SaleID: saleID, Kind: string(kind), TillID: tillID, AtMicros: at.UnixMicro()}
	res := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return flow.ErrCopyTaken
	}
	return nil
}

// ReleaseReceiptPrint forgets a claimed print that did not come out.
func (db *DB) ReleaseReceiptPrint(ctx context.Context, saleID int64, kind flow.ReceiptKind) error {
	return db.gorm.WithContext(ctx).Where("sale_id = ? AND kind = ?", saleID, string(kind)).Delete(&receiptPrintRow{}).Error
}

// VippsReceiptSent says whether the sale's receipt job is done.
func (db *DB) VippsReceiptSent(ctx context.Context, saleID int64) (bool, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).
		Where("sale_id = ? AND kind = ? AND state = ?", saleID, flow.JobReceipt, flow.JobDone).Count(&n).Error
	return n > 0, err
}

var _ flow.OpenWork = (*DB)(nil)

// ParkedRefunds counts the refund jobs of the till's sales that are parked
// for a manager.
func (db *DB) ParkedRefunds(ctx context.Context, posID string) (int, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).
		Where("kind = ? AND state = ? AND sale_id IN (?)", flow.JobRefund, flow.JobParked,
			db.gorm.Model(&saleRow{}).Select("id").Where("pos_id = ?", posID)).Count(&n).Error
	return int(n), err
}

var _ flow.ParkedSales = (*DB)(nil)

// ParkedSales returns the till's parked sales, oldest first.
func (db *DB) ParkedSales(ctx context.Context, posID string) ([]*flow.Sale, error) {
	var ids []int64
	err := db.gorm.WithContext(ctx).Model(&saleRow{}).Where("pos_id = ? AND stage = ?", posID, string(flow.StageParked)).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, err
	}
	return db.salesByID(ctx, ids)
}
