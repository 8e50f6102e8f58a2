package flow

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Options configure a Checkout for one till.
type Options struct {
	POSID string // this till's id, e.g. "pos1"; prefixes every payment reference
	// Installation is the random id of this till's database; it leads
	// every payment reference, so references never repeat across
	// installations on one sales unit (see Reference).
	Installation string
	Currency     string // NOK, DKK or EUR
	StoreName    string // shown in the Vipps app as the payment description

	Store Store
	Vipps Vipps
	Clock Clock // default SystemClock

	// BindingMessage makes the code shown on both screens during
	// enrolment; default: random "XXXX-XXX" from [A-Z0-9].
	BindingMessage func() string
	// LoginScopes asked at enrolment; default openid name phoneNumber email birthDate.
	LoginScopes []string
	// CallTimeout bounds every Vipps call (default 20 s).
	CallTimeout time.Duration
	// PollDelays replaces the polling schedule of an open request (the
	// waits before the 1st, 2nd, … read; the last repeats). A till whose
	// events come through the chain's hub polls only as a safety net.
	PollDelays []time.Duration

	// OnSaleClosed is called after a sale was paid or voided and stored
	// (the electronic journal hooks in here). It runs on a flow goroutine.
	OnSaleClosed func(ctx context.Context, s *Sale)
	// OnRelease is called when a release of a stranded approval was queued
	// (the settlement worker should run it now).
	OnRelease func()
	// Print prints a paper receipt of a finished sale as kind; nil: the
	// till has no printer.
	Print func(ctx context.Context, s *Sale, kind ReceiptKind) error
	// Receipts records paper receipts, so a sale has one Salgskvittering
	// and one copy across every till; nil: every print is a copy, unchecked.
	Receipts ReceiptPrints
	// OnReceiptPrinted is called after a paper receipt came out (the
	// electronic journal records copies here).
	OnReceiptPrinted func(ctx context.Context, s *Sale, kind ReceiptKind)
	// Parking lists parked sales; nil: sales cannot be parked.
	Parking ParkedSales
	// OnSaleParked is called after a sale was parked or resumed (the
	// electronic journal records both).
	OnSaleParked func(ctx context.Context, s *Sale, resumed bool)

	// PushDisabled: the sales unit is not enabled for push payment
	// requests, so every request is a QR code on the customer display.
	PushDisabled bool
	// OnPushDisabled is called once when Vipps refused a push because the
	// sales unit is not enabled for it (5080) and the till switched to QR
	// (the till keeps that in its settings). It runs on a flow goroutine.
	OnPushDisabled func()

	// Vouchers finds gift vouchers and credit notes to redeem; nil: none
	// are taken.
	Vouchers Vouchers
	// OpenDrawer opens the cash drawer for a cash tender; OnDrawerOpened
	// journals the opening. Both run on a flow goroutine.
	OpenDrawer     func(ctx context.Context) error
	OnDrawerOpened func(ctx context.Context, s *Sale)
	// DrawerIsOpen reports a drawer that says it is open (no new sale may
	// start then); nil: the drawer cannot tell.
	DrawerIsOpen func() bool
	// Club gives the member discounts, offers and points rules; default:
	// the Store, when it keeps them. nil: ordinary prices only.
	Club ClubRuleSource

	Log *slog.Logger
}

// PaymentExpiry is how long a payment request stays open in the app
// (ePayment's default; §6.7).
const PaymentExpiry = 10 * time.Minute

// Checkout is the checkout state machine of one till. It implements Till.
// Every transition is stored before the View that shows it is published, so
// after a crash Resume continues each open sale where it was.
//
// The sale's stage, and the payment request's status within "paying":
//
//	idle    ─scan/QR─────────────▶ open                      (CreateSale)
//	open    ─customer QR─────────▶ open: ExchangeQR → member? → CheckIn (NO only, fire-and-forget)
//	open    ─Enrol───────────────▶ open + enrolment pending → enrolled | declined | expired | failed
//	open    ─RequestPayment/QR───▶ paying/requesting          (stored, then CreatePayment)
//	paying/requesting ─created───▶ paying/waiting             (countdown: created + 10 min; polling)
//	paying/requesting ─refused───▶ open/failed
//	paying/waiting ─AUTHORIZED───▶ paid/authorized            (+ receipt, capture, confirm jobs, same transaction)
//	paying/waiting ─ABORTED──────▶ open/declined              (a new request gets reference "-2", "-3", …)
//	paying/waiting ─EXPIRED──────▶ open/expired
//	paying/waiting ─TERMINATED───▶ open/cancelled             (CancelPayment with cancelTransactionOnly;
//	                                                           a refused cancel re-reads: AUTHORIZED is paid)
//	open    ─VoidSale────────────▶ cancelled
//	paid, cancelled ─NewSale─────▶ idle
//
// Polls, webhooks and the answers to our own calls all go through
// applyLocked, which only ever moves a request forward.
type Checkout struct {
	opt       Options
	log       *slog.Logger
	refPrefix string // what every payment reference of this till starts with

	ctx    context.Context // lives until Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	sale        *Sale                        // the live sale; nil when idle
	custGen     int                          // increases with every customer QR: older exchanges are stale
	enrolStops  map[int64]context.CancelFunc // running enrolments by sale
	polls       map[string]*poller           // by reference: one per payment request still open
	held        map[string][]heldEvent       // events that came before their request was proved ours
	lastPaid    int64
	parkedSales int // this till's parked sales
	settlement  SettlementStatus
	parked      int
	notice      *Notice
	noticeSeq   int64
	version     int64
	view        View
	subs        map[int]*subscriber
	nextSub     int
	settleTick  Timer
	closed      bool
	attended    func() bool  // nil: the till takes scans without a cashier
	noticeTimer Timer        // clears the notice after NoticeLifetime
	pushOff     bool         // Vipps refused a push as not enabled (5080): requests go by QR
	rules       ClubRules    // the club rules last read, for the savings a non-member is shown
	pts         MemberPoints // the balance and cheques of the member on the sale
	ptsMember   int64        // whose pts they are; 0: not read
	award       *PointsAward // what the last paid sale earned
}

var _ Till = (*Checkout)(nil)

// NewCheckout makes the checkout of a till; call Resume before use.
func NewCheckout(opt Options) *Checkout {
	if opt.Clock == nil {
		opt.Clock = SystemClock{}
	}
	if opt.BindingMessage == nil {
		opt.BindingMessage = RandomBindingMessage
	}
	if len(opt.LoginScopes) == 0 {
		opt.LoginScopes = []string{"openid", "name", "phoneNumber", "email", "birthDate"}
	}
	if opt.CallTimeout <= 0 {
		opt.CallTimeout = 20 * time.Second
	}
	if opt.Currency == "" {
		opt.Currency = "NOK"
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if src, ok := opt.Store.(ClubRuleSource); ok && opt.Club == nil {
		opt.Club = src
	}
	c := &Checkout{opt: opt, log: opt.Log.With("pos", opt.POSID), refPrefix: ReferencePrefix(opt.Installation, opt.POSID), subs: map[int]*subscriber{}, polls: map[string]*poller{}, enrolStops: map[int64]context.CancelFunc{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.view = c.buildViewLocked()
	return c
}

// RequireCashier makes the till refuse scans and items while loggedIn
// reports nobody at the till: a code scanned at a till left alone must not
// start a sale nobody is serving. Without it (a headless driver, a test)
// scans are always taken.
func (c *Checkout) RequireCashier(loggedIn func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attended = loggedIn
}

// refuseUnattendedLocked says "log in first" when the till needs a cashier
// and nobody is logged in.
func (c *Checkout) refuseUnattendedLocked() error {
	if c.attended == nil || c.attended() {
		return nil
	}
	err := c.noticeLocked(NoticeWarning, "scan.log_in_first", "Nobody is logged in: log in first, then scan again.", nil)
	c.publishLocked()
	return err
}

// Close stops polling and background work and waits for it to end.
func (c *Checkout) Close() {
	c.mu.Lock()
	c.closed = true
	for ref, p := range c.polls {
		p.stop()
		delete(c.polls, ref)
	}
	if c.settleTick != nil {
		c.settleTick.Stop()
	}
	if c.noticeTimer != nil {
		c.noticeTimer.Stop()
	}
	for _, stop := range c.enrolStops {
		stop()
	}
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.mu.Lock()
	for id, s := range c.subs {
		s.close()
		delete(c.subs, id)
	}
	c.mu.Unlock()
}

// background runs f on its own goroutine, tracked for Close.
// The caller holds mu, so Close cannot be between its check and Wait.
func (c *Checkout) background(f func(ctx context.Context)) {
	if c.closed {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f(c.ctx)
	}()
}

// call bounds a Vipps call by CallTimeout.
func (c *Checkout) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.opt.CallTimeout)
}

func (c *Checkout) now() time.Time { return c.opt.Clock.Now() }

// storeFailed is the cashier's side of a database error; what the
// database said goes to the log.
const storeFailed = "The till could not save or read its data: try again; if it happens again, ask a manager (the details are in the till's log)."

// NoticedError is returned by an intent that was refused or failed; the
// same notice is on the View.
type NoticedError struct{ Notice Notice }

func (e *NoticedError) Error() string { return e.Notice.Text }

// NoticeLifetime is how long a notice stays on the View: long enough to
// read, short enough that it does not sit under the next sale's work.
// A new sale, a voided one and a new payment request clear it at once.
const NoticeLifetime = 30 * time.Second

// noticeLocked records a notice for the cashier and returns it as an error.
// It clears itself after NoticeLifetime unless a newer one replaced it.
func (c *Checkout) noticeLocked(kind NoticeKind, key, text string, args map[string]string) error {
	return &NoticedError{Notice: c.showNoticeLocked(kind, key, text, args)}
}

// showNoticeLocked puts a notice on the screen for NoticeLifetime; for a
// step no intent waits for (a poll, a webhook), where there is no caller
// to hand the NoticedError of noticeLocked to.
func (c *Checkout) showNoticeLocked(kind NoticeKind, key, text string, args map[string]string) Notice {
	c.noticeSeq++
	n := Notice{Seq: c.noticeSeq, Kind: kind, Key: key, Args: args, Text: text}
	c.notice = &n
	if c.noticeTimer != nil {
		c.noticeTimer.Stop()
	}
	if !c.closed {
		seq := n.Seq
		c.noticeTimer = c.opt.Clock.AfterFunc(NoticeLifetime, func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.notice != nil && c.notice.Seq == seq && !c.closed {
				c.notice = nil
				c.publishLocked()
			}
		})
	}
	return n
}

// state names where a sale is, for the journal: "open", "paying/waiting", …
func state(s *Sale) string {
	if s == nil {
		return "idle"
	}
	st := string(s.Stage)
	if s.Payment != nil && s.Stage != StageCancelled {
		st += "/" + string(s.Payment.Status)
	}
	return st
}

// entry is a journal entry for the transition from → s.
func (c *Checkout) entry(s *Sale, from, detail string) JournalEntry {
	ref := ""
	if s.Payment != nil {
		ref = s.Payment.Reference
	}
	return JournalEntry{SaleID: s.ID, Reference: ref, From: from, To: state(s), At: c.now(), Detail: detail}
}

// entryTo is a journal entry for a change beside the sale's own state.
func (c *Checkout) entryTo(s *Sale, from, to, detail string) JournalEntry {
	e := c.entry(s, from, detail)
	e.To = to
	return e
}

// commitLocked stores a transition and, only once it is stored, makes it
// the live sale (when it is) and publishes it.
//
// A transition once decided is stored even when ctx ends (shutdown, a
// cashier's request that timed out): what Vipps told us must not be lost.
func (c *Checkout) commitLocked(ctx context.Context, ch SaleChange) error {
	ctx = context.WithoutCancel(ctx)
	c.priceLocked(ctx, &ch)
	ch.Sale.UpdatedAt = c.now()
	if err := c.opt.Store.SaveSale(ctx, ch); errors.Is(err, ErrStaleSale) {
		// Computed from an older copy than the stored one: dropped, never
		// written over the newer state. The stored sale becomes the live
		// one; whatever Vipps said is read again by polling or redelivered.
		c.log.Warn("sale transition dropped: the sale changed since it was read", "sale", ch.Sale.ID, "err", err)
		if fresh, lerr := c.opt.Store.Sale(ctx, ch.Sale.ID); lerr == nil && c.sale != nil && c.sale.ID == fresh.ID {
			c.sale = fresh
			c.publishLocked()
		}
		return err
	} else if errors.Is(err, ErrVoucherSpent) {
		c.log.Warn("voucher redemption refused: its balance no longer covers it", "sale", ch.Sale.ID, "err", err)
		nerr := c.noticeLocked(NoticeWarning, "tender.voucher_spent", "This voucher has been used up: take another payment.", nil)
		c.publishLocked()
		return nerr
	} else if err != nil {
		c.log.Error("storing a sale transition failed", "sale", ch.Sale.ID, "err", err)
		nerr := c.noticeLocked(NoticeError, "store.failed", storeFailed, nil)
		c.publishLocked()
		return nerr
	}
	c.pointsEarnedLocked(ch)
	for _, j := range ch.Journal {
		c.log.Info("sale transition", "sale", ch.Sale.ID, "reference", j.Reference, "from", j.From, "to", j.To, "detail", j.Detail)
	}
	if c.sale != nil && c.sale.ID == ch.Sale.ID {
		c.sale = ch.Sale
	}
	c.publishLocked()
	return nil
}

// saleLocked returns the live sale when it is id, else loads it.
func (c *Checkout) saleLocked(ctx context.Context, id int64) (*Sale, error) {
	if c.sale != nil && c.sale.ID == id {
		return c.sale, nil
	}
	return c.opt.Store.Sale(ctx, id)
}

// ensureSaleLocked starts a sale at the first scan of an idle till (or of
// a till still showing the last paid or voided sale).
func (c *Checkout) ensureSaleLocked(ctx context.Context) error {
	if c.sale != nil && (c.sale.Stage == StageOpen || c.sale.Stage == StagePaying) {
		return nil
	}
	if err := c.drawerOpenLocked(); err != nil {
		return err
	}
	now := c.now()
	s := &Sale{POSID: c.opt.POSID, Currency: c.opt.Currency, Stage: StageOpen, CreatedAt: now, UpdatedAt: now}
	if err := c.opt.Store.CreateSale(ctx, s, JournalEntry{From: "idle", To: "open", At: now, Detail: "sale started"}); err != nil {
		c.log.Error("starting a sale failed", "err", err)
		return c.noticeLocked(NoticeError, "store.failed", storeFailed, nil)
	}
	c.log.Info("sale transition", "sale", s.ID, "from", "idle", "to", "open", "receipt", s.ReceiptNumber)
	c.sale = s
	c.notice = nil
	return nil
}

// RandomBindingMessage returns a code like "4MZ-CQ3" (^[A-Z0-9-]{5,8}$).
func RandomBindingMessage() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // no 0/O, 1/I: read aloud at a till
	var b [7]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	out := make([]byte, 0, 8)
	for i, x := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(x)%len(alphabet)])
	}
	return string(out)
}

// ValidBindingMessage checks the CIBA binding_message pattern ^[A-Z0-9-]{5,8}$.
func ValidBindingMessage(s string) bool {
	if len(s) < 5 || len(s) > 8 {
		return false
	}
	return strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == ""
}
