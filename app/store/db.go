// Package store is kasse's persistence: GORM over SQLite (one till, the
// default, a file in the data directory) or PostgreSQL (a chain whose tills
// share one club). It implements the interfaces flow declares.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/kasse-pos/kasse/flow"
)

var _ flow.Store = (*DB)(nil)

// DB is the till's database.
type DB struct {
	gorm     *gorm.DB
	postgres bool
	// Now stamps rows; tests replace it.
	Now func() time.Time
	// LeaseHolder names the till whose settlement worker claims jobs
	// through this handle (its till id); see ReclaimLeases.
	LeaseHolder string
}

// sqlitePragmas make a crash lose nothing that was acknowledged: WAL with
// synchronous=FULL, foreign keys enforced, and a busy timeout so the UI and
// the settlement worker wait for each other instead of failing.
const sqlitePragmas = "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=5000&_synchronous=FULL&_txlock=immediate"

// Open opens (creating and migrating if needed) the database. A PostgreSQL
// DSN ("postgres://…" or "host=… dbname=…") selects PostgreSQL; anything
// else is the path of a SQLite file.
func Open(dsnOrPath string) (*DB, error) {
	var (
		dialector gorm.Dialector
		pg        = IsPostgresDSN(dsnOrPath)
	)
	if pg {
		dialector = postgres.Open(dsnOrPath)
	} else {
		if dsnOrPath == "" {
			return nil, errors.New("store: no database path")
		}
		if err := secureSQLiteFiles(dsnOrPath); err != nil {
			return nil, err
		}
		dialector = sqlite.Open(sqliteDSN(dsnOrPath))
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		Logger:                                   logger.Discard,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
		DisableForeignKeyConstraintWhenMigrating: false,
	})
	if err != nil {
		return nil, fmt.Errorf("store: opening the database: %w", err)
	}
	db := &DB{gorm: g, postgres: pg, Now: time.Now}
	if !pg {
		sqlDB, err := g.DB()
		if err != nil {
			return nil, err
		}
		// One writer at a time is what SQLite does anyway; a single
		// connection also keeps the pragmas on every statement.
		sqlDB.SetMaxOpenConns(1)
	}
	if err := db.migrate(context.Background()); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return db, nil
}

// IsPostgresDSN tells a PostgreSQL DSN from a SQLite path.
func IsPostgresDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") ||
		strings.Contains(s, "host=") || strings.Contains(s, "dbname=")
}

func sqliteDSN(path string) string {
	if strings.HasPrefix(path, "file:") {
		if strings.Contains(path, "?") {
			return path + "&" + sqlitePragmas
		}
		return path + "?" + sqlitePragmas
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + sqlitePragmas
}

// Close closes the database.
func (db *DB) Close() error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Gorm exposes the connection to the other files of this package's owners
// (the settlement queries) and to tests.
func (db *DB) Gorm() *gorm.DB { return db.gorm }

// IsPostgres reports whether the database is PostgreSQL.
func (db *DB) IsPostgres() bool { return db.postgres }

func (db *DB) now() time.Time { return db.Now().UTC() }

// GormDB is the GORM handle, named for callers that do not import GORM.
type GormDB = gorm.DB
