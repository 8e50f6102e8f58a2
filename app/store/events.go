package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

// VippsEventsChannel is the PostgreSQL NOTIFY channel on which the hub
// announces a stored Vipps event (the payload is the event's id).
const VippsEventsChannel = "kasse_vipps_events"

// vippsEventRow is one Vipps event as the chain's webhook hub received it:
// stored once (the unique index makes a redelivery, or the same event
// through a second hub, a no-op) and delivered to the till whose reference
// it is. AppliedAt is set by that till once it has taken the event in.
type vippsEventRow struct {
	ID             int64  `gorm:"primaryKey"`
	MSN            string `gorm:"size:7;not null;uniqueIndex:vipps_events_once,priority:1"`
	Reference      string `gorm:"size:64;not null;uniqueIndex:vipps_events_once,priority:2;index"`
	Name           string `gorm:"size:16;not null;uniqueIndex:vipps_events_once,priority:3"`
	PSPReference   string `gorm:"size:100;not null;uniqueIndex:vipps_events_once,priority:4"`
	Success        bool   `gorm:"not null;uniqueIndex:vipps_events_once,priority:5"`
	Amount         int64  `gorm:"not null"`
	IdempotencyKey string `gorm:"size:50"`
	At             time.Time
	ReceivedAt     time.Time  `gorm:"not null"`
	AppliedBy      string     `gorm:"size:64;not null;default:''"`
	AppliedAt      *time.Time `gorm:"index"`
}

func (vippsEventRow) TableName() string { return "vipps_events" }

func init() { registerModels(&vippsEventRow{}) }

// HubEvent is a stored Vipps event with its id in the events table.
type HubEvent struct {
	ID  int64
	MSN string
	flow.PaymentEvent
	ReceivedAt time.Time
}

// RecordVippsEvent stores an event the hub verified and, on PostgreSQL,
// announces it on VippsEventsChannel in the same transaction (PostgreSQL
// sends the notification at commit). It reports whether the event was new.
func (db *DB) RecordVippsEvent(ctx context.Context, msn string, ev flow.PaymentEvent) (bool, error) {
	row := vippsEventRow{MSN: msn, Reference: ev.Reference, Name: ev.Name, PSPReference: ev.PSPReference, Success: ev.Success,
		Amount: int64(ev.Amount), IdempotencyKey: ev.IdempotencyKey, At: ev.At.UTC(), ReceivedAt: db.now().UTC()}
	inserted := false
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		inserted = res.RowsAffected == 1
		if inserted && db.postgres {
			return tx.Exec("SELECT pg_notify(?, ?)", VippsEventsChannel, strconv.FormatInt(row.ID, 10)).Error
		}
		return nil
	})
	return inserted, err
}

// UndeliveredEvents returns the events for references starting with prefix
// that no till has taken in yet, oldest first.
func (db *DB) UndeliveredEvents(ctx context.Context, prefix string, limit int) ([]HubEvent, error) {
	var rows []vippsEventRow
	err := db.gorm.WithContext(ctx).Where("applied_at IS NULL AND reference >= ? AND reference < ?", prefix, prefixEnd(prefix)).
		Order("id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]HubEvent, len(rows))
	for i, r := range rows {
		out[i] = HubEvent{ID: r.ID, MSN: r.MSN, ReceivedAt: r.ReceivedAt, PaymentEvent: flow.PaymentEvent{
			Reference: r.Reference, Name: r.Name, Amount: flow.Money(r.Amount), PSPReference: r.PSPReference,
			IdempotencyKey: r.IdempotencyKey, Success: r.Success, At: r.At}}
	}
	return out, nil
}

// MarkEventApplied records that till took the event in.
func (db *DB) MarkEventApplied(ctx context.Context, id int64, till string) error {
	now := db.now().UTC()
	return db.gorm.WithContext(ctx).Model(&vippsEventRow{}).Where("id = ? AND applied_at IS NULL", id).
		Updates(map[string]any{"applied_by": till, "applied_at": now}).Error
}

// HubStats sums up the events table for the hub's health endpoint.
type HubStats struct {
	Stored      int64         `json:"stored"`
	Delivered   int64         `json:"delivered"`
	Undelivered int64         `json:"undelivered"`
	OldestAge   time.Duration `json:"-"`
	OldestSecs  float64       `json:"oldestUndeliveredSeconds"`
}

// EventStats counts stored, delivered and undelivered events and the age
// of the oldest undelivered one. Events of references no till of the
// database owns (another chain's tills on the same sales unit) stay
// undelivered; prune them with PruneEvents.
func (db *DB) EventStats(ctx context.Context) (HubStats, error) {
	var st HubStats
	g := db.gorm.WithContext(ctx).Model(&vippsEventRow{})
	if err := g.Count(&st.Stored).Error; err != nil {
		return st, err
	}
	if err := db.gorm.WithContext(ctx).Model(&vippsEventRow{}).Where("applied_at IS NOT NULL").Count(&st.Delivered).Error; err != nil {
		return st, err
	}
	st.Undelivered = st.Stored - st.Delivered
	var oldest []time.Time
	if err := db.gorm.WithContext(ctx).Model(&vippsEventRow{}).Where("applied_at IS NULL").Order("id").Limit(1).Pluck("received_at", &oldest).Error; err != nil {
		return st, err
	}
	if len(oldest) == 1 {
		st.OldestAge = db.now().Sub(oldest[0])
		st.OldestSecs = st.OldestAge.Seconds()
	}
	return st, nil
}

// ListenEvents waits on VippsEventsChannel on a connection of its own and
// calls fn with each announced event id until ctx ends or the connection
// fails (the caller reconnects and catches up from the table).
func (db *DB) ListenEvents(ctx context.Context, ready func(), fn func(id int64)) error {
	if !db.postgres {
		return errors.New("store: events are announced on PostgreSQL only")
	}
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }() // back to the pool; a broken one is dropped by it
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: not a pgx connection (%T)", dc)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+VippsEventsChannel); err != nil {
			return err
		}
		if ready != nil {
			ready()
		}
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				// The connection may be mid-wait: never give it back to the pool.
				_ = pc.Close(context.Background())
				return errors.Join(err, driverBad)
			}
			if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
				fn(id)
			}
		}
	})
}

// driverBad marks the LISTEN connection as unusable so database/sql drops it.
var driverBad = driver.ErrBadConn
