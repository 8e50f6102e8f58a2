package flow_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/flow/flowtest"
)

// The customers of the tests and their personal QR codes.
const (
	qrKari   = "https://qr.vipps.no/p/kari"  // member
	qrOla    = "https://qr.vipps.no/p/ola"   // not a member
	qrMette  = "https://qr.vipps.no/p/mette" // Danish, not a member
	kari     = "4791234567"
	ola      = "4798765432"
	mette    = "4512345678"
	melk     = "7038010000737" // 25.90, 15 %
	brod     = "7040913336684" // 39.90, 15 %
	batteri  = "7310150010013" // 89.00, 25 %
	avis     = "7090001230011" // 45.00, 0 %
	inactive = "7022222222223"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type rig struct {
	// onParked, when set before start, sees every sale parked or resumed.
	onParked func(ctx context.Context, s *flow.Sale, resumed bool)
	// onClosed, when set before start, sees every sale paid or voided.
	onClosed func(ctx context.Context, s *flow.Sale)
	// options, when set before start, changes the till's options.
	options func(o *flow.Options)

	t     *testing.T
	ctx   context.Context
	db    *store.DB
	clock *flowtest.Clock
	vipps *flowtest.Vipps
	till  *flow.Checkout
}

func catalogue() []flow.Product {
	return []flow.Product{
		{GTIN: melk, Name: "Lettmelk 1 l", Price: 2590, VATRate: 15, Active: true},
		{GTIN: brod, Name: "Grovbrød", Price: 3990, VATRate: 15, Active: true},
		{GTIN: batteri, Name: "Batteri AA 4-pk", Price: 8900, VATRate: 25, Active: true},
		{GTIN: avis, Name: "Avis", Price: 4500, VATRate: 0, Active: true},
		{GTIN: inactive, Name: "Julebrus 2025", Price: 2990, VATRate: 15, Active: false},
	}
}

// newRig opens a till on db with a fake clock and a fake Vipps that knows
// three customers, Kari being a club member.
func newRig(t *testing.T, db *store.DB) *rig {
	t.Helper()
	ctx := context.Background()
	if err := db.UpsertProducts(ctx, catalogue()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MemberByMSISDN(ctx, kari); err != nil {
		if err := db.AddMember(ctx, &flow.Member{MSISDN: kari, Sub: "sub-kari", Name: "Kari Nordmann", GivenName: "Kari", ConsentAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{t: t, ctx: ctx, db: db, clock: flowtest.NewClock(t0),
		vipps: &flowtest.Vipps{QR: map[string]string{qrKari: kari, qrOla: ola, qrMette: mette}, LoginExpiry: t0.Add(10 * time.Minute)}}
	r.start()
	return r
}

// start opens a (new) Checkout on the rig's database, as a till does at boot.
func (r *rig) start() { r.startAs("pos1") }

func (r *rig) startAs(posID string) {
	opt := flow.Options{POSID: posID, Currency: "NOK", StoreName: "Testbutikken", Store: r.db,
		Vipps: r.vipps, Clock: r.clock, BindingMessage: func() string { return "AB12-CD3" }, Parking: r.db, OnSaleParked: r.onParked, OnSaleClosed: r.onClosed,
		Vouchers: r.db, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if r.options != nil {
		r.options(&opt)
	}
	r.till = flow.NewCheckout(opt)
	if err := r.till.Resume(r.ctx); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(r.till.Close)
}

// restart is a crash and a new start: background work is abandoned.
func (r *rig) restart() {
	r.till.Close()
	r.start()
}

// each runs a rig test on every database backend, in parallel: every rig
// has its own database, clock and Vipps.
func each(t *testing.T, fn func(t *testing.T, r *rig)) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newRig(t, b.Open(t)))
		})
	}
}

// waitFor waits until the till publishes a View satisfying ok. Background
// calls to the fake Vipps finish in microseconds; the deadline only stops
// a broken test from hanging.
func (r *rig) waitFor(what string, ok func(v flow.View) bool) flow.View {
	r.t.Helper()
	ch := make(chan flow.View, 64)
	cancel := r.till.Subscribe(func(v flow.View) {
		select {
		case ch <- v:
		default:
		}
	})
	defer cancel()
	deadline := time.After(5 * time.Second)
	// Some conditions are about the fake Vipps rather than the View; the
	// ticker re-checks them without the test sleeping for a result.
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if v := r.till.View(); ok(v) {
				return v
			}
		case v := <-ch:
			if ok(v) {
				// View takes the till's lock: whatever the transition
				// scheduled (a poll timer) is in place when it returns.
				r.till.View()
				return v
			}
		case <-deadline:
			r.t.Fatalf("waiting for %s; the till shows %+v", what, r.till.View())
		}
	}
}

func (r *rig) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) scan(kind flow.ScanKind, code string) error {
	return r.till.Scan(r.ctx, flow.Scan{Kind: kind, Code: code, Source: "cashier"})
}

func (r *rig) product(gtin string) { r.t.Helper(); r.must(r.scan(flow.ScanProduct, gtin)) }

// customer scans a personal QR and waits until the till knows who it is.
func (r *rig) customer(qr string) flow.View {
	r.t.Helper()
	r.must(r.scan(flow.ScanCustomerQR, qr))
	return r.waitFor("customer identified", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
}

// paying requests a push payment and waits until Vipps has it.
func (r *rig) paying() flow.View {
	r.t.Helper()
	r.must(r.till.RequestPayment(r.ctx))
	return r.waitFor("payment waiting", func(v flow.View) bool { return v.Payment != nil && v.Payment.Status == flow.PaymentWaiting })
}

func (r *rig) status(want flow.PaymentStatus) flow.View {
	r.t.Helper()
	return r.waitFor("payment "+string(want), func(v flow.View) bool { return v.Payment != nil && v.Payment.Status == want })
}

// settle runs the settlement worker's due jobs against the rig's Vipps, as
// the till's worker does in the background.
func (r *rig) settle() {
	r.t.Helper()
	s := flow.NewSettler(r.db, r.vipps, nil)
	s.Now = r.clock.Now
	for {
		n, err := s.RunOnce(r.ctx, 10)
		r.must(err)
		if n == 0 {
			return
		}
	}
}

func (r *rig) jobs(saleID int64) []store.OutboxJobRow {
	r.t.Helper()
	var jobs []store.OutboxJobRow
	r.must(r.db.Gorm().Where("sale_id = ?", saleID).Order("id").Find(&jobs).Error)
	return jobs
}

func (r *rig) journal(saleID int64) []flow.JournalEntry {
	r.t.Helper()
	j, err := r.db.Journal(r.ctx, saleID)
	r.must(err)
	return j
}
