package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

var _ flow.PINLockout = (*DB)(nil)

// pinLockoutRow counts a cashier's wrong PINs in a row. Kept in the database,
// the lockout holds for every process on it: the till's windows, a second
// start, the command line, the other tills of a chain.
type pinLockoutRow struct {
	CashierID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Failures    int   `gorm:"not null"`
	LockedUntil *time.Time
}

func (pinLockoutRow) TableName() string { return "pin_lockouts" }

func init() { registerModels(&pinLockoutRow{}) }

// LockedUntil implements flow.PINLockout.
func (db *DB) LockedUntil(ctx context.Context, id int64) (time.Time, error) {
	var rows []pinLockoutRow
	if err := db.gorm.WithContext(ctx).Where("cashier_id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return time.Time{}, err
	}
	if len(rows) == 0 {
		return time.Time{}, nil
	}
	return timeVal(rows[0].LockedUntil), nil
}

// PINFailed implements flow.PINLockout; the count goes up in one statement,
// so two processes trying PINs at once both count.
func (db *DB) PINFailed(ctx context.Context, id int64) (int, error) {
	var n int
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "cashier_id"}},
			DoUpdates: clause.Assignments(map[string]any{"failures": gorm.Expr("pin_lockouts.failures + 1")})}).
			Create(&pinLockoutRow{CashierID: id, Failures: 1}).Error; err != nil {
			return err
		}
		return tx.Model(&pinLockoutRow{}).Where("cashier_id = ?", id).Pluck("failures", &n).Error
	})
	return n, err
}

// LockPIN implements flow.PINLockout.
func (db *DB) LockPIN(ctx context.Context, id int64, until time.Time) error {
	return db.gorm.WithContext(ctx).Model(&pinLockoutRow{}).Where("cashier_id = ?", id).
		Update("locked_until", until.UTC()).Error
}

// PINSucceeded implements flow.PINLockout.
func (db *DB) PINSucceeded(ctx context.Context, id int64) error {
	return db.gorm.WithContext(ctx).Where("cashier_id = ?", id).Delete(&pinLockoutRow{}).Error
}
