package flow_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/flow/flowtest"
)

const benchProducts = 1_000_000

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// gtinN is the n-th benchmark product's EAN-13.
func gtinN(n int) string {
	s := fmt.Sprintf("20%010d", n) // GS1 prefix 20–29: for use inside a store
	sum := 0
	for i, c := range s {
		d := int(c - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return s + fmt.Sprint((10-sum%10)%10)
}

// benchDB is a SQLite catalogue of a million products, built once and
// kept in the temp directory for the next run.
func benchDB(b *testing.B) string {
	benchOnce.Do(func() {
		benchPath = filepath.Join(os.TempDir(), "kasse-bench-1m-v2.db")
		if db, err := store.Open(benchPath); err == nil {
			var n int64
			db.Gorm().Table("products").Count(&n)
			db.Close()
			if n == benchProducts {
				return
			}
		}
		os.Remove(benchPath)
		db, err := store.Open(benchPath)
		if err != nil {
			benchErr = err
			return
		}
		defer db.Close()
		benchErr = db.Gorm().Transaction(func(tx *store.GormDB) error {
			const batch = 500
			for start := 0; start < benchProducts; start += batch {
				var sb strings.Builder
				args := make([]any, 0, batch*7)
				sb.WriteString("INSERT INTO products (gtin_key, gtin, name, search, price, vat_rate, active) VALUES ")
				for i := start; i < start+batch; i++ {
					if i > start {
						sb.WriteString(",")
					}
					sb.WriteString("(?,?,?,?,?,?,?)")
					g := gtinN(i)
					args = append(args, "0"+g, g, fmt.Sprintf("Vare %d", i), fmt.Sprintf("vare %d", i), 100+i%50000, []int{25, 15, 12, 0}[i%4], true)
				}
				if err := tx.Exec(sb.String(), args...).Error; err != nil {
					return err
				}
			}
			return nil
		})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// BenchmarkScanToCartUpdated measures one product scan at a till with a
// million products: the GTIN lookup, the cart change stored durably
// (SQLite, WAL, synchronous=FULL) and the new View published.
func BenchmarkScanToCartUpdated(b *testing.B) {
	db, err := store.Open(benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	till := flow.NewCheckout(flow.Options{POSID: "bench", Currency: "NOK", Store: db, Vipps: &flowtest.Vipps{},
		Clock: flowtest.NewClock(t0), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer till.Close()
	if err := till.Resume(ctx); err != nil {
		b.Fatal(err)
	}
	updated := make(chan struct{}, 1)
	cancel := till.Subscribe(func(flow.View) {
		select {
		case updated <- struct{}{}:
		default:
		}
	})
	defer cancel()
	<-updated
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%40 == 39 { // a basket of 40 scans, then the next customer
			b.StopTimer()
			till.VoidSale(ctx)
			till.NewSale(ctx)
			<-updated
			b.StartTimer()
		}
		if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: gtinN(rng.IntN(benchProducts))}); err != nil {
			b.Fatal(err)
		}
		<-updated
	}
}

// BenchmarkProductLookup measures the GTIN lookup alone among a million products.
func BenchmarkProductLookup(b *testing.B) {
	db, err := store.Open(benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		if _, err := db.ProductByGTIN(ctx, gtinN(rng.IntN(benchProducts))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchByName measures the cashier's product search among a
// million products: text the names start with (an index range), and text
// found only inside names (a scan of the catalogue).
func BenchmarkSearchByName(b *testing.B) {
	db, err := store.Open(benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for _, q := range []struct{ name, text string }{{"prefix", "Vare 1234"}, {"inside", "re 99999"}} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if ps, err := db.SearchProducts(ctx, q.text, 20); err != nil || len(ps) == 0 {
					b.Fatal(len(ps), err)
				}
			}
		})
	}
}
