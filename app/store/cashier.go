package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/kasse-pos/kasse/flow"
)

var _ flow.CashierStore = (*DB)(nil)

// cashierRow is a till user, shared by every till of a chain. The PIN is
// only ever stored as flow.HashPIN's salted hash.
type cashierRow struct {
	ID        int64  `gorm:"primaryKey"`
	Name      string `gorm:"size:100;not null"`
	Role      string `gorm:"size:16;not null"`
	PINHash   string `gorm:"size:200;not null"`
	Active    bool   `gorm:"not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (cashierRow) TableName() string { return "cashiers" }

func (r cashierRow) cashier() flow.Cashier {
	return flow.Cashier{ID: r.ID, Name: r.Name, Role: flow.Role(r.Role), PINHash: r.PINHash, Active: r.Active, CreatedAt: r.CreatedAt}
}

// Cashiers lists all cashiers by name.
func (db *DB) Cashiers(ctx context.Context) ([]flow.Cashier, error) {
	var rows []cashierRow
	if err := db.gorm.WithContext(ctx).Order("name, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.Cashier, len(rows))
	for i, r := range rows {
		out[i] = r.cashier()
	}
	return out, nil
}

// CashierByID returns one cashier, flow.ErrNoRecord if unknown.
func (db *DB) CashierByID(ctx context.Context, id int64) (flow.Cashier, error) {
	var row cashierRow
	err := db.gorm.WithContext(ctx).Take(&row, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return flow.Cashier{}, flow.ErrNoRecord
	}
	if err != nil {
		return flow.Cashier{}, err
	}
	return row.cashier(), nil
}

// SaveCashier inserts c (ID 0, then set) or updates it. An update with an
// empty PINHash keeps the stored PIN (lists handed to screens carry none).
func (db *DB) SaveCashier(ctx context.Context, c *flow.Cashier) error {
	row := cashierRow{ID: c.ID, Name: c.Name, Role: string(c.Role), PINHash: c.PINHash, Active: c.Active, CreatedAt: c.CreatedAt.UTC()}
	if row.CreatedAt.IsZero() {
		row.CreatedAt = db.now()
	}
	if row.ID != 0 && row.PINHash == "" {
		old, err := db.CashierByID(ctx, row.ID)
		if err != nil {
			return err
		}
		row.PINHash = old.PINHash
	}
	if row.ID == 0 && row.PINHash == "" {
		return errors.New("a new cashier needs a PIN")
	}
	if err := db.gorm.WithContext(ctx).Save(&row).Error; err != nil {
		return err
	}
	c.ID = row.ID
	return nil
}
