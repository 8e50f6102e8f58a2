package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/internal/drive"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/hardware"
	"github.com/kasse-pos/kasse/vipps/sim"
)

const benchProducts = 1_000_000

var (
	catalogueOnce sync.Once
	cataloguePath string
	catalogueErr  error
)

// benchGTIN is the n-th product of the million-product catalogue.
func benchGTIN(n int) string {
	code := fmt.Sprintf("20%010d", n) // GS1 20–29: numbers for use inside a store
	return code + fmt.Sprint(hardware.CheckDigit(code))
}

// millionProducts is a SQLite catalogue of a million products, generated
// once and kept in the cache directory ($KASSE_BENCH_CACHE, else the
// user cache dir) for later runs; each benchmark works on a copy.
func millionProducts(b *testing.B) string {
	catalogueOnce.Do(func() {
		dir := os.Getenv("KASSE_BENCH_CACHE")
		if dir == "" {
			d, err := os.UserCacheDir()
			if err != nil {
				d = os.TempDir()
			}
			dir = filepath.Join(d, "kasse-bench")
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			catalogueErr = err
			return
		}
		cataloguePath = filepath.Join(dir, "catalogue-1m-v1.db")
		if db, err := store.Open(cataloguePath); err == nil {
			var n int64
			db.Gorm().Table("products").Count(&n)
			db.Close()
			if n == benchProducts {
				return
			}
		}
		os.Remove(cataloguePath)
		db, err := store.Open(cataloguePath)
		if err != nil {
			catalogueErr = err
			return
		}
		defer db.Close()
		catalogueErr = db.Gorm().Transaction(func(tx *store.GormDB) error {
			const batch = 500
			for start := 0; start < benchProducts; start += batch {
				var sb strings.Builder
				args := make([]any, 0, batch*6)
				sb.WriteString("INSERT INTO products (gtin_key, gtin, name, price, vat_rate, active) VALUES ")
				for i := start; i < start+batch; i++ {
					if i > start {
						sb.WriteString(",")
					}
					sb.WriteString("(?,?,?,?,?,?)")
					g := benchGTIN(i)
					args = append(args, "0"+g, g, fmt.Sprintf("Vare %d", i), 100+i%50000, []int{25, 15, 12, 0}[i%4], true)
				}
				if err := tx.Exec(sb.String(), args...).Error; err != nil {
					return err
				}
			}
			return nil
		})
	})
	if catalogueErr != nil {
		b.Fatal(catalogueErr)
	}
	dst := filepath.Join(b.TempDir(), "kasse.db")
	if err := copyFile(cataloguePath, dst); err != nil {
		b.Fatal(err)
	}
	return dst
}

// benchTill starts a till as `kasse` does (app.Start), against sim over
// base (or the built-in simulator when base is "").
func benchTill(b *testing.B, dsn, base, listen string) *Till {
	b.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = b.TempDir()
	cfg.Database = dsn
	cfg.Webhook.Listen = listen
	if listen == WebhookViaHub {
		cfg.Webhook.Listen, cfg.Webhook.Via = "", WebhookViaHub
	}
	if base != "" {
		d := sim.DefaultConfig()
		cfg.Vipps.BaseURL, cfg.Vipps.ClientSecret, cfg.Vipps.SubscriptionKey = base, d.ClientSecret, d.SubscriptionKey
	}
	t, err := Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(t.Close)
	return t
}

// percentiles reports p50 and p99 of ds in milliseconds.
func percentiles(b *testing.B, ds []time.Duration, prefix string) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		return float64(ds[min(len(ds)-1, int(p*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), prefix+"p50-ms")
	b.ReportMetric(at(0.99), prefix+"p99-ms")
}

// BenchmarkScanToDisplays: a barcode scan at a till with a million
// products, from the scanner's event to the new View reaching both the
// cashier window's and the customer display's subscription (what they
// render; drawing itself is Fyne's). The scan goes the scanner's way
// (Till.Scan), the cart change is stored durably before it is shown.
func BenchmarkScanToDisplays(b *testing.B) {
	t := benchTill(b, millionProducts(b), "", "")
	ctx := context.Background()
	var cashier, customer atomic.Int64 // lines seen by each window
	seen := make(chan struct{}, 2)
	for _, n := range []*atomic.Int64{&cashier, &customer} {
		cancel := t.checkout.Subscribe(func(v flow.View) {
			q := 0
			for _, l := range v.Lines {
				q += l.Quantity
			}
			n.Store(int64(q))
			select {
			case seen <- struct{}{}:
			default:
			}
		})
		b.Cleanup(cancel)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, 4096)
	items := int64(0)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%40 == 39 { // a basket of 40, then the next customer
			b.StopTimer()
			if err := t.checkout.VoidSale(ctx); err != nil {
				b.Fatal(err)
			}
			_ = t.checkout.NewSale(ctx)
			items = 0
			for cashier.Load() != 0 || customer.Load() != 0 {
				<-seen
			}
			b.StartTimer()
		}
		items++
		start := time.Now()
		t.Scan(ctx, hardware.Scan{Kind: hardware.ScanProduct, Code: benchGTIN(rng.IntN(benchProducts)), Source: "cashier"})
		for cashier.Load() != items || customer.Load() != items {
			<-seen
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	percentiles(b, lat, "")
}

// countingSim is the simulator behind a handler that counts API calls
// (not the simulator's own /sim/ pages).
type countingSim struct {
	*sim.Sim
	url   string
	calls atomic.Int64
}

func newCountingSim(b *testing.B, cfg sim.Config) *countingSim {
	s, err := sim.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	cs := &countingSim{Sim: s}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/sim/") {
			cs.calls.Add(1)
		}
		s.ServeHTTP(w, r)
	}))
	b.Cleanup(func() { srv.Close(); s.Close() })
	cs.url = srv.URL
	return cs
}

// waitStage waits until the checkout shows stage.
func waitStage(b *testing.B, c *flow.Checkout, ok func(flow.View) bool) flow.View {
	v, done := drive.WaitView(context.Background(), c, 30*time.Second, ok)
	if !done {
		b.Fatalf("checkout stuck at %s (payment %+v, notice %+v)", v.Stage, v.Payment, v.Notice)
	}
	return v
}

// BenchmarkApproveToPaid: the customer taps approve; how long until the
// till shows PAID — told by the webhook, and by polling alone — with a
// round-trip time injected on every Vipps call.
func BenchmarkApproveToPaid(b *testing.B) {
	for _, rtt := range []time.Duration{0, 50 * time.Millisecond} {
		for _, how := range []string{"webhook", "polling", "hub"} {
			b.Run(fmt.Sprintf("%s/rtt=%s", how, rtt), func(b *testing.B) {
				pg := os.Getenv("KASSE_TEST_POSTGRES")
				if how == "hub" && pg == "" {
					b.Skip("the hub needs PostgreSQL (KASSE_TEST_POSTGRES; make bench runs under .ci/with-postgres)")
				}
				cfg := sim.DefaultConfig()
				cfg.AuthorizingWindow = 0
				cfg.HTTPWebhooks = true
				cfg.MutatingPerMinute, cfg.ReadsPerMinute = -1, -1
				if rtt > 0 {
					cfg.Faults.Endpoints = map[string]sim.EndpointFaults{"*": {Latency: sim.Duration(rtt)}}
				}
				s := newCountingSim(b, cfg)
				listen, dsn := "", ""
				switch how {
				case "webhook":
					listen = "127.0.0.1:0"
				case "hub":
					// The chain's hub in front: webhook → hub → PostgreSQL
					// (stored, NOTIFY) → the till's LISTEN → PAID.
					dsn, listen = storetest.NewPostgresSchema(b, pg), WebhookViaHub
					startBenchHub(b, s.url, dsn)
				}
				t := benchTill(b, dsn, s.url, listen)
				ctx := context.Background()
				msisdn := "4791234567"
				var lat []time.Duration
				for b.Loop() {
					b.StopTimer()
					_ = t.checkout.NewSale(ctx)
					t.checkout.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/" + msisdn + "?v=1", Source: "customer"})
					if err := t.checkout.AddProduct(ctx, "7038010009457", 1); err != nil {
						if err := t.db.UpsertProducts(ctx, []flow.Product{{GTIN: "7038010009457", Name: "Jakke", Price: 49900, VATRate: 25, Active: true}}); err != nil {
							b.Fatal(err)
						}
						if err := t.checkout.AddProduct(ctx, "7038010009457", 1); err != nil {
							b.Fatal(err)
						}
					}
					if err := t.checkout.RequestPayment(ctx); err != nil {
						b.Fatal(err)
					}
					v := waitStage(b, t.checkout, func(v flow.View) bool {
						return v.Payment != nil && v.Payment.Status == flow.PaymentWaiting
					})
					push := waitPush(b, s.Sim, v.Payment.Reference)
					b.StartTimer()
					start := time.Now()
					if err := s.Answer(push, true); err != nil {
						b.Fatal(err)
					}
					waitStage(b, t.checkout, func(v flow.View) bool { return v.Stage == flow.StagePaid })
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				percentiles(b, lat, "")
			})
		}
	}
}

func waitPush(b *testing.B, s *sim.Sim, reference string) string {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, p := range s.Pushes("") {
			if p.Reference == reference && p.State == sim.PushPending {
				return p.ID
			}
		}
	}
	b.Fatalf("no push for %s reached the phone", reference)
	return ""
}

// BenchmarkVippsCallsPerMemberSale counts the HTTP calls a member's sale
// makes to Vipps: at the till (QR exchange, check-in, payment, status)
// and in settlement (receipt, capture, confirmation), webhooks on.
func BenchmarkVippsCallsPerMemberSale(b *testing.B) {
	cfg := sim.DefaultConfig()
	cfg.AuthorizingWindow = 0
	cfg.HTTPWebhooks = true
	cfg.Auto, cfg.AutoDelay = "approve", 20*time.Millisecond
	cfg.MutatingPerMinute, cfg.ReadsPerMinute = -1, -1
	s := newCountingSim(b, cfg)
	t := benchTill(b, "", s.url, "127.0.0.1:0")
	ctx := context.Background()
	msisdn := "4798765432"
	if err := t.db.AddMember(ctx, &flow.Member{MSISDN: msisdn, GivenName: "Ola", Name: "Ola Nordmann"}); err != nil {
		b.Fatal(err)
	}
	if err := t.db.UpsertProducts(ctx, drive.Catalogue(3)); err != nil {
		b.Fatal(err)
	}
	var atTill, inSettlement int64
	sales := 0
	for b.Loop() {
		before := s.calls.Load()
		_ = t.checkout.NewSale(ctx)
		t.checkout.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/" + msisdn + "?v=1", Source: "customer"})
		for _, p := range drive.Catalogue(3) {
			if err := t.checkout.AddProduct(ctx, p.GTIN, 1); err != nil {
				b.Fatal(err)
			}
		}
		waitStage(b, t.checkout, func(v flow.View) bool { return v.Customer != nil && v.Customer.Member && v.Customer.CheckedIn })
		if err := t.checkout.RequestPayment(ctx); err != nil {
			b.Fatal(err)
		}
		waitStage(b, t.checkout, func(v flow.View) bool { return v.Stage == flow.StagePaid })
		paid := s.calls.Load()
		t.settler.Kick()
		waitStage(b, t.checkout, func(v flow.View) bool { return v.Settlement == flow.SettlementDone })
		atTill += paid - before
		inSettlement += s.calls.Load() - paid
		sales++
	}
	b.ReportMetric(float64(atTill)/float64(sales), "calls-at-till/sale")
	b.ReportMetric(float64(inSettlement)/float64(sales), "calls-settling/sale")
	b.ReportMetric(float64(atTill+inSettlement)/float64(sales), "vipps-calls/sale")
}

// startBenchHub runs a kasse hub for the simulator at base on dsn.
func startBenchHub(b *testing.B, base, dsn string) {
	b.Helper()
	d := sim.DefaultConfig()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	h, err := StartHub(ctx, HubConfig{Listen: addr, PublicURL: "http://" + addr + "/vipps", Database: dsn, MSNs: []string{d.MSN},
		BaseURL: base, ClientID: d.ClientID, ClientSecret: d.ClientSecret, SubscriptionKey: d.SubscriptionKey}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !h.Health(ctx).OK; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the hub did not register its webhook")
		}
	}
}
