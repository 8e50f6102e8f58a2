// Package drive is the headless load driver behind `kasse drive`: scripted
// sales through the same flow.Checkout intents the cashier window sends,
// counted from the database so a driver killed and restarted carries on.
// It reaches the till only through what the product offers (Till).
package drive

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/hardware"
	"github.com/kasse-pos/kasse/vipps"
)

// Till is what the driver uses of a running till (app.Till has it).
type Till interface {
	Checkout() *flow.Checkout
	Store() *store.DB
	Logger() *slog.Logger
	DataDir() string
	POSID() string
	// ReferencePrefix starts every payment reference of this till.
	ReferencePrefix() string
	// KickSettlement wakes the settlement worker now.
	KickSettlement()
	// WebhookStats counts the till's listener's deliveries since it
	// started, and where it was set to listen; ok is false without one.
	WebhookStats() (stats vipps.WebhookStats, listen string, ok bool)
}

// Options configure the headless driver (kasse drive).
type Options struct {
	Sales      int     // paid sales the database must hold before the driver stops
	Seed       int64   // 0: a fresh sequence every start
	Customers  int     // distinct customer phones, so members come back
	EnrolShare float64 // share of sales where a non-member is asked to join the club
	// MixedShare is the share of sales paid with other tenders too: part
	// in cash and the rest by Vipps, all in cash, or all by card.
	MixedShare  float64
	SaleTimeout time.Duration // longest wait for one payment answer before cancelling
	Drain       time.Duration // after the last sale, wait this long at most for settlement; 0: don't wait
	StatusFile  string        // JSON status, rewritten as sales close; default drive-status.json in the data dir
	Verbose     bool          // the till's log on stderr too (it always goes to kasse.log)
	// ApproveAfter is how long the built-in simulator's customers take to
	// approve (there is nobody at a phone in a headless run); 0: never.
	ApproveAfter time.Duration
}

// DefaultOptions drive 100 sales and wait for settlement.
func DefaultOptions() *Options {
	return &Options{Sales: 100, Customers: 200, EnrolShare: 0.2, SaleTimeout: 3 * time.Minute, Drain: 5 * time.Minute,
		ApproveAfter: 1500 * time.Millisecond}
}

// RegisterFlags adds the driver's flags to fs.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Sales, "sales", o.Sales, "stop once the database holds this many paid sales of this till")
	fs.Int64Var(&o.Seed, "seed", o.Seed, "seed of the scripted sales (0: random)")
	fs.IntVar(&o.Customers, "customers", o.Customers, "number of distinct customer phones")
	fs.Float64Var(&o.EnrolShare, "enrol", o.EnrolShare, "share (0–1) of sales where a non-member is enrolled in the club")
	fs.Float64Var(&o.MixedShare, "mixed", o.MixedShare, "share (0–1) of sales paid partly in cash then by Vipps, or all in cash, or all by card")
	fs.DurationVar(&o.SaleTimeout, "sale-timeout", o.SaleTimeout, "longest wait for a payment answer before the request is cancelled")
	fs.DurationVar(&o.Drain, "drain", o.Drain, "after the last sale, wait at most this long for captures and receipts (0: don't wait)")
	fs.StringVar(&o.StatusFile, "status-file", o.StatusFile, "JSON status file (default: drive-status.json in the data directory)")
	fs.BoolVar(&o.Verbose, "v", o.Verbose, "log to stderr as well as kasse.log")
	fs.DurationVar(&o.ApproveAfter, "approve-after", o.ApproveAfter, "with the built-in simulator: the customer approves on the phone after this long (0: nobody answers)")
}

// Status is what the driver knows, counted from the database (not
// from memory), so a driver killed and restarted reports the same totals.
type Status struct {
	PID         int                `json:"pid"`
	Paid        int                `json:"paid"`        // paid sales of this till in the database
	Voided      int                `json:"voided"`      // sales given up (cancelled)
	Unsettled   int                `json:"unsettled"`   // paid sales not yet captured and confirmed
	ThisRun     int                `json:"thisRun"`     // sales this process finished
	Webhooks    vipps.WebhookStats `json:"webhooks"`    // this process's listener since it started
	WebhookAddr string             `json:"webhookAddr"` // where that listener was configured to bind
	// ReferencePrefix starts every payment reference of this till (its
	// installation id and till id).
	ReferencePrefix string    `json:"referencePrefix"`
	Done            bool      `json:"done"`
	Updated         time.Time `json:"updated"`
}

// Run runs scripted sales on t until its database holds opt.Sales paid
// sales, then waits for settlement (opt.Drain). A sale left open or paying
// by a crash is picked up where Resume left it.
func Run(ctx context.Context, t Till, opt Options) (Status, error) {
	d := &driver{t: t, c: t.Checkout(), opt: opt, log: t.Logger().With("driver", true)}
	seed := opt.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	d.rng = rand.New(rand.NewPCG(uint64(seed), uint64(os.Getpid())))
	if d.opt.StatusFile == "" {
		d.opt.StatusFile = filepath.Join(t.DataDir(), "drive-status.json")
	}
	if d.opt.Customers <= 0 {
		d.opt.Customers = 200
	}
	if d.opt.SaleTimeout <= 0 {
		d.opt.SaleTimeout = 3 * time.Minute
	}
	if err := d.loadCatalogue(ctx); err != nil {
		return Status{}, err
	}
	stopStatus := d.keepStatus(ctx)
	defer stopStatus() // on the error returns; the end below stops it first

	for {
		st, err := d.status(ctx)
		if err != nil {
			return st, err
		}
		if st.Paid >= opt.Sales {
			break
		}
		if err := d.sale(ctx); err != nil {
			return d.statusOrZero(ctx), err
		}
		d.thisRun.Add(1)
		d.writeStatus(ctx, false)
	}
	// The checkout may still show the last paid sale; clear it as the
	// cashier would, so a restart starts idle.
	_ = d.c.NewSale(ctx)
	if opt.Drain > 0 {
		deadline := time.Now().Add(opt.Drain)
		for {
			// Wake the worker rather than wait for its idle poll: the
			// drain is what is waited for here, not the poll interval.
			t.KickSettlement()
			un, err := t.Store().UnsettledPayments(ctx)
			if err == nil && len(un) == 0 {
				break
			}
			if time.Now().After(deadline) {
				st := d.statusOrZero(ctx)
				return st, fmt.Errorf("settlement not drained after %s: %d sales unsettled", opt.Drain, len(un))
			}
			select {
			case <-ctx.Done():
				return d.statusOrZero(ctx), ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	// The periodic writer stops before the last status is written, so the
	// file a harness reads after the exit is this one, with the final
	// counters.
	stopStatus()
	d.writeStatus(ctx, true)
	return d.statusOrZero(ctx), nil
}

type driver struct {
	t       Till
	c       *flow.Checkout
	opt     Options
	log     *slog.Logger
	rng     *rand.Rand
	gtins   []string
	thisRun atomic.Int64
	writeMu sync.Mutex // one status writer at a time: they share the temporary file
}

// loadCatalogue reads the GTINs to sell; an empty catalogue gets a
// generated one, so the driver works on a fresh data directory.
func (d *driver) loadCatalogue(ctx context.Context) error {
	gtins, err := d.t.Store().ActiveGTINs(ctx, 5000)
	if err != nil {
		return fmt.Errorf("reading the catalogue: %w", err)
	}
	d.gtins = gtins
	if len(d.gtins) > 0 {
		return nil
	}
	ps := Catalogue(200)
	if err := d.t.Store().UpsertProducts(ctx, ps); err != nil {
		return fmt.Errorf("creating a catalogue: %w", err)
	}
	for _, p := range ps {
		d.gtins = append(d.gtins, p.GTIN)
	}
	return nil
}

// Catalogue is n generated products with valid GTIN-13s, prices from
// 10 to 500 kr and the Norwegian VAT rates.
func Catalogue(n int) []flow.Product {
	rates := []int{25, 15, 12, 0}
	ps := make([]flow.Product, n)
	for i := range ps {
		code := fmt.Sprintf("703%09d", 100000+i)
		ps[i] = flow.Product{GTIN: code + strconv.Itoa(hardware.CheckDigit(code)), Name: fmt.Sprintf("Vare %d", i+1),
			Price: flow.Money(1000 + (i*7919)%49000), VATRate: rates[i%len(rates)], Active: true}
	}
	return ps
}

// customerQR is the personal QR of one of the driver's customers (the
// legacy static format, which the simulator exchanges for anyone).
func (d *driver) customerQR() string {
	n := d.rng.IntN(d.opt.Customers)
	return fmt.Sprintf("https://qr.vipps.no/28/2/01/031/479%07d?v=1", 1000+n*37)
}

// sale takes the till from wherever it is to one more finished sale.
func (d *driver) sale(ctx context.Context) error {
	v := d.c.View()
	switch v.Stage {
	case flow.StagePaid, flow.StageCancelled:
		if err := d.c.NewSale(ctx); err != nil {
			return fmt.Errorf("new sale: %w", err)
		}
		return nil // counted already; the loop looks at the database again
	case flow.StagePaying:
		d.log.Info("driver: waiting for the payment of a resumed sale", "sale", v.SaleID)
		return d.pay(ctx, false)
	case flow.StageOpen:
		if len(v.Lines) == 0 {
			d.addWare(ctx)
		}
		if v.Customer == nil {
			d.scanCustomer(ctx)
		}
		return d.pay(ctx, true)
	}
	// Idle: a customer comes to the till. The personal QR is shown at a
	// random moment before, between or after the wares.
	wares := 1 + d.rng.IntN(4)
	qrAt := d.rng.IntN(wares + 1)
	for i := 0; i <= wares; i++ {
		if i == qrAt {
			d.scanCustomer(ctx)
		}
		if i < wares {
			d.addWare(ctx)
		}
	}
	if d.rng.Float64() < d.opt.EnrolShare {
		d.enrol(ctx)
	}
	if d.rng.Float64() < d.opt.MixedShare && d.otherTender(ctx) {
		return d.c.NewSale(ctx)
	}
	return d.pay(ctx, true)
}

// otherTender pays part of the sale in cash (Vipps takes the rest), or all
// of it in cash or by card; true when the sale is paid.
func (d *driver) otherTender(ctx context.Context) bool {
	v := d.c.View()
	req := flow.TenderRequest{Kind: flow.TenderCash}
	switch d.rng.IntN(3) {
	case 0:
		part := v.Due / 2 / 100 * 100 // whole kroner, as a note and coins
		if part < 100 || v.Due-part < flow.MinimumAmount(v.Currency) {
			return false
		}
		req.Amount = part
	case 1:
		req.Amount = flow.RoundCash(v.Currency, v.Due) + 5000 // a note too many: change
	default:
		req = flow.TenderRequest{Kind: flow.TenderCard, Reference: fmt.Sprintf("T-%06d", d.rng.IntN(1000000))}
	}
	if err := d.c.Tender(ctx, req); err != nil {
		d.log.Info("driver: tender refused", "kind", req.Kind, "err", err)
		return false
	}
	return d.c.View().Stage == flow.StagePaid
}

func (d *driver) scanCustomer(ctx context.Context) {
	if err := d.c.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: d.customerQR(), Source: "customer"}); err != nil {
		d.log.Info("driver: customer QR refused", "err", err)
	}
}

// addWare sells a random product, half the time scanned, half typed.
func (d *driver) addWare(ctx context.Context) {
	gtin := d.gtins[d.rng.IntN(len(d.gtins))]
	var err error
	if d.rng.IntN(2) == 0 {
		err = d.c.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: gtin, Source: "cashier"})
	} else {
		err = d.c.AddProduct(ctx, gtin, 1+d.rng.IntN(3))
	}
	if err != nil {
		d.log.Info("driver: ware refused", "gtin", gtin, "err", err)
	}
}

// enrol asks an identified non-member to join, and waits for the answer.
func (d *driver) enrol(ctx context.Context) {
	v, ok := WaitView(ctx, d.c, 20*time.Second, func(v flow.View) bool {
		return v.Customer != nil && v.Customer.MaskedPhone != ""
	})
	if !ok || v.Customer.Member {
		return
	}
	if err := d.c.Enrol(ctx); err != nil {
		d.log.Info("driver: enrolment refused", "err", err)
		return
	}
	WaitView(ctx, d.c, time.Minute, func(v flow.View) bool {
		return v.Enrolment == nil || v.Enrolment.Status != flow.EnrolmentPending
	})
}

// pay requests payment (unless a request is out already) and waits for
// the answer; refused, declined and expired requests are asked again a few
// times, then the sale is voided.
func (d *driver) pay(ctx context.Context, send bool) error {
	for attempt := 0; ; attempt++ {
		if send {
			if attempt >= 5 {
				d.log.Warn("driver: giving up on the sale", "sale", d.c.View().SaleID)
				if err := d.c.VoidSale(ctx); err != nil {
					return fmt.Errorf("void: %w", err)
				}
				return nil
			}
			if err := d.c.RequestPayment(ctx); err != nil {
				d.log.Info("driver: payment request refused", "err", err)
				if d.c.View().Stage != flow.StagePaying {
					if v := d.c.View(); len(v.Lines) == 0 || v.Total < flow.MinimumAmount(v.Currency) {
						d.addWare(ctx)
					}
					if !sleepCtx(ctx, time.Duration(attempt+1)*200*time.Millisecond) {
						return ctx.Err()
					}
					continue
				}
			}
		}
		send = true
		v, ok := WaitView(ctx, d.c, d.opt.SaleTimeout, func(v flow.View) bool {
			return v.Stage != flow.StagePaying
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !ok {
			// No answer in time: withdraw the request (an approval racing
			// the cancel still wins) and wait for the outcome.
			_ = d.c.CancelPayment(ctx)
			v, ok = WaitView(ctx, d.c, d.opt.SaleTimeout, func(v flow.View) bool { return v.Stage != flow.StagePaying })
			if !ok {
				return errors.New("payment still open after cancelling it")
			}
		}
		switch v.Stage {
		case flow.StagePaid, flow.StageCancelled:
			return d.c.NewSale(ctx)
		}
	}
}

// WaitView waits until ok holds for the checkout's View, or d passes.
func WaitView(ctx context.Context, c *flow.Checkout, d time.Duration, ok func(flow.View) bool) (flow.View, bool) {
	wake := make(chan struct{}, 1)
	cancel := c.Subscribe(func(flow.View) {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	defer cancel()
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		v := c.View()
		if ok(v) {
			return v, true
		}
		select {
		case <-ctx.Done():
			return v, false
		case <-timeout.C:
			return c.View(), false
		case <-wake:
		case <-tick.C:
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// status counts this till's sales in the database.
func (d *driver) status(ctx context.Context) (Status, error) {
	st := Status{PID: os.Getpid(), ThisRun: int(d.thisRun.Load()), Updated: time.Now().UTC(),
		ReferencePrefix: d.t.ReferencePrefix()}
	stages, err := d.t.Store().SaleStages(ctx, d.t.POSID())
	if err != nil {
		return st, err
	}
	st.Paid, st.Voided = stages[flow.StagePaid], stages[flow.StageCancelled]
	if un, err := d.t.Store().UnsettledPayments(ctx); err == nil {
		st.Unsettled = len(un)
	}
	if stats, listen, ok := d.t.WebhookStats(); ok {
		st.Webhooks, st.WebhookAddr = stats, listen
	}
	return st, nil
}

func (d *driver) statusOrZero(ctx context.Context) Status {
	st, _ := d.status(context.WithoutCancel(ctx))
	return st
}

// writeStatus replaces the status file in one rename, so a reader never
// sees half a file even when the driver is killed mid-write. The status is
// taken under the same lock as the write: a snapshot taken earlier can
// never replace a newer one.
func (d *driver) writeStatus(ctx context.Context, done bool) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	st, err := d.status(context.WithoutCancel(ctx))
	if err != nil {
		return
	}
	st.Done = done
	b, _ := json.Marshal(st)
	tmp := d.opt.StatusFile + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, d.opt.StatusFile)
	}
}

// keepStatus rewrites the status file often, so webhook counters show up
// while a sale is still waiting.
func (d *driver) keepStatus(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	d.writeStatus(ctx, false)
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				d.writeStatus(ctx, false)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}
