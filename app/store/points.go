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

// pointsRow is one change of a member's points; the unique key makes an
// award applied twice (a transition replayed) count once.
type pointsRow struct {
	ID       int64  `gorm:"primaryKey"`
	MemberID int64  `gorm:"not null;index"`
	SaleID   int64  `gorm:"not null;default:0;index"`
	Key      string `gorm:"column:award_key;size:100;not null;uniqueIndex"`
	Points   int64  `gorm:"not null"`
	Reason   string `gorm:"size:200;not null;default:''"`
	At       time.Time
}

func (pointsRow) TableName() string { return "member_points" }

// chequeRow is a bonus cheque; UsedSale is the sale that redeems it (0:
// unused), set when the cashier applies it so two tills cannot both.
type chequeRow struct {
	ID         int64 `gorm:"primaryKey"`
	MemberID   int64 `gorm:"not null;index"`
	Amount     int64 `gorm:"not null"`
	IssuedAt   time.Time
	ExpiresAt  time.Time
	IssuedSale int64 `gorm:"not null;default:0"`
	UsedSale   int64 `gorm:"not null;default:0;index"`
}

func (chequeRow) TableName() string { return "bonus_cheques" }

var _ flow.PointsStore = (*DB)(nil)

// AwardPoints applies a points change outside a sale's transition.
func (db *DB) AwardPoints(ctx context.Context, a *flow.PointsAward) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return db.awardPoints(tx, a) })
}

// awardPoints adds a.Points to the member's balance with one UPDATE
// (points = points + n): tills sharing a database never lose each other's
// points. Then every ChequeAt points become a cheque, each taken off the
// balance by a conditional UPDATE, so no two tills issue the same one.
func (db *DB) awardPoints(tx *gorm.DB, a *flow.PointsAward) error {
	if a.MemberID == 0 || a.Key == "" {
		return errors.New("store: a points award needs a member and a key")
	}
	at := a.At.UTC()
	if a.At.IsZero() {
		at = db.now()
	}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "award_key"}}, DoNothing: true}).
		Create(&pointsRow{MemberID: a.MemberID, SaleID: a.SaleID, Key: a.Key, Points: a.Points, Reason: a.Reason, At: at})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 1 && a.Points != 0 {
		if err := tx.Model(&memberRow{}).Where("id = ?", a.MemberID).
			UpdateColumn("points", gorm.Expr("points + ?", a.Points)).Error; err != nil {
			return err
		}
		if err := db.issueCheques(tx, a, at); err != nil {
			return err
		}
	}
	return tx.Model(&memberRow{}).Where("id = ?", a.MemberID).Select("points").Scan(&a.Balance).Error
}

func (db *DB) issueCheques(tx *gorm.DB, a *flow.PointsAward, at time.Time) error {
	r := a.Rule
	if r.ChequeAt <= 0 || r.ChequeValue <= 0 || a.Points <= 0 {
		return nil
	}
	days := r.ChequeDays
	if days <= 0 {
		days = 90
	}
	for n := 1; n <= 100; n++ {
		res := tx.Model(&memberRow{}).Where("id = ? AND points >= ?", a.MemberID, r.ChequeAt).
			UpdateColumn("points", gorm.Expr("points - ?", r.ChequeAt))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil
		}
		c := chequeRow{MemberID: a.MemberID, Amount: int64(r.ChequeValue), IssuedAt: at, ExpiresAt: at.AddDate(0, 0, days), IssuedSale: a.SaleID}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		if err := tx.Create(&pointsRow{MemberID: a.MemberID, SaleID: a.SaleID, Key: fmt.Sprintf("%s-cheque-%d", a.Key, n),
			Points: -r.ChequeAt, Reason: "bonus cheque " + flow.SAFTAmount(r.ChequeValue), At: at}).Error; err != nil {
			return err
		}
		a.Issued = append(a.Issued, c.cheque())
	}
	return nil
}

func (c chequeRow) cheque() flow.BonusCheque {
	return flow.BonusCheque{ID: c.ID, MemberID: c.MemberID, Amount: flow.Money(c.Amount), IssuedAt: c.IssuedAt,
		ExpiresAt: c.ExpiresAt, IssuedSale: c.IssuedSale, UsedSale: c.UsedSale}
}

// MemberPoints returns a member's balance and usable cheques.
func (db *DB) MemberPoints(ctx context.Context, memberID int64, now time.Time) (flow.MemberPoints, error) {
	g := db.gorm.WithContext(ctx)
	var mp flow.MemberPoints
	var bal []int64
	if err := g.Model(&memberRow{}).Where("id = ?", memberID).Pluck("points", &bal).Error; err != nil {
		return mp, err
	}
	if len(bal) == 0 {
		return mp, flow.ErrNoRecord
	}
	mp.Balance = bal[0]
	var rows []chequeRow
	if err := g.Where("member_id = ? AND used_sale = 0 AND expires_at > ?", memberID, now.UTC()).Order("id").Find(&rows).Error; err != nil {
		return mp, err
	}
	for _, r := range rows {
		mp.Cheques = append(mp.Cheques, r.cheque())
	}
	return mp, nil
}

// PointsHistory lists a member's points changes, oldest first.
func (db *DB) PointsHistory(ctx context.Context, memberID int64) ([]flow.PointsEntry, error) {
	var rows []pointsRow
	if err := db.gorm.WithContext(ctx).Where("member_id = ?", memberID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.PointsEntry, len(rows))
	for i, r := range rows {
		out[i] = flow.PointsEntry{At: r.At, SaleID: r.SaleID, Points: r.Points, Reason: r.Reason}
	}
	return out, nil
}

// ReserveCheque marks the cheque used by the sale, unless another sale has it.
func (db *DB) ReserveCheque(ctx context.Context, chequeID, saleID int64) error {
	res := db.gorm.WithContext(ctx).Model(&chequeRow{}).
		Where("id = ? AND (used_sale = 0 OR used_sale = ?) AND expires_at > ?", chequeID, saleID, db.now()).
		UpdateColumn("used_sale", saleID)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return flow.ErrChequeTaken
	}
	return nil
}

// ReleaseCheque gives the cheque back when the sale that had it did not go through.
func (db *DB) ReleaseCheque(ctx context.Context, chequeID, saleID int64) error {
	return db.gorm.WithContext(ctx).Model(&chequeRow{}).Where("id = ? AND used_sale = ?", chequeID, saleID).
		UpdateColumn("used_sale", 0).Error
}
