// Package storetest opens fresh databases for tests: SQLite always, and
// PostgreSQL as well when KASSE_TEST_POSTGRES holds a DSN (as `make test`
// and CI arrange through .ci/with-postgres). Each PostgreSQL test gets its
// own schema, dropped afterwards, so tests never see each other's rows.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/kasse-pos/kasse/app/store"
)

// Backend is one database to run a test against.
type Backend struct {
	Name string // "sqlite" or "postgres"
	Open func(t testing.TB) *store.DB
}

// Backends lists the databases the suite must pass on. Under CI=true a
// missing PostgreSQL fails the test instead of quietly testing less.
func Backends(t testing.TB) []Backend {
	bs := []Backend{{Name: "sqlite", Open: OpenSQLite}}
	if dsn := os.Getenv("KASSE_TEST_POSTGRES"); dsn != "" {
		bs = append(bs, Backend{Name: "postgres", Open: func(t testing.TB) *store.DB { return OpenPostgres(t, dsn) }})
	} else if os.Getenv("CI") == "true" {
		t.Fatal("KASSE_TEST_POSTGRES is not set: run the tests under .ci/with-postgres")
	}
	return bs
}

// PostgresDSN is KASSE_TEST_POSTGRES for a test that needs PostgreSQL
// itself (a chain, the hub): it skips without one, and fails under CI=true.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("KASSE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("KASSE_TEST_POSTGRES is not set: run the tests under .ci/with-postgres")
		}
		t.Skip("needs PostgreSQL (KASSE_TEST_POSTGRES; make test runs under .ci/with-postgres)")
	}
	return dsn
}

// Each runs fn as a subtest once per backend, each with a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, b := range Backends(t) {
		t.Run(b.Name, func(t *testing.T) { fn(t, b.Open(t)) })
	}
}

// OpenSQLite opens a new SQLite database in the test's temporary directory.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "kasse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	adminOnce sync.Once
	admin     *gorm.DB
	adminErr  error
)

// OpenPostgres creates a schema of its own on the server at dsn and opens
// the store with search_path set to it.
func OpenPostgres(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(NewPostgresSchema(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewPostgresSchema creates an empty schema of its own on the server at dsn
// (dropped when the test ends) and returns the DSN that uses it.
func NewPostgresSchema(t testing.TB, dsn string) string {
	t.Helper()
	// One plain connection for creating and dropping schemas, shared by all
	// tests of the process; it must not migrate anything itself.
	adminOnce.Do(func() {
		admin, adminErr = gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	})
	if adminErr != nil {
		t.Fatalf("PostgreSQL at KASSE_TEST_POSTGRES: %v", adminErr)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	return dsn + " search_path=" + schema
}
