package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

// ProductByGTIN finds an active or inactive product by any GTIN form.
func (db *DB) ProductByGTIN(ctx context.Context, gtin string) (flow.Product, error) {
	key, err := flow.GTINKey(gtin)
	if err != nil {
		return flow.Product{}, flow.ErrNoRecord
	}
	var r productRow
	err = db.gorm.WithContext(ctx).Where("gtin_key = ?", key).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return flow.Product{}, flow.ErrNoRecord
	}
	if err != nil {
		return flow.Product{}, err
	}
	return r.product(), nil
}

// SearchProducts finds active products whose GTIN starts with query (digits)
// or whose name contains it, case-insensitively.
func (db *DB) SearchProducts(ctx context.Context, query string, limit int) ([]flow.Product, error) {
	query = strings.TrimSpace(query)
	if limit <= 0 {
		limit = 20
	}
	q := db.gorm.WithContext(ctx).Where("active = ?", true).Limit(limit)
	if query != "" && strings.Trim(query, "0123456789") == "" {
		// A range instead of LIKE so both databases use the index.
		q = q.Where("gtin >= ? AND gtin < ?", query, query+"\x7f")
	} else if query != "" {
		q = q.Where("LOWER(name) LIKE ?", "%"+strings.ToLower(escapeLike(query))+"%")
	}
	var rows []productRow
	if err := q.Order("name").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.Product, len(rows))
	for i, r := range rows {
		out[i] = r.product()
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// UpsertProducts stores products (new or changed) in one transaction.
func (db *DB) UpsertProducts(ctx context.Context, ps []flow.Product) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return upsertProducts(tx, ps)
	})
}

func upsertProducts(tx *gorm.DB, ps []flow.Product) error {
	rows := make([]productRow, 0, len(ps))
	for _, p := range ps {
		key, err := flow.GTINKey(p.GTIN)
		if err != nil {
			return err
		}
		rows = append(rows, productRow{GTINKey: key, GTIN: p.GTIN, Name: p.Name, Price: int64(p.Price), VATRate: p.VATRate, Active: p.Active})
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "gtin_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"gtin", "name", "price", "vat_rate", "active"}),
	}).CreateInBatches(rows, 500).Error
}

func (r productRow) product() flow.Product {
	return flow.Product{GTIN: r.GTIN, Name: r.Name, Price: flow.Money(r.Price), VATRate: r.VATRate, Active: r.Active}
}

// ImportCatalogCSV reads a catalogue file (see flow.ParseCatalogCSV) and
// stores it in one transaction: a file with any bad line imports nothing,
// and the error lists every bad line. It returns how many products were
// imported (new or updated).
func (db *DB) ImportCatalogCSV(ctx context.Context, r io.Reader) (int, error) {
	ps, err := flow.ParseCatalogCSV(r)
	if err != nil {
		return 0, err
	}
	if err := db.UpsertProducts(ctx, ps); err != nil {
		return 0, fmt.Errorf("storing the catalogue: %w", err)
	}
	return len(ps), nil
}

// ProductCount counts the catalogue (a new till's is empty).
func (db *DB) ProductCount(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&productRow{}).Count(&n).Error
	return n, err
}
