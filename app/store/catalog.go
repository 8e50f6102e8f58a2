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
	g := db.gorm.WithContext(ctx)
	var rows []productRow
	// Ranges instead of LIKE 'x%' so both databases use the indexes.
	switch lower := strings.ToLower(query); {
	case query == "":
		if err := g.Where("active = ?", true).Order("name").Limit(limit).Find(&rows).Error; err != nil {
			return nil, err
		}
	case strings.Trim(query, "0123456789") == "":
		if err := g.Where("active = ? AND gtin >= ? AND gtin < ?", true, query, query+"\x7f").Order("gtin").Limit(limit).Find(&rows).Error; err != nil {
			return nil, err
		}
	default:
		// Names starting with the text first (an index range, fast in any
		// catalogue), then names containing it (a scan: slower, and only
		// needed when the first did not fill the list).
		lower = escapeLike(lower)
		if lower == "" {
			return nil, nil
		}
		hi := prefixEnd(lower)
		if err := g.Where("active = ? AND search >= ? AND search < ? AND search LIKE ?", true, lower, hi, lower+"%").Order("search").Limit(limit).Find(&rows).Error; err != nil {
			return nil, err
		}
		if len(rows) < limit {
			var more []productRow
			if err := g.Where("active = ? AND search LIKE ? AND search NOT LIKE ?", true, "%"+lower+"%", lower+"%").
				Order("search").Limit(limit - len(rows)).Find(&more).Error; err != nil {
				return nil, err
			}
			rows = append(rows, more...)
		}
	}
	out := make([]flow.Product, len(rows))
	for i, r := range rows {
		out[i] = r.product()
	}
	return out, nil
}

// prefixEnd is the smallest string above every string starting with p:
// p with its last character incremented.
func prefixEnd(p string) string {
	r := []rune(p)
	r[len(r)-1]++
	return string(r)
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
		rows = append(rows, productRow{GTINKey: key, GTIN: p.GTIN, Name: p.Name, Search: strings.ToLower(p.Name), Price: int64(p.Price), VATRate: p.VATRate, Active: p.Active, MinAge: p.MinimumAge,
			MemberPrice: int64(p.MemberPrice), ArtGroup: p.Group})
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "gtin_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"gtin", "name", "search", "price", "vat_rate", "active", "minimum_age", "member_price", "article_group"}),
	}).CreateInBatches(rows, 500).Error
}

func (r productRow) product() flow.Product {
	return flow.Product{GTIN: r.GTIN, Name: r.Name, Price: flow.Money(r.Price), VATRate: r.VATRate, Active: r.Active, MinimumAge: r.MinAge,
		MemberPrice: flow.Money(r.MemberPrice), Group: r.ArtGroup}
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
