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

var _ flow.JournalStore = (*DB)(nil)

func init() { registerModels(&ejournalRow{}, &ejournalHeadRow{}, &cashierRow{}) }

// ejournalRow is one record of the electronic journal (kassasystemforskriften),
// chained per till. The sale audit trail is the separate "journal" table.
// Time is kept in microseconds since the epoch: exact on both databases, so
// the hash computed on append is the hash recomputed on verify.
type ejournalRow struct {
	ID          int64  `gorm:"primaryKey"`
	TillID      string `gorm:"size:64;not null;uniqueIndex:ejournal_till_seq,priority:1;uniqueIndex:ejournal_one_z_a_day,priority:1,where:event = 'z-report'"`
	Seq         int64  `gorm:"not null;uniqueIndex:ejournal_till_seq,priority:2"`
	AtMicros    int64  `gorm:"not null;index"`
	Day         string `gorm:"size:10;not null;uniqueIndex:ejournal_one_z_a_day,priority:2"`
	Event       string `gorm:"size:32;not null;index"`
	CashierID   int64  `gorm:"not null"`
	CashierName string `gorm:"size:100;not null"`
	SaleID      int64  `gorm:"not null;index"`
	Receipt     string `gorm:"size:32;not null"`
	Amount      int64  `gorm:"not null"`
	Text        string `gorm:"not null"`
	Data        string `gorm:"type:text;not null"`
	Signature   string `gorm:"size:400;not null;default:''"`
	KeyVersion  string `gorm:"size:50;not null;default:''"`
	PrevHash    string `gorm:"size:64;not null"`
	Hash        string `gorm:"size:64;not null"`
}

func (ejournalRow) TableName() string { return "ejournal" }

// ejournalHeadRow is each till's last record. Appends lock it, so a till's
// records get consecutive numbers even when several processes write; and
// verification compares it with the last record, so deleting records from
// the end of the chain is noticed too.
type ejournalHeadRow struct {
	TillID string `gorm:"primaryKey;size:64"`
	Seq    int64  `gorm:"not null"`
	Hash   string `gorm:"size:64;not null"`
}

func (ejournalHeadRow) TableName() string { return "ejournal_heads" }

func (r ejournalRow) record() flow.JournalRecord {
	return flow.JournalRecord{
		TillID: r.TillID, Seq: r.Seq, At: time.UnixMicro(r.AtMicros).UTC(), Day: r.Day, Event: flow.JournalEvent(r.Event),
		CashierID: r.CashierID, CashierName: r.CashierName, SaleID: r.SaleID, Receipt: r.Receipt,
		Amount: flow.Money(r.Amount), Text: r.Text, Data: r.Data, Signature: r.Signature, KeyVersion: r.KeyVersion,
		PrevHash: r.PrevHash, Hash: r.Hash,
	}
}

func ejournalRowOf(r flow.JournalRecord) ejournalRow {
	return ejournalRow{
		TillID: r.TillID, Seq: r.Seq, AtMicros: r.At.UnixMicro(), Day: r.Day, Event: string(r.Event),
		CashierID: r.CashierID, CashierName: r.CashierName, SaleID: r.SaleID, Receipt: r.Receipt,
		Amount: int64(r.Amount), Text: r.Text, Data: r.Data, Signature: r.Signature, KeyVersion: r.KeyVersion,
		PrevHash: r.PrevHash, Hash: r.Hash,
	}
}

// AppendJournal chains r after its till's head in one transaction: lock the
// head row (FOR UPDATE on PostgreSQL; SQLite transactions here take the
// write lock when they begin), insert the record, move the head.
func (db *DB) AppendJournal(ctx context.Context, r flow.JournalRecord) (flow.JournalRecord, error) {
	if r.TillID == "" {
		return r, errors.New("journal record without a till")
	}
	var out flow.JournalRecord
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ejournalHeadRow{TillID: r.TillID}).Error; err != nil {
			return err
		}
		var head ejournalHeadRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("till_id = ?", r.TillID).Take(&head).Error; err != nil {
			return err
		}
		if r.Event == flow.JournalZReport {
			var n int64
			if err := tx.Model(&ejournalRow{}).Where("till_id = ? AND event = ? AND day = ?", r.TillID, string(flow.JournalZReport), r.Day).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return flow.ErrZReportTaken
			}
		}
		out = flow.ChainNext(flow.JournalHead{TillID: head.TillID, Seq: head.Seq, Hash: head.Hash}, r)
		row := ejournalRowOf(out)
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		res := tx.Model(&ejournalHeadRow{}).Where("till_id = ? AND seq = ?", head.TillID, head.Seq).
			Updates(map[string]any{"seq": out.Seq, "hash": out.Hash})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("journal head of till %s moved during the append", head.TillID)
		}
		return nil
	})
	if err != nil {
		return flow.JournalRecord{}, err
	}
	return out, nil
}

// JournalRecords returns the selected records ordered by till, then Seq.
func (db *DB) JournalRecords(ctx context.Context, q flow.JournalQuery) ([]flow.JournalRecord, error) {
	g := db.gorm.WithContext(ctx).Model(&ejournalRow{})
	if q.TillID != "" {
		g = g.Where("till_id = ?", q.TillID)
	}
	if q.AfterSeq > 0 {
		g = g.Where("seq > ?", q.AfterSeq)
	}
	if !q.From.IsZero() {
		g = g.Where("at_micros >= ?", q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		g = g.Where("at_micros < ?", q.To.UnixMicro())
	}
	if len(q.Events) > 0 {
		ev := make([]string, len(q.Events))
		for i, e := range q.Events {
			ev[i] = string(e)
		}
		g = g.Where("event IN ?", ev)
	}
	if q.Limit > 0 {
		g = g.Limit(q.Limit)
	}
	var rows []ejournalRow
	if err := g.Order("till_id, seq").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.JournalRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, nil
}

// LastJournalRecord returns the till's newest record of one of events.
func (db *DB) LastJournalRecord(ctx context.Context, tillID string, events ...flow.JournalEvent) (flow.JournalRecord, error) {
	g := db.gorm.WithContext(ctx).Where("till_id = ?", tillID)
	if len(events) > 0 {
		ev := make([]string, len(events))
		for i, e := range events {
			ev[i] = string(e)
		}
		g = g.Where("event IN ?", ev)
	}
	var row ejournalRow
	err := g.Order("seq DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return flow.JournalRecord{}, flow.ErrNoRecord
	}
	if err != nil {
		return flow.JournalRecord{}, err
	}
	return row.record(), nil
}

// JournalHeads returns every till's head, ordered by till.
func (db *DB) JournalHeads(ctx context.Context) ([]flow.JournalHead, error) {
	var rows []ejournalHeadRow
	if err := db.gorm.WithContext(ctx).Order("till_id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.JournalHead, 0, len(rows))
	for _, r := range rows {
		if r.Seq > 0 {
			out = append(out, flow.JournalHead{TillID: r.TillID, Seq: r.Seq, Hash: r.Hash})
		}
	}
	return out, nil
}
