package app

import (
	"context"
	"errors"

	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/app/saft"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/hardware"
	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// Till is a running till without its windows: database, Vipps (real or
// the built-in simulator), the checkout, the settlement worker, the webhook
// listener and the hardware. The windows (Run) and the headless driver
// (Drive) sit on top of the same Till, so both exercise the same flow code.
type Till struct {
	cfg *Config
	log *slog.Logger
	db  *store.DB
	// installation is the database's random id; it leads every payment
	// reference (flow.Reference).
	installation string
	sim          *sim.Sim // the built-in simulator; nil against Vipps
	vipps        *vipps.Client
	checkout     *flow.Checkout
	office       *Office                 // reports, cashiers, exports: the same door as the command line's
	journal      *flow.ElectronicJournal // the electronic journal (kassasystemforskriften); office's
	session      *flow.CashierSession    // who is logged in at this till; office's
	till         flow.Till               // what the cashier drives: the checkout, journaled, with training mode
	training     *flow.TrainingTill      // switches Till to the training checkout
	// trainingSim is the training checkout's own simulator, started the
	// first time training mode is switched on.
	trainingSim *sim.Sim
	settler     *flow.Settler
	webhooks    *webhookListener // nil: status by polling only
	bus         *hardware.Bus
	printer     hardware.Printer
	drawer      hardware.Drawer

	hub       hubFollower     // behind the chain's hub: what it delivered
	journalMu sync.Mutex      // one writer of closed sales to the journal (journalClosed)
	ctx       context.Context // lives until Close
	cancel    context.CancelFunc
	closers   []func()
}

// Start brings a till up. It returns when the till is ready for the
// cashier; background work runs until Close.
func Start(ctx context.Context, cfg *Config, log *slog.Logger) (t *Till, err error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	t = &Till{cfg: cfg, log: log, ctx: ctx, cancel: cancel}
	started := t
	defer func() {
		if err != nil {
			// A failed return has set t to nil, and the closers use t.
			t = started
			t.Close()
			t = nil
		}
	}()

	if cfg.Database == "" {
		// One till per SQLite database: a second one would share its
		// receipt numbers and journal chain. Released last, after the
		// database is closed.
		release, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		t.closers = append(t.closers, release)
	}
	dsn := DatabaseDSN(cfg)
	if t.db, err = store.Open(dsn); err != nil {
		return nil, &openDBError{dir: cfg.DataDir, err: err}
	}
	t.closers = append(t.closers, func() {
		if err := t.db.Close(); err != nil {
			log.Warn("closing the database", "err", err)
		}
	})
	if t.installation, err = t.db.Installation(ctx); err != nil {
		return nil, err
	}
	// Two tills with one id on a shared database would take each other's
	// sales and payments for their own: the second one is refused.
	release, err := t.db.ClaimTill(ctx, cfg.Store.POSID)
	if err != nil {
		return nil, fmt.Errorf("this till's id: %w; give each till its own id in the settings", err)
	}
	t.closers = append(t.closers, release)
	t.db.LeaseHolder = cfg.Store.POSID
	if n, err := t.db.ReclaimLeases(ctx, time.Now()); err != nil {
		return nil, fmt.Errorf("settlement jobs of the last run: %w", err)
	} else if n > 0 {
		log.Info("settlement jobs of a stopped run taken up again", "count", n)
	}
	t.startAutoBackup(ctx)
	if cfg.Demo {
		if err := loadDemoCatalog(ctx, t.db); err != nil {
			return nil, err
		}
		if err := loadDemoClub(ctx, t.db); err != nil {
			return nil, err
		}
	}

	if err := t.startVipps(ctx); err != nil {
		return nil, err
	}
	gw := newVippsGateway(t.vipps, cfg.Vipps.ClubName, cfg.Vipps.Currency)

	t.office = newOffice(cfg, t.db, log)
	t.journal, t.session = t.office.journal, t.office.session
	// Sales and returns are signed for SAF-T with this till's own key,
	// made on its first start; the key stays in the data directory.
	signer, err := saft.OpenKeyRing(ctx, filepath.Join(cfg.DataDir, saft.KeysDirName), t.journal)
	if err != nil {
		return nil, fmt.Errorf("SAF-T signing key: %w", err)
	}
	t.journal.Signer = signer
	if cfg.Demo {
		if err := ensureDemoCashier(ctx, t.session); err != nil {
			return nil, fmt.Errorf("creating the demo manager: %w", err)
		}
	}
	t.printer, t.drawer = hardware.NewPrinter(hardware.PrinterConfig{Device: cfg.Printer.Device, Baud: cfg.Printer.Baud, Width: cfg.Printer.Width})
	t.checkout = flow.NewCheckout(flow.Options{
		POSID: cfg.Store.POSID, Installation: t.installation, Currency: cfg.Vipps.Currency, StoreName: cfg.Store.Name,
		Store: t.db, Vipps: gw, Log: log,
		PushDisabled: cfg.Vipps.PushDisabled, OnPushDisabled: t.pushDisabled,
		LoginScopes: cfg.LoginScopes(),
		OnRelease: func() {
			if t.settler != nil {
				t.settler.Kick()
			}
		},
		OnSaleClosed: func(ctx context.Context, s *flow.Sale) {
			// The record is written even when the till is stopping (the
			// checkout's context ends at Close): a closed sale missing from
			// the journal would only be caught up at the next start.
			jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			t.journalClosed(jctx, s)
			cancel()
			if t.settler != nil {
				t.settler.Kick() // receipt and capture now, not at the worker's next look
			}
		},
		PollDelays:       pollDelaysFor(cfg),
		Print:            t.printReceipt(),
		Receipts:         t.db,
		OnReceiptPrinted: t.journal.ReceiptPrinted,
		Parking:          t.db,
		OnSaleParked:     t.journal.SaleParked,
		Vouchers:         t.db,
		OpenDrawer:       t.drawer.OpenDrawer,
		OnDrawerOpened:   t.journal.DrawerOpenedForSale,
	})
	t.closers = append(t.closers, t.checkout.Close)
	t.training = &flow.TrainingTill{Real: &flow.JournaledTill{Till: t.checkout, Journal: t.journal, Sales: t.db, Session: t.session,
		OnReturn: func(ctx context.Context, r flow.SaleRecord, at time.Time) error {
			if t.cfg.Printer.Device == "" {
				return nil // no printer: the refund shows in the customer's Vipps app
			}
			return t.printer.Print(ctx, t.returnReceipt(r, at))
		}},
		NewTraining: t.newTrainingTill, Journal: t.journal, Session: t.session}
	t.closers = append(t.closers, t.training.Close)
	t.till = t.training

	t.settler = flow.NewSettler(t.db, gw, log)
	t.settler.OnParked = func(j flow.OutboxJob) {
		go t.checkout.RefreshSettlement(ctx)
		if j.Kind == flow.JobReceipt {
			go t.receiptJobParked(ctx, j)
		}
	}
	t.settler.OnSettled = func(int64, flow.SettlementStatus) { go t.checkout.RefreshSettlement(ctx) }

	if err := t.checkout.Resume(ctx); err != nil {
		return nil, fmt.Errorf("resuming open sales: %w", err)
	}
	// Sales closed just before a crash may have missed their journal entry.
	if n, err := t.journal.CatchUp(ctx, t.db); err != nil {
		return nil, fmt.Errorf("bringing the electronic journal up to date: %w", err)
	} else if n > 0 {
		log.Warn("journaled sales closed before the last stop", "count", n)
	}
	if err := t.journal.Started(ctx, Version); err != nil {
		return nil, fmt.Errorf("electronic journal: %w", err)
	}
	t.closers = append(t.closers, func() {
		stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = t.journal.RecordEvent(stop, flow.JournalAppStop, 0, "", 0, "")
	})
	go func() { _ = t.settler.Run(ctx) }() // Run reconciles with Vipps first

	if cfg.Webhook.Via == WebhookViaHub {
		go t.followHub(ctx)
	} else if cfg.Webhook.Listen != "" {
		l, _, err := startWebhooks(ctx, t.vipps, cfg.Webhook.Listen, cfg.Webhook.PublicURL, t.checkout.HandlePaymentEvent, log)
		if err != nil {
			return nil, err
		}
		t.webhooks = l
	}

	t.bus = hardware.NewBus(64)
	if err := t.startScanners(ctx); err != nil {
		return nil, err
	}
	go t.forwardScans(ctx)
	return t, nil
}

// Close stops the till's background work and closes the database.
func (t *Till) Close() {
	t.cancel()
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
	t.closers = nil
}

// startVipps makes the Vipps client: against the built-in simulator in
// the simulator environment, otherwise against apitest/api.vipps.no (or
// the configured URL).
func (t *Till) startVipps(ctx context.Context) error {
	cfg := t.cfg
	base := cfg.VippsBaseURL()
	if cfg.Vipps.Env == EnvSimulator && base == "" {
		sc := sim.DefaultConfig()
		sc.MSN, sc.Currency = cfg.Vipps.MSN, cfg.Vipps.Currency
		sc.MerchantName, sc.ClubName = cfg.Store.Name, cfg.Vipps.ClubName
		sc.HTTPWebhooks = true // it posts to this till's own listener on loopback
		s, err := sim.New(sc)
		if err != nil {
			return fmt.Errorf("starting the built-in simulator: %w", err)
		}
		url, stop, err := s.Start("127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("starting the built-in simulator: %w", err)
		}
		t.closers = append(t.closers, stop)
		t.sim, base = s, url
		cfg.Vipps.ClientID, cfg.Vipps.ClientSecret, cfg.Vipps.SubscriptionKey = sc.ClientID, sc.ClientSecret, sc.SubscriptionKey
		if cfg.Webhook.Listen == "" && cfg.Webhook.Via == "" {
			cfg.Webhook.Listen = "127.0.0.1:0" // the simulator signs webhooks like Vipps: use them
		}
		t.log.Info("built-in Vipps simulator", "url", base, "phones", base+"/sim/")
	}
	c, err := vipps.New(vipps.Config{
		BaseURL: base, ClientID: cfg.Vipps.ClientID, ClientSecret: cfg.Vipps.ClientSecret,
		SubscriptionKey: cfg.Vipps.SubscriptionKey, MSN: cfg.Vipps.MSN,
		SystemName: "kasse", SystemVersion: Version, Logger: t.log,
	})
	if err != nil {
		return err
	}
	t.vipps = c
	return nil
}

func (t *Till) startScanners(ctx context.Context) error {
	var cfgs []hardware.SerialConfig
	for _, s := range t.cfg.Scanners {
		source := hardware.SourceCashier
		if s.Name == "customer" {
			source = hardware.SourceCustomer
		}
		cfgs = append(cfgs, hardware.SerialConfig{Port: s.Port, Baud: s.Baud, Suffix: s.Suffix, Source: source, Cooldown: hardware.DefaultCooldown()})
	}
	if len(cfgs) == 0 {
		return nil
	}
	wait, err := hardware.RunScanners(ctx, t.bus, cfgs...)
	if err != nil {
		return fmt.Errorf("scanner: %w", err)
	}
	t.closers = append(t.closers, wait)
	return nil
}

// forwardScans hands every scan from every device to the checkout, in the
// order they arrived; device trouble is logged, never shown as a freeze.
func (t *Till) forwardScans(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-t.bus.Events():
			switch ev := ev.(type) {
			case hardware.Scan:
				t.Scan(ctx, ev)
			case hardware.DeviceStatus:
				if ev.Connected {
					t.log.Info("scanner connected", "device", ev.Device, "source", ev.Source)
				} else {
					t.log.Warn("scanner gone; reconnecting", "device", ev.Device, "source", ev.Source, "err", ev.Err)
				}
			case hardware.Discarded:
				t.log.Info("scanner noise discarded", "device", ev.Device, "bytes", len(ev.Bytes), "reason", ev.Reason)
			}
		}
	}
}

// Scan hands one classified scan to the till the cashier drives.
func (t *Till) Scan(ctx context.Context, s hardware.Scan) {
	var kind flow.ScanKind
	switch s.Kind {
	case hardware.ScanProduct:
		kind = flow.ScanProduct
	case hardware.ScanCustomerQR:
		kind = flow.ScanCustomerQR
	default:
		kind = flow.ScanUnknown
	}
	code := s.Code
	if kind == flow.ScanUnknown {
		code = s.Problem
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Through Till, so a scan in training mode reaches the training checkout.
	if err := t.till.Scan(ctx, flow.Scan{Kind: kind, Code: code, Source: s.Source}); err != nil {
		t.log.Info("scan refused", "source", s.Source, "kind", s.Kind, "err", err)
	}
}

// printReceipt prints a paper receipt of the kind the checkout decided; nil
// without a printer, so the checkout says so and no receipt is journaled
// that was never printed.
func (t *Till) printReceipt() func(ctx context.Context, s *flow.Sale, kind flow.ReceiptKind) error {
	if t.cfg.Printer.Device == "" {
		return nil
	}
	return func(ctx context.Context, s *flow.Sale, kind flow.ReceiptKind) error {
		return t.printer.Print(ctx, t.receipt(s, kind))
	}
}

// printReport prints an X or Z report on the receipt printer; the screen
// shows it whether or not a printer is there.
func (t *Till) printReport(ctx context.Context, r flow.Report) error {
	tp, ok := t.printer.(hardware.TextPrinter)
	if !ok || t.cfg.Printer.Device == "" {
		return errNoPrinter
	}
	text, err := t.office.ReportText(ctx, r, "") // in the store's language
	if err != nil {
		return err
	}
	if err := tp.PrintText(ctx, text); err != nil {
		t.log.Error("printing the report failed", "err", err)
		return err
	}
	return nil
}

// errNoPrinter: the till has no receipt printer configured.
var errNoPrinter = errors.New("no receipt printer is set up")

// receipt lays a sale out for the receipt printer.
func (t *Till) receipt(s *flow.Sale, kind flow.ReceiptKind) hardware.Receipt {
	r := hardware.Receipt{
		StoreName: t.cfg.Store.Name, StoreAddress: t.cfg.Store.Address, OrgNumber: t.cfg.Store.OrgNumber,
		POSID: s.POSID, ReceiptNumber: s.ReceiptNumber, Time: s.ClosedAt, Currency: s.Currency,
		Total: int64(s.Total()), Kind: hardware.ReceiptKind(kind),
	}
	if r.Time.IsZero() {
		r.Time = s.UpdatedAt
	}
	// The app's name as the store's market called it on the sale's day.
	r.PaymentMethod = brandToday(t.cfg, r.Time).App
	club := t.clubRules()
	for _, l := range s.Lines {
		r.Lines = append(r.Lines, hardware.ReceiptLine{Name: l.Name, Quantity: l.Quantity, UnitPrice: int64(l.UnitPrice),
			Discount: int64(l.Discount), Total: int64(l.Total()), VATRate: l.VATRate * 100,
			DiscountText: flow.DiscountLabel(l.Rules, club)})
		r.MemberSaved += int64(l.MemberSaving)
		r.Points += l.Points
	}
	for _, v := range s.VATSummary() {
		r.VAT = append(r.VAT, hardware.VATRow{Rate: v.Rate * 100, Base: int64(v.Net), VAT: int64(v.VAT), Total: int64(v.Gross)})
	}
	if m := s.Customer.Member; m != nil {
		r.MemberName = m.GivenName
	}
	if s.Payment != nil {
		r.PaymentRef = s.Payment.Reference
		r.QR = s.Payment.Reference
	}
	paidWith(&r, s)
	return r
}

// receiptJobParked prints the Salgskvittering on paper when Vipps would
// not take a sale's receipt: without it the customer would leave with no
// receipt at all (kassasystemforskrifta § 2-6 (4)). Only the till that made
// the sale prints it, and only when it has a printer.
func (t *Till) receiptJobParked(ctx context.Context, j flow.OutboxJob) {
	if t.cfg.Printer.Device == "" {
		return
	}
	s, err := t.db.Sale(ctx, j.SaleID)
	if err != nil || s.POSID != t.cfg.Store.POSID {
		return
	}
	if err := t.checkout.Reprint(ctx, j.SaleID); err != nil {
		t.log.Warn("the Vipps receipt was refused and the paper one was not printed", "sale", j.SaleID, "reference", j.Reference, "err", err)
	}
}

// returnReceipt is the Returkvittering of a journaled return: its lines
// and amounts negative, the refund's Vipps reference as transaction id.
func (t *Till) returnReceipt(r flow.SaleRecord, at time.Time) hardware.Receipt {
	out := hardware.Receipt{
		StoreName: t.cfg.Store.Name, StoreAddress: t.cfg.Store.Address, OrgNumber: t.cfg.Store.OrgNumber,
		POSID: t.cfg.Store.POSID, ReceiptNumber: r.ReceiptNumber, Time: at.In(time.Local), Currency: r.Currency,
		Total: int64(r.Total), PaymentMethod: brandToday(t.cfg, at).App, Kind: hardware.KindReturn,
	}
	vat := map[int]*hardware.VATRow{}
	var rates []int
	for _, l := range r.Lines {
		out.Lines = append(out.Lines, hardware.ReceiptLine{Name: l.Name, Quantity: l.Quantity, UnitPrice: int64(l.UnitPrice),
			Discount: -int64(l.Discount), Total: int64(l.Total), VATRate: l.VATRate * 100})
		v := vat[l.VATRate]
		if v == nil {
			v = &hardware.VATRow{Rate: l.VATRate * 100}
			vat[l.VATRate] = v
			rates = append(rates, l.VATRate)
		}
		v.Base += int64(l.Net)
		v.VAT += int64(l.VAT)
		v.Total += int64(l.Total)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(rates)))
	for _, rate := range rates {
		out.VAT = append(out.VAT, *vat[rate])
	}
	if len(r.Payments) > 0 {
		out.PaymentRef = r.Payments[0].Reference
	}
	returnedThrough(&out, r)
	return out
}

// pollDelaysFor is the polling schedule of the till's payment requests:
// flow's own, or the slow safety net of a till behind the chain's hub.
func pollDelaysFor(cfg *Config) []time.Duration {
	if cfg.Webhook.Via == WebhookViaHub {
		return hubPollDelays
	}
	return nil
}

// HubDelivered counts the events the chain's hub delivered to this till.
func (t *Till) HubDelivered() int64 { return t.hub.delivered.Load() }

// journalClosed writes a closed sale to the electronic journal once. If the
// database fails meanwhile (a connection cut), the till catches up in the
// background, as it does at every start. One writer at a time: the catch-up
// and the next sale's record never both write the same sale.
func (t *Till) journalClosed(ctx context.Context, s *flow.Sale) {
	t.journalMu.Lock()
	defer t.journalMu.Unlock()
	if done, err := t.db.SaleJournaled(ctx, t.cfg.Store.POSID, s.ID); err == nil && done {
		return
	}
	if err := t.journal.SaleClosedErr(ctx, s); err != nil {
		t.log.Error("electronic journal: sale not journaled yet; catching up shortly", "sale", s.ID, "receipt", s.ReceiptNumber, "err", err)
		go t.catchUpJournal()
	}
}

// catchUpJournal journals closed sales missing from the journal, retrying
// while the database is away; what is left is caught up at the next start.
func (t *Till) catchUpJournal() {
	for _, wait := range []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute} {
		select {
		case <-t.ctx.Done():
			return
		case <-time.After(wait):
		}
		t.journalMu.Lock()
		n, err := t.journal.CatchUp(t.ctx, t.db)
		t.journalMu.Unlock()
		if err == nil {
			if n > 0 {
				t.log.Info("electronic journal: closed sales caught up", "count", n)
			}
			return
		}
		t.log.Warn("electronic journal: catching up failed; trying again", "err", err)
	}
}
