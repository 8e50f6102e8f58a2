package store_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
)

const zSales = 1_000_000

var (
	zOnce sync.Once
	zPath string
	zErr  error
	// zStart is the first business day of the generated year of sales.
	zStart = time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
)

func zSale(i int) flow.SaleRecord {
	return flow.SaleRecord{SaleID: int64(i), ReceiptNumber: fmt.Sprintf("%06d", i), Currency: "NOK", Total: 17480,
		Lines: []flow.SaleRecordLine{
			{GTIN: "7038010000737", Name: "Melk", Quantity: 2, UnitPrice: 2495, Total: 4990, Net: 4339, VAT: 651, VATRate: 15},
			{GTIN: "7038010009457", Name: "Jakke", Quantity: 1, UnitPrice: 12490, Total: 12490, Net: 9992, VAT: 2498, VATRate: 25},
		},
		Payments: []flow.SaleRecordPayment{{Method: flow.PaymentVipps, Amount: 17480, Reference: fmt.Sprintf("pos1-%06d-1", i)}}}
}

// millionSales is a journal holding a year of a million sales of till
// pos1, never closed by a Z report. It is built once (real records for the
// first sale, copied in SQL for the rest, so the hash chain of the copies
// is not valid — reports do not verify it) and cached across runs.
func millionSales(b *testing.B) string {
	zOnce.Do(func() {
		dir := os.Getenv("KASSE_BENCH_CACHE")
		if dir == "" {
			d, err := os.UserCacheDir()
			if err != nil {
				d = os.TempDir()
			}
			dir = filepath.Join(d, "kasse-bench")
		}
		if zErr = os.MkdirAll(dir, 0o700); zErr != nil {
			return
		}
		zPath = filepath.Join(dir, "journal-1m-sales-v1.db")
		if db, err := store.Open(zPath); err == nil {
			var n int64
			db.Gorm().Table("ejournal").Where("event = ?", string(flow.JournalSale)).Count(&n)
			db.Close()
			if n == zSales {
				return
			}
		}
		os.Remove(zPath)
		db, err := store.Open(zPath)
		if err != nil {
			zErr = err
			return
		}
		defer db.Close()
		j := flow.NewElectronicJournal(db, "pos1", time.UTC, func() time.Time { return zStart })
		first, err := j.RecordSale(context.Background(), zSale(1))
		if err != nil {
			zErr = err
			return
		}
		step := int64(365*24*time.Hour/time.Microsecond) / zSales
		zErr = db.Gorm().Exec(`INSERT INTO ejournal (till_id, seq, at_micros, day, event, cashier_id, cashier_name, sale_id, receipt, amount, text, data, prev_hash, hash)
			WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			SELECT till_id, i, at_micros + (i - 1) * ?, strftime('%Y-%m-%d', (at_micros + (i - 1) * ?) / 1000000, 'unixepoch'),
				event, cashier_id, cashier_name, i, printf('%06d', i), amount, text, data, hash, hash
			FROM n, ejournal WHERE ejournal.seq = ?`, zSales, step, step, first.Seq).Error
		if zErr == nil {
			zErr = db.Gorm().Exec(`UPDATE ejournal_heads SET seq = (SELECT MAX(seq) FROM ejournal WHERE till_id = 'pos1'),
				hash = (SELECT hash FROM ejournal WHERE till_id = 'pos1' ORDER BY seq DESC LIMIT 1) WHERE till_id = 'pos1'`).Error
		}
	})
	if zErr != nil {
		b.Fatal(zErr)
	}
	dst := filepath.Join(b.TempDir(), "kasse.db")
	in, err := os.Open(zPath)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	out.Close()
	return dst
}

// BenchmarkZReport is what closing the day costs at a till whose journal
// holds a million sales: once for a period that never was closed (all
// million sales summed), and for an ordinary day of 500 sales after a Z
// report closed the million.
func BenchmarkZReport(b *testing.B) {
	db, err := store.Open(millionSales(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := zStart.AddDate(1, 0, 0)
	j := flow.NewElectronicJournal(db, "pos1", time.UTC, func() time.Time { return now })

	b.Run("period=1M-sales", func(b *testing.B) {
		for b.Loop() {
			r, err := j.PeekReport(ctx, flow.ReportZ)
			if err != nil {
				b.Fatal(err)
			}
			if r.Sales.Count != zSales {
				b.Fatalf("report counts %d sales, want %d", r.Sales.Count, zSales)
			}
		}
	})

	if _, err := j.ZReport(ctx); err != nil {
		b.Fatal(err)
	}
	now = now.AddDate(0, 0, 1)
	for i := range 500 {
		if _, err := j.RecordSale(ctx, zSale(zSales+1+i)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("day=500-sales/history=1M", func(b *testing.B) {
		for b.Loop() {
			r, err := j.PeekReport(ctx, flow.ReportZ)
			if err != nil {
				b.Fatal(err)
			}
			if r.Sales.Count != 500 {
				b.Fatalf("report counts %d sales, want 500", r.Sales.Count)
			}
		}
	})
}
