package store_test

import (
	"testing"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
)

// The crash-safety of the till rests on these settings; a typo in the DSN
// would silently fall back to SQLite's defaults.
func TestSQLitePragmasTakeEffect(t *testing.T) {
	db := storetest.OpenSQLite(t)
	want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "5000", "synchronous": "2"}
	for pragma, v := range want {
		var got string
		if err := db.Gorm().Raw("PRAGMA " + pragma).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got != v {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, v)
		}
	}
}

func TestOpenIsIdempotent(t *testing.T) {
	dir := t.TempDir() + "/k.db"
	var first int64
	for i := 0; i < 2; i++ {
		db, err := store.Open(dir)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		var n int64
		db.Gorm().Table("schema_migrations").Count(&n)
		if i == 0 {
			first = n
		}
		if n == 0 || n != first {
			t.Errorf("open %d: %d migrations recorded (first open: %d)", i+1, n, first)
		}
		db.Close()
	}
}

func TestPostgresDSNDetection(t *testing.T) {
	for in, want := range map[string]bool{
		"/home/kari/.local/share/kasse/kasse.db":          false,
		"C:\\Users\\kari\\kasse.db":                       false,
		"postgres://till@db.example.no/kasse":             true,
		"host=127.0.0.1 port=5432 user=kasse dbname=club": true,
	} {
		if got := store.IsPostgresDSN(in); got != want {
			t.Errorf("IsPostgresDSN(%q) = %v", in, got)
		}
	}
}

func TestBothBackendsMigrate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, table := range []string{"products", "members", "sales", "sale_lines", "payments", "payment_events", "journal", "settlement_jobs"} {
			if !db.Gorm().Migrator().HasTable(table) {
				t.Errorf("table %s missing", table)
			}
		}
	})
}
