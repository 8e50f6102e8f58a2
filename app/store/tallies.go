package store

import (
	"context"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// Queries that count and list what a till holds, for the load driver
// (kasse drive), the chaos harness and the real-window test: they read the
// books, they never change them.

// ActiveGTINs lists up to limit GTINs of the active catalogue, in the
// catalogue's own order.
func (db *DB) ActiveGTINs(ctx context.Context, limit int) ([]string, error) {
	var gtins []string
	err := db.gorm.WithContext(ctx).Model(&productRow{}).Where("active").Order("gtin_key").
		Limit(limit).Pluck("gtin", &gtins).Error
	return gtins, err
}

// SaleStages counts one till's sales by stage.
func (db *DB) SaleStages(ctx context.Context, posID string) (map[flow.Stage]int, error) {
	var rows []struct {
		Stage string
		N     int
	}
	if err := db.gorm.WithContext(ctx).Model(&saleRow{}).Select("stage, COUNT(*) AS n").
		Where("pos_id = ?", posID).Group("stage").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[flow.Stage]int, len(rows))
	for _, r := range rows {
		out[flow.Stage(r.Stage)] = r.N
	}
	return out, nil
}

// PaidSale is a paid sale of a till with its authorized payment, if any.
type PaidSale struct {
	ID         int64
	Total      int64
	Reference  string // "" when no authorized payment is recorded
	Authorized int64
	// Others is what tenders other than Vipps paid (cash, card, vouchers).
	Others int64
}

// PaidSales lists one till's paid sales, oldest first, each with its
// authorized payment (a paid sale without one is a broken book).
func (db *DB) PaidSales(ctx context.Context, posID string) ([]PaidSale, error) {
	var out []PaidSale
	err := db.gorm.WithContext(ctx).Raw(`SELECT s.id, s.total, COALESCE(p.reference, '') AS reference,
		COALESCE(p.authorized, 0) AS authorized,
		COALESCE((SELECT SUM(t.amount - t.rounding) FROM tenders t WHERE t.sale_id = s.id AND t.kind <> 'vipps'), 0) AS others FROM sales s
		LEFT JOIN payments p ON p.sale_id = s.id AND p.status = 'authorized'
		WHERE s.pos_id = ? AND s.stage = 'paid' ORDER BY s.id`, posID).Scan(&out).Error
	return out, err
}

// NewestSaleID is the id of the most recently created sale; 0 when there is none.
func (db *DB) NewestSaleID(ctx context.Context) (int64, error) {
	var id int64
	err := db.gorm.WithContext(ctx).Model(&saleRow{}).Select("COALESCE(MAX(id), 0)").Scan(&id).Error
	return id, err
}

// CutConnections ends every other client's connection to a PostgreSQL
// database (what a failover or a network cut does to the tills); on SQLite
// it does nothing. For fault injection only.
func (db *DB) CutConnections(ctx context.Context) error {
	if !db.postgres {
		return nil
	}
	return db.gorm.WithContext(ctx).Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Error
}

// JournalEvents counts one till's electronic-journal records of an event.
func (db *DB) JournalEvents(ctx context.Context, tillID string, event flow.JournalEvent) (int, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Table("ejournal").Where("till_id = ? AND event = ?", tillID, string(event)).Count(&n).Error
	return int(n), err
}

// JournalEventTimes lists when one till journaled an event, oldest first.
func (db *DB) JournalEventTimes(ctx context.Context, tillID string, event flow.JournalEvent) ([]time.Time, error) {
	var micros []int64
	if err := db.gorm.WithContext(ctx).Table("ejournal").Where("till_id = ? AND event = ?", tillID, string(event)).
		Order("at_micros").Pluck("at_micros", &micros).Error; err != nil {
		return nil, err
	}
	out := make([]time.Time, len(micros))
	for i, m := range micros {
		out[i] = time.UnixMicro(m)
	}
	return out, nil
}

// PaymentStep is one entry of a sale's state journal about its payment.
type PaymentStep struct {
	Reference string
	ToState   string
	Detail    string
	At        time.Time
}

// PaymentSteps lists, for one till's sales in order, each payment request
// and each move into paid/authorized, with how it was learnt (the detail
// says "(from webhook)", "(from hub)" or neither: by polling).
func (db *DB) PaymentSteps(ctx context.Context, posID string) ([]PaymentStep, error) {
	var out []PaymentStep
	err := db.gorm.WithContext(ctx).Raw(`SELECT j.reference, j.to_state, j.detail, j.at FROM journal j JOIN sales s ON s.id = j.sale_id
		WHERE s.pos_id = ? AND (j.detail LIKE 'payment requested%' OR (j.to_state = 'paid/authorized' AND j.from_state <> 'paid/authorized'))
		ORDER BY j.id`, posID).Scan(&out).Error
	return out, err
}
