package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migration is one step of the schema; steps run once, in order, each in its
// own transaction, and are recorded in schema_migrations.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

type schemaMigration struct {
	Version   int `gorm:"primaryKey;autoIncrement:false"`
	Name      string
	AppliedAt time.Time
}

// coreModels are the tables of the sale, the club and the outbox.
func coreModels() []any {
	return []any{&productRow{}, &memberRow{}, &saleRow{}, &saleLineRow{}, &paymentRow{},
		&paymentEventRow{}, &journalRow{}, &OutboxJobRow{}}
}

var migrations = []migration{
	{1, "sales, club, payments, journal and settlement outbox", func(tx *gorm.DB) error {
		return tx.AutoMigrate(coreModels()...)
	}},
	{2, "product names searchable by prefix", func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(&productRow{}); err != nil {
			return err
		}
		return tx.Exec("UPDATE products SET search = LOWER(name) WHERE search = ''").Error
	}},
	{3, "a payment remembers whom it was pushed to", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&paymentRow{})
	}},
	{4, "installation id, tills, versioned sales, payments that are not ours, renewed job keys", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&installationRow{}, &tillRow{}, &saleRow{}, &paymentRow{}, &OutboxJobRow{})
	}},
	{5, "a settlement lease names the till that holds it", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&OutboxJobRow{})
	}},
	{6, "products and sale lines carry an age limit", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&productRow{}, &saleLineRow{})
	}},
	{7, "a capture job remembers until when Vipps guarantees it", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&OutboxJobRow{})
	}},
	{8, "a sale is paid by tenders (cash, card, Vipps, vouchers); vouchers with their balance", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&tenderRow{}, &voucherRow{})
	}},
	{9, "club: member prices and article groups, discounted sale lines, club rules", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&productRow{}, &saleLineRow{}, &clubRulesRow{})
	}},
	{10, "club points: balances, points history, bonus cheques", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&memberRow{}, &saleRow{}, &saleLineRow{}, &pointsRow{}, &chequeRow{})
	}},
	{11, "what each member answered to the club's marketing consents", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&memberConsentRow{})
	}},
	{12, "club members: the consent's binding message, erased members", func(tx *gorm.DB) error {
		return tx.AutoMigrate(&memberRow{})
	}},
}

// extraModels are tables other files of this package add (the settlement
// worker's); they are auto-migrated after the numbered migrations.
var extraModels []any

// registerModels adds tables to be migrated on Open; call it from init.
func registerModels(models ...any) { extraModels = append(extraModels, models...) }

func (db *DB) migrate(ctx context.Context) error {
	if db.postgres {
		// The tills of a chain start together on one new database: one
		// migrates, the others wait for it and then find nothing to do.
		unlock, err := db.advisoryLock(ctx, "migrate")
		if err != nil {
			return fmt.Errorf("store: waiting to migrate: %w", err)
		}
		defer unlock()
	}
	g := db.gorm.WithContext(ctx)
	if err := g.AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	for _, m := range migrations {
		err := g.Transaction(func(tx *gorm.DB) error {
			var n int64
			if err := tx.Model(&schemaMigration{}).Where("version = ?", m.version).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if err := m.up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: db.now()}).Error
		})
		if err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	if len(extraModels) > 0 {
		if err := g.AutoMigrate(extraModels...); err != nil {
			return fmt.Errorf("store: migrating settlement tables: %w", err)
		}
	}
	return nil
}
