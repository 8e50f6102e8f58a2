package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

// tenderRow is one part of a sale's payment (flow.Tender): cash, card,
// Vipps, a voucher. Rows are only ever added; Refunded grows with returns.
type tenderRow struct {
	ID        int64     `gorm:"primaryKey"`
	SaleID    int64     `gorm:"not null;uniqueIndex:tenders_sale_seq,priority:1"`
	Sale      *saleRow  `gorm:"foreignKey:SaleID;constraint:OnDelete:CASCADE"`
	Seq       int       `gorm:"not null;uniqueIndex:tenders_sale_seq,priority:2"`
	Kind      string    `gorm:"size:16;not null;index"`
	Amount    int64     `gorm:"not null"`
	Given     int64     `gorm:"not null;default:0"`
	Change    int64     `gorm:"column:change_given;not null;default:0"`
	Rounding  int64     `gorm:"not null;default:0"`
	Reference string    `gorm:"size:100;not null;default:''"`
	Refunded  int64     `gorm:"not null;default:0"`
	At        time.Time `gorm:"not null"`
}

func (tenderRow) TableName() string { return "tenders" }

// voucherRow is a gift voucher or credit note, chain-wide on a shared
// database: a redemption is one conditional UPDATE of its balance, so two
// tills can never spend the same amount.
type voucherRow struct {
	Code      string `gorm:"primaryKey;size:64"`
	Kind      string `gorm:"size:16;not null"`
	Currency  string `gorm:"size:3;not null"`
	Amount    int64  `gorm:"not null"`
	Balance   int64  `gorm:"not null"`
	SaleID    int64  `gorm:"not null;default:0;index"`
	IssuedBy  string `gorm:"size:64;not null;default:''"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (voucherRow) TableName() string { return "vouchers" }

var _ flow.Vouchers = (*DB)(nil)

// writeTenders stores a change's new tenders and takes its voucher
// redemptions, in the change's transaction.
func (db *DB) writeTenders(tx *gorm.DB, c flow.SaleChange) error {
	for _, r := range c.Redeem {
		// The balance check and the update are one statement: on
		// PostgreSQL the row lock makes a second till's redemption wait
		// and then find the balance already spent.
		res := tx.Model(&voucherRow{}).Where("code = ? AND balance >= ? AND balance - ? <= amount", r.Code, r.Amount, r.Amount).
			Updates(map[string]any{"balance": gorm.Expr("balance - ?", r.Amount), "updated_at": db.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("store: voucher %s: %w", r.Code, flow.ErrVoucherSpent)
		}
	}
	for i := range c.Tenders {
		t := &c.Tenders[i]
		t.SaleID = c.Sale.ID
		row := tenderRow{SaleID: t.SaleID, Seq: t.Seq, Kind: string(t.Kind), Amount: int64(t.Amount), Given: int64(t.Given),
			Change: int64(t.Change), Rounding: int64(t.Rounding), Reference: t.Reference, Refunded: int64(t.Refunded), At: t.At.UTC()}
		if err := tx.Omit(clause.Associations).Create(&row).Error; err != nil {
			return err
		}
		t.ID = row.ID
		for j := range c.Sale.Tenders {
			if c.Sale.Tenders[j].Seq == t.Seq {
				c.Sale.Tenders[j].ID, c.Sale.Tenders[j].SaleID = row.ID, t.SaleID
			}
		}
	}
	return nil
}

// loadTenders reads a sale's tenders in the order they were taken.
func loadTenders(g *gorm.DB, saleID int64) ([]flow.Tender, error) {
	var rows []tenderRow
	if err := g.Where("sale_id = ?", saleID).Order("seq").Find(&rows).Error; err != nil {
		return nil, err
	}
	var out []flow.Tender
	for _, r := range rows {
		out = append(out, flow.Tender{ID: r.ID, SaleID: r.SaleID, Seq: r.Seq, Kind: flow.TenderKind(r.Kind), Amount: flow.Money(r.Amount),
			Given: flow.Money(r.Given), Change: flow.Money(r.Change), Rounding: flow.Money(r.Rounding), Reference: r.Reference,
			Refunded: flow.Money(r.Refunded), At: r.At.UTC()})
	}
	return out, nil
}

// IssueVoucher stores a new voucher (and its journal entry, when given).
func (db *DB) IssueVoucher(ctx context.Context, v flow.Voucher, j flow.JournalEntry) error {
	code := strings.TrimSpace(v.Code)
	if code == "" || v.Amount <= 0 || v.Balance < 0 || v.Balance > v.Amount {
		return fmt.Errorf("store: voucher %q for %d (balance %d) is not a voucher", v.Code, v.Amount, v.Balance)
	}
	now := db.now()
	row := voucherRow{Code: code, Kind: string(v.Kind), Currency: v.Currency, Amount: int64(v.Amount), Balance: int64(v.Balance),
		SaleID: v.SaleID, IssuedBy: v.IssuedBy, CreatedAt: now, UpdatedAt: now}
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if j.Detail == "" {
			return nil
		}
		return tx.Create(journalToRow(j)).Error
	})
}

// Voucher loads one by code.
func (db *DB) Voucher(ctx context.Context, code string) (flow.Voucher, error) {
	var r voucherRow
	err := db.gorm.WithContext(ctx).Where("code = ?", strings.TrimSpace(code)).First(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return flow.Voucher{}, fmt.Errorf("voucher %s: %w", code, flow.ErrNoRecord)
	}
	if err != nil {
		return flow.Voucher{}, err
	}
	return flow.Voucher{Code: r.Code, Kind: flow.TenderKind(r.Kind), Currency: r.Currency, Amount: flow.Money(r.Amount),
		Balance: flow.Money(r.Balance), SaleID: r.SaleID, IssuedBy: r.IssuedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}, nil
}

// AddReturn records a return through the sale's tenders atomically: the
// returned quantities, each tender's refunded amount (never beyond what it
// paid), voucher balances given back, a credit note issued and the Vipps
// refund job.
func (db *DB) AddReturn(ctx context.Context, r flow.Return) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var sale saleRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&sale, r.SaleID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return flow.ErrNoRecord
			}
			return err
		}
		for pos, qty := range r.Returned {
			res := tx.Model(&saleLineRow{}).
				Where("sale_id = ? AND position = ? AND refunded_qty + ? <= quantity", r.SaleID, pos, qty).
				Update("refunded_qty", gorm.Expr("refunded_qty + ?", qty))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("line %d: more returned than sold", pos+1)
			}
		}
		for _, t := range r.Tenders {
			if t.Seq < 0 {
				continue // the credit note issued below
			}
			res := tx.Model(&tenderRow{}).Where("sale_id = ? AND seq = ? AND refunded + ? <= amount", r.SaleID, t.Seq, t.Amount).
				Update("refunded", gorm.Expr("refunded + ?", t.Amount))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return fmt.Errorf("store: tender %d of sale %d: %w", t.Seq, r.SaleID, flow.ErrRefundTooLarge)
			}
		}
		if err := db.writeTenders(tx, flow.SaleChange{Sale: &flow.Sale{ID: r.SaleID}, Redeem: r.Redeem}); err != nil {
			return err
		}
		if v := r.Issue; v != nil {
			now := db.now()
			if err := tx.Create(&voucherRow{Code: v.Code, Kind: string(v.Kind), Currency: v.Currency, Amount: int64(v.Amount), Balance: int64(v.Balance),
				SaleID: r.SaleID, IssuedBy: v.IssuedBy, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
				return err
			}
		}
		for _, job := range r.Jobs {
			job.SaleID = r.SaleID
			row := JobRow(job)
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		r.Journal.SaleID = r.SaleID
		return tx.Create(journalToRow(r.Journal)).Error
	})
}
