package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"

	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

// installationRow holds the installation id: made once, at random, when
// the database is created. Every payment reference starts with it, so two
// databases (a second till, another store, a reinstall) never send Vipps
// the same reference. It is shown in the settings and on the X and Z report.
type installationRow struct {
	Slot      int    `gorm:"primaryKey;autoIncrement:false"` // always 1: one row
	ID        string `gorm:"size:12;not null"`
	CreatedAt time.Time
}

func (installationRow) TableName() string { return "installation" }

// Installation returns the database's installation id, making it on first use.
func (db *DB) Installation(ctx context.Context) (string, error) {
	g := db.gorm.WithContext(ctx)
	var rows []installationRow
	if err := g.Where("slot = 1").Limit(1).Find(&rows).Error; err != nil {
		return "", fmt.Errorf("store: reading the installation id: %w", err)
	}
	if len(rows) == 1 {
		return rows[0].ID, nil
	}
	// Two tills opening a new shared database at once: one insert wins and
	// both read the winner.
	row := installationRow{Slot: 1, ID: newInstallationID(), CreatedAt: db.now().UTC()}
	if err := g.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return "", fmt.Errorf("store: making the installation id: %w", err)
	}
	if err := g.Where("slot = 1").Limit(1).Find(&rows).Error; err != nil || len(rows) != 1 {
		return "", fmt.Errorf("store: reading the installation id: %v", err)
	}
	return rows[0].ID, nil
}

// newInstallationID is 6 random characters from flow.NewNonce's alphabet
// (lower-case letters and digits without look-alikes: 30 bits).
func newInstallationID() string { return flow.NewNonce()[:6] }

// tillRow records which process runs a till id, for the message a second
// till with the same id gets.
type tillRow struct {
	POSID     string `gorm:"column:pos_id;primaryKey;size:64"`
	Host      string `gorm:"size:255"`
	PID       int    `gorm:"column:pid"`
	StartedAt time.Time
}

func (tillRow) TableName() string { return "tills" }

// TillInUseError is returned by ClaimTill when another process runs the till id.
type TillInUseError struct {
	POSID string
	Host  string
	PID   int
	Since time.Time
}

func (e *TillInUseError) Error() string {
	if e.Host == "" {
		return fmt.Sprintf("till id %q is already in use by another till on this database", e.POSID)
	}
	return fmt.Sprintf("till id %q is already in use by the till on %s (process %d, running since %s)",
		e.POSID, e.Host, e.PID, e.Since.Local().Format("2006-01-02 15:04"))
}

// ErrTillInUse matches every *TillInUseError.
var ErrTillInUse = errors.New("till id in use")

func (e *TillInUseError) Is(target error) bool { return target == ErrTillInUse }

// tillLockClass is the first key of the PostgreSQL advisory locks by which
// tills on a shared database hold their ids ("KS"); the second is a hash of
// the database, schema and till id (advisory locks are per server).
const tillLockClass = 0x4b53

// ClaimTill makes this process the only one running till posID on the
// database. On PostgreSQL it holds a session advisory lock on a connection
// of its own for as long as the till runs: the lock ends with the process,
// however it ends, so a till restarted after a crash gets its id back at
// once, while a second till started with the same id is refused with the
// name of the first. On SQLite one process has the data directory (see the
// data-directory lock), so only the record is written. release gives the id
// back.
func (db *DB) ClaimTill(ctx context.Context, posID string) (release func(), err error) {
	host, _ := os.Hostname()
	me := tillRow{POSID: posID, Host: host, PID: os.Getpid(), StartedAt: db.now().UTC()}
	record := func() error {
		return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "pos_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"host", "pid", "started_at"})}).Create(&me).Error
	}
	if !db.postgres {
		return func() {}, record()
	}
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: a connection for the till lock: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, hashtext(current_database() || '.' || current_schema() || '.' || $2))", tillLockClass, posID).Scan(&got); err != nil {
		return nil, errors.Join(fmt.Errorf("store: taking the till lock: %w", err), conn.Close())
	}
	if !got {
		if err := conn.Close(); err != nil {
			return nil, fmt.Errorf("store: releasing the connection: %w", err)
		}
		inUse := &TillInUseError{POSID: posID}
		var rows []tillRow
		if err := db.gorm.WithContext(ctx).Where("pos_id = ?", posID).Limit(1).Find(&rows).Error; err == nil && len(rows) == 1 {
			inUse.Host, inUse.PID, inUse.Since = rows[0].Host, rows[0].PID, rows[0].StartedAt
		}
		return nil, inUse
	}
	if err := record(); err != nil {
		unlock(conn, posID)
		return nil, err
	}
	return func() { unlock(conn, posID) }, nil
}

func unlock(conn *sql.Conn, posID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, hashtext(current_database() || '.' || current_schema() || '.' || $2))", tillLockClass, posID)
	_ = conn.Close()
}

// advisoryLock waits for the PostgreSQL advisory lock named name (per
// database and schema) on a connection of its own; unlock releases it.
func (db *DB) advisoryLock(ctx context.Context, name string) (unlock func(), err error) {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, hashtext(current_database() || '.' || current_schema() || '.' || $2))", schemaLockClass, name); err != nil {
		return nil, errors.Join(err, conn.Close())
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, hashtext(current_database() || '.' || current_schema() || '.' || $2))", schemaLockClass, name)
		_ = conn.Close()
	}, nil
}

// schemaLockClass is the first key of the advisory lock around migrations ("KM").
const schemaLockClass = 0x4b4d
