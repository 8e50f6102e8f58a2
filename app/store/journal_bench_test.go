package store_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/saft"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
)

func benchSale(i int) flow.SaleRecord {
	return flow.SaleRecord{SaleID: int64(i), ReceiptNumber: fmt.Sprintf("%06d", i), Currency: "NOK", Total: 4990,
		Lines:    []flow.SaleRecordLine{{GTIN: "7038010000737", Name: "Melk", Quantity: 2, UnitPrice: 2495, Total: 4990, Net: 4339, VAT: 651, VATRate: 15}},
		Payments: []flow.SaleRecordPayment{{Method: flow.PaymentVipps, Amount: 4990, Reference: fmt.Sprintf("pos1-%06d-1", i)}}}
}

// BenchmarkJournalAppendSale is the cost a paid sale adds to the till.
func BenchmarkJournalAppendSale(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			db := be.Open(b)
			j := flow.NewElectronicJournal(db, "pos1", time.UTC, nil)
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				if _, err := j.RecordSale(ctx, benchSale(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJournalVerifyAndExport: kasse journal verify and a SAF-T export
// over a year of a busy till's sales (b.N is the number of sales).
func BenchmarkJournalVerifyAndExport(b *testing.B) {
	db := storetest.OpenSQLite(b)
	fill(b, db, 20000)
	ctx := context.Background()
	b.Run("verify-20k", func(b *testing.B) {
		for range b.N {
			if n, err := flow.VerifyJournal(ctx, db); err != nil || n != 20000 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("saft-20k", func(b *testing.B) {
		opt := saft.Options{Shop: saft.Shop{OrgNumber: "999999999", Name: "Demo"}, From: time.Unix(0, 0), To: time.Now().Add(time.Hour), Location: time.UTC, Created: time.Now()}
		for range b.N {
			var buf bytes.Buffer
			if _, err := saft.Export(ctx, db, db, opt, &buf); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(buf.Len())/1e6, "MB")
		}
	})
}

func fill(b *testing.B, db *store.DB, n int) {
	b.Helper()
	j := flow.NewElectronicJournal(db, "pos1", time.UTC, nil)
	for i := range n {
		if _, err := j.RecordSale(context.Background(), benchSale(i)); err != nil {
			b.Fatal(err)
		}
	}
}
