package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// SettlementReleased: Vipps says the payment will never be captured (expired,
// aborted, terminated or cancelled): nothing is owed and the sale is let go.
const SettlementReleased SettlementStatus = "released"

// ErrRefundTooLarge is returned when a refund would take back more than was
// captured and not yet refunded (or requested for refund).
var ErrRefundTooLarge = errors.New("the refund is larger than what is left to refund on this payment")

// SettlementStore is the durable outbox the settlement worker runs from.
// app/store implements it on SQLite and PostgreSQL. Every method is one short
// transaction; the worker never holds one across a call to Vipps.
type SettlementStore interface {
	// ClaimDue atomically moves up to limit due jobs to running, leased until
	// now+lease (the lease is kept in NextAt). A job is due when it is queued,
	// or running with an expired lease, its NextAt ≤ now, and no earlier job of
	// the same sale is unfinished (a parked receipt does not hold back the
	// money). Two workers — in one process or on several tills sharing one
	// PostgreSQL — never get the same job while its lease lasts.
	ClaimDue(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxJob, error)
	// CompleteJob marks a job done (note says why, for the audit trail).
	CompleteJob(ctx context.Context, id int64, note string, now time.Time) error
	// RescheduleJob puts a running job back in the queue for another try.
	RescheduleJob(ctx context.Context, id int64, attempts int, nextAt time.Time, lastErr string, now time.Time) error
	// ParkJob stops retrying a job until a manager asks for it again.
	ParkJob(ctx context.Context, id int64, attempts int, lastErr string, now time.Time) error
	// RetryJob puts a parked job back in the queue, or makes a waiting one
	// (a capture listed for its deadline) due, now.
	RetryJob(ctx context.Context, id int64, now time.Time) error
	// SaleJobs returns every job of a sale in the order they were created.
	SaleJobs(ctx context.Context, saleID int64) ([]OutboxJob, error)
	// EnqueueJobs adds jobs, skipping any whose IdempotencyKey already exists,
	// so reconciliation may run any number of times.
	EnqueueJobs(ctx context.Context, jobs []OutboxJob) error
	// EnqueueRefund adds a refund job for the sale in one transaction that
	// checks the captured amount minus every refund already requested; it
	// returns ErrRefundTooLarge rather than overshoot.
	EnqueueRefund(ctx context.Context, saleID int64, amount Money, now time.Time) (OutboxJob, error)
	// Refundable is captured minus refunds requested so far for the sale.
	Refundable(ctx context.Context, saleID int64) (Money, error)

	// SettlementReceipt is the receipt of the sale as it was paid.
	SettlementReceipt(ctx context.Context, saleID int64) (Receipt, error)
	// RecordSettlement stores how far the sale's settlement has come.
	RecordSettlement(ctx context.Context, saleID int64, status SettlementStatus, now time.Time) error
	// UnsettledPayments lists the authorized sales whose settlement is not
	// final (not done, refunded or released), for reconciliation on start.
	UnsettledPayments(ctx context.Context) ([]UnsettledPayment, error)
	// ReleaseSale finishes every unfinished job of the sale with note and
	// records it as released: Vipps will never let us capture it.
	ReleaseSale(ctx context.Context, saleID int64, note string, now time.Time) error
	// RenewJobKey sets the Idempotency-Key a job's next try sends (the old
	// one was refused for now and stays refused).
	RenewJobKey(ctx context.Context, id int64, key string, now time.Time) error
	// NoteCaptureBy remembers until when Vipps guarantees the reservation
	// of a capture job (captureGuaranteedUntil), for the Problems list.
	NoteCaptureBy(ctx context.Context, id int64, by time.Time) error
	// PaymentCreateKey is the Idempotency-Key our create of reference carried.
	PaymentCreateKey(ctx context.Context, reference string) (string, error)
	// RequeueSale makes the sale's queued jobs due now (after a restart there
	// is no reason to sit out an old backoff).
	RequeueSale(ctx context.Context, saleID int64, now time.Time) error
}

// UnsettledPayment is an authorized sale whose money is not settled yet.
type UnsettledPayment struct {
	SaleID    int64
	Reference string
	Amount    Money // what we recorded as authorized
}

// Backoff is capped exponential backoff with jitter.
type Backoff struct {
	Base time.Duration // wait after the first failure
	Max  time.Duration // never wait longer than this (a Retry-After may)
}

// Delay is the wait after the attempts-th failure; r in [0,1) spreads tills
// that failed together over the second half of the interval.
func (b Backoff) Delay(attempts int, r float64) time.Duration {
	d := b.Base
	for i := 1; i < attempts && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	return d/2 + time.Duration(r*float64(d/2))
}

// Settler is the settlement worker: it runs the outbox jobs (receipt,
// capture, confirm, refund) against Vipps until each is done or parked.
// Create with NewSettler; start Run in its own goroutine.
type Settler struct {
	Store SettlementStore
	Vipps Vipps
	Log   *slog.Logger

	Now  func() time.Time
	Rand func() float64 // in [0,1), for jitter

	Workers     int           // jobs run at the same time
	Lease       time.Duration // a claimed job is someone else's after this
	CallTimeout time.Duration // deadline for one job's calls to Vipps
	Idle        time.Duration // look for due jobs at least this often
	Backoff     Backoff
	// ConfirmTries is how often confirm may find the capture missing before
	// the job is parked (a 200 on capture that Vipps does not show).
	ConfirmTries int
	// MaxAttempts parks a job that failed this many times (0: no limit),
	// with a plain message for the manager. With the backoff capped at a
	// minute, 60 tries are about an hour of Vipps trouble.
	MaxAttempts int

	// OnParked raises a parked job to the till (View.Parked, the manager
	// screen). OnSettled reports a sale's new settlement status. Both are
	// called from worker goroutines and must not block.
	OnParked  func(OutboxJob)
	OnSettled func(saleID int64, status SettlementStatus)

	wakeMu sync.Mutex
	wake   chan struct{} // closed by Kick: wakes every idle worker once
}

// NewSettler returns a worker with production defaults.
func NewSettler(store SettlementStore, vipps Vipps, log *slog.Logger) *Settler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Settler{
		Store: store, Vipps: vipps, Log: log,
		Now: time.Now, Rand: rand.Float64,
		Workers: 8, Lease: 2 * time.Minute, CallTimeout: 30 * time.Second, Idle: 5 * time.Second,
		Backoff:      Backoff{Base: 2 * time.Second, Max: time.Minute},
		ConfirmTries: 10,
		MaxAttempts:  60,
	}
}

// Kick wakes the worker now (a sale was just paid or a refund requested).
// Every idle worker wakes once and looks for due jobs; none of them passes
// the wake-up on, so an idle till stays idle.
func (s *Settler) Kick() {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	if s.wake != nil {
		close(s.wake)
	}
	s.wake = make(chan struct{})
}

// wakeup is the channel the next Kick closes.
func (s *Settler) wakeup() <-chan struct{} {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	if s.wake == nil {
		s.wake = make(chan struct{})
	}
	return s.wake
}

// Run runs due jobs until ctx ends, reconciling with Vipps alongside (not
// before: a long backlog must not keep fresh sales waiting). Failures of the
// store or of Vipps are retried; Run only returns when ctx is done.
func (s *Settler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("settlement: reconciliation incomplete, jobs will catch up", "err", err)
		}
	})
	for range max(1, s.Workers) {
		wg.Go(func() { s.loop(ctx) })
	}
	wg.Wait()
	return ctx.Err()
}

func (s *Settler) loop(ctx context.Context) {
	for ctx.Err() == nil {
		// Taken before looking, so a Kick during the look is not missed.
		wake := s.wakeup()
		n, err := s.RunOnce(ctx, 1)
		if err != nil && ctx.Err() == nil {
			s.Log.Warn("settlement: claiming jobs failed", "err", err)
		}
		if n > 0 {
			continue
		}
		t := time.NewTimer(s.Idle)
		select {
		case <-ctx.Done():
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// RunOnce claims up to limit due jobs and runs them one after the other. It
// returns how many it ran.
func (s *Settler) RunOnce(ctx context.Context, limit int) (int, error) {
	jobs, err := s.Store.ClaimDue(ctx, s.Now(), limit, s.Lease)
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		s.runJob(ctx, j)
	}
	return len(jobs), nil
}

// outcome is what became of one try of a job.
type outcome struct {
	done    bool
	note    string
	park    bool
	err     error
	retryIn time.Duration // at least this long (Retry-After)
	status  SettlementStatus
	newKey  string        // retry under this Idempotency-Key (the old one was refused)
	before  time.Duration // the next try at the latest this long from now (a capture deadline)
}

func (s *Settler) runJob(ctx context.Context, j OutboxJob) {
	cctx, cancel := context.WithTimeout(ctx, s.CallTimeout)
	var o outcome
	switch j.Kind {
	case JobReceipt:
		o = s.attachReceipt(cctx, j)
	case JobCapture:
		o = s.capture(cctx, j)
	case JobConfirm:
		o = s.confirm(cctx, j)
	case JobRefund:
		o = s.refund(cctx, j)
	case JobRelease:
		o = s.releaseStranded(cctx, j)
	default:
		o = outcome{park: true, err: fmt.Errorf("unknown settlement job kind %q", j.Kind)}
	}
	cancel()
	if ctx.Err() != nil {
		// Shutting down: leave the job running; its lease runs out and the
		// same request is sent again with the same key.
		return
	}
	s.record(ctx, j, o)
}

func (s *Settler) record(ctx context.Context, j OutboxJob, o outcome) {
	now := s.Now()
	log := s.Log.With("sale", j.SaleID, "reference", j.Reference, "job", j.ID, "kind", j.Kind)
	var err error
	switch {
	case o.done && o.status == SettlementReleased:
		err = s.Store.ReleaseSale(ctx, j.SaleID, o.note, now)
		log.Warn("settlement: sale released", "note", o.note)
		if err == nil && s.OnSettled != nil {
			s.OnSettled(j.SaleID, o.status)
		}
	case o.done:
		err = s.Store.CompleteJob(ctx, j.ID, o.note, now)
		log.Info("settlement: job done", "note", o.note)
		if err == nil && o.status != "" {
			err = s.Store.RecordSettlement(ctx, j.SaleID, o.status, now)
			if err == nil && s.OnSettled != nil {
				s.OnSettled(j.SaleID, o.status)
			}
		}
	case o.park:
		j.Attempts++
		j.State, j.LastError = JobParked, o.err.Error()
		err = s.Store.ParkJob(ctx, j.ID, j.Attempts, j.LastError, now)
		log.Error("settlement: job parked, a manager must look at it", "err", o.err, "attempts", j.Attempts)
		if err == nil && j.Kind != JobReceipt && j.Kind != JobRelease {
			err = s.Store.RecordSettlement(ctx, j.SaleID, SettlementParked, now)
		}
		if err == nil && s.OnParked != nil {
			s.OnParked(j)
		}
	case j.Attempts+1 >= s.MaxAttempts && s.MaxAttempts > 0:
		j.Attempts++
		j.State, j.LastError = JobParked, fmt.Sprintf("Vipps did not accept the %s after %d tries; the last answer was: %v", j.Kind, j.Attempts, o.err)
		err = s.Store.ParkJob(ctx, j.ID, j.Attempts, j.LastError, now)
		log.Error("settlement: job parked after too many tries, a manager must look at it", "err", o.err, "attempts", j.Attempts)
		if err == nil && j.Kind != JobReceipt && j.Kind != JobRelease {
			err = s.Store.RecordSettlement(ctx, j.SaleID, SettlementParked, now)
		}
		if err == nil && s.OnParked != nil {
			s.OnParked(j)
		}
	default:
		if o.newKey != "" {
			if err = s.Store.RenewJobKey(ctx, j.ID, o.newKey, now); err != nil {
				break
			}
		}
		j.Attempts++
		wait := s.Backoff.Delay(j.Attempts, s.Rand())
		if o.retryIn > 0 {
			// Vipps said when: escalating on top would punish a job for
			// the traffic of others (a 429 burst hits whoever is in flight).
			wait = o.retryIn + time.Duration(s.Rand()*float64(o.retryIn)/10)
		}
		if o.before > 0 && wait > o.before && o.before >= o.retryIn {
			wait = o.before
		}
		err = s.Store.RescheduleJob(ctx, j.ID, j.Attempts, now.Add(wait), o.err.Error(), now)
		log.Warn("settlement: job will be retried", "err", o.err, "attempts", j.Attempts, "in", wait)
	}
	if err != nil {
		// The job stays running; when its lease ends it runs again, which is
		// safe: every request carries the same idempotency key.
		log.Error("settlement: recording the job's outcome failed", "err", err)
	}
}

// retry is the outcome for errors worth another try; ge's RetryAfter is
// honoured.
func retry(err error) outcome {
	o := outcome{err: err}
	var ge *GatewayError
	if errors.As(err, &ge) {
		o.retryIn = ge.RetryAfter
	}
	return o
}

// retryable: transient trouble and anything we cannot classify (a plain
// network error) is tried again; Vipps' verdicts are not.
func retryable(err error) bool {
	switch KindOf(err) {
	case ErrTransient, ErrRateLimited, ErrUnauthorized, ErrUnknown, ErrRetryLater:
		return true
	}
	return false
}

func (s *Settler) attachReceipt(ctx context.Context, j OutboxJob) outcome {
	r, err := s.Store.SettlementReceipt(ctx, j.SaleID)
	if err != nil {
		return retry(fmt.Errorf("reading the receipt: %w", err))
	}
	err = s.Vipps.AddReceipt(ctx, j.Reference, r)
	switch {
	case err == nil:
		return outcome{done: true, note: "receipt attached"}
	case KindOf(err) == ErrConflict:
		// Receipts are write-once per reference, and the reference is ours:
		// an earlier try (before a crash) got through.
		return outcome{done: true, note: "receipt was already attached"}
	case retryable(err):
		return retry(err)
	}
	return outcome{park: true, err: err}
}

// CaptureWarning is how long before Vipps stops guaranteeing a reservation
// (captureGuaranteedUntil) a capture that has not gone through is shown in
// the Problems list: after the deadline the money may never arrive.
const CaptureWarning = 48 * time.Hour

func (s *Settler) capture(ctx context.Context, j OutboxJob) outcome {
	known := !j.CaptureBy.IsZero()
	o := s.tryCapture(ctx, &j)
	if o.done {
		return o
	}
	if !known {
		// The capture did not go through: learn Vipps' deadline for it now,
		// while it is early, so that the Problems list warns in time. A
		// payment Vipps gives no deadline for is asked again only every
		// tenth try, not on each.
		if j.CaptureBy.IsZero() && j.Attempts%10 == 0 {
			if info, err := s.Vipps.GetPayment(ctx, j.Reference); err == nil {
				j.CaptureBy = info.CaptureGuaranteedUntil
			}
		}
		if !j.CaptureBy.IsZero() {
			if err := s.Store.NoteCaptureBy(ctx, j.ID, j.CaptureBy); err != nil {
				s.Log.Warn("settlement: remembering the capture deadline failed", "job", j.ID, "err", err)
			}
		}
	}
	if left := j.CaptureBy.Sub(s.Now()); !j.CaptureBy.IsZero() && left > 0 {
		// Capture before the deadline: the next try never waits past half
		// of the time that is left.
		o.before = left / 2
	}
	return o
}

func (s *Settler) tryCapture(ctx context.Context, j *OutboxJob) outcome {
	info, err := s.Vipps.Capture(ctx, j.Reference, j.Amount, j.Key())
	if err == nil {
		if info.Captured >= j.Amount {
			return outcome{done: true, note: fmt.Sprintf("captured %d", info.Captured)}
		}
		return retry(fmt.Errorf("capture answered with captured %d of %d", info.Captured, j.Amount))
	}
	if retryable(err) && KindOf(err) != ErrRetryLater {
		return retry(err)
	}
	// Vipps refused: read the truth before deciding. "Already captured"
	// (ours before a crash, or from the business portal) is success.
	truth, terr := s.Vipps.GetPayment(ctx, j.Reference)
	if terr == nil && j.CaptureBy.IsZero() {
		j.CaptureBy = truth.CaptureGuaranteedUntil
	}
	if KindOf(terr) == ErrNotFound {
		return outcome{park: true, err: fmt.Errorf("%w; the payment is unknown at Vipps", err)}
	}
	if terr != nil {
		return retry(fmt.Errorf("%w; reading the payment: %v", err, terr))
	}
	switch {
	case truth.Captured >= j.Amount:
		return outcome{done: true, note: fmt.Sprintf("already captured %d (%v)", truth.Captured, err)}
	case truth.State != VippsAuthorized:
		return outcome{done: true, note: "payment " + truth.State + ": nothing to capture", status: SettlementReleased}
	case truth.Cancelled > 0 && truth.Captured == 0 && truth.Cancelled >= truth.Authorized:
		return outcome{done: true, note: "reservation cancelled: nothing to capture", status: SettlementReleased}
	case KindOf(err) == ErrConflict:
		return retry(err) // e.g. another operation in progress on the payment
	case KindOf(err) == ErrRetryLater:
		// Read back and not captured: the refused key is spent, the next
		// try goes under a new one.
		o := retry(err)
		o.newKey = renewedKey(*j)
		return o
	}
	return outcome{park: true, err: err}
}

func (s *Settler) confirm(ctx context.Context, j OutboxJob) outcome {
	var captureKeys []string
	jobs, err := s.Store.SaleJobs(ctx, j.SaleID)
	if err != nil {
		return retry(fmt.Errorf("reading the sale's jobs: %w", err))
	}
	for _, o := range jobs {
		if o.Kind == JobCapture && o.Reference == j.Reference {
			captureKeys = append(captureKeys, o.IdempotencyKey, o.Key())
		}
	}
	info, err := s.Vipps.GetPayment(ctx, j.Reference)
	if err != nil {
		return s.confirmFailed(j, err)
	}
	if info.State != VippsAuthorized && info.Captured == 0 {
		return outcome{done: true, note: "payment " + info.State + ": nothing captured", status: SettlementReleased}
	}
	events, err := s.Vipps.PaymentEvents(ctx, j.Reference)
	if err != nil {
		return s.confirmFailed(j, err)
	}
	ours := false
	for _, e := range events {
		if e.Name == "CAPTURED" && e.Success && (len(captureKeys) == 0 || slices.Contains(captureKeys, e.IdempotencyKey)) {
			ours = true
		}
	}
	if info.Captured >= j.Amount && ours {
		return outcome{done: true, note: fmt.Sprintf("confirmed: captured %d of %d authorized", info.Captured, info.Authorized), status: SettlementDone}
	}
	err = fmt.Errorf("capture not visible at Vipps: captured %d of %d, our capture event found: %v", info.Captured, j.Amount, ours)
	if j.Attempts+1 >= s.ConfirmTries {
		return outcome{park: true, err: err}
	}
	return retry(err)
}

func (s *Settler) confirmFailed(j OutboxJob, err error) outcome {
	if retryable(err) || KindOf(err) == ErrConflict {
		return retry(err)
	}
	return outcome{park: true, err: err}
}

func (s *Settler) refund(ctx context.Context, j OutboxJob) outcome {
	// Read first: a refund sent before a crash shows up with our key, and
	// a refund must never take back more than is captured and not refunded.
	info, err := s.Vipps.GetPayment(ctx, j.Reference)
	if err != nil {
		return s.confirmFailed(j, err)
	}
	events, err := s.Vipps.PaymentEvents(ctx, j.Reference)
	if err != nil {
		return s.confirmFailed(j, err)
	}
	for _, e := range events {
		if e.Name == "REFUNDED" && e.Success && (e.IdempotencyKey == j.IdempotencyKey || e.IdempotencyKey == j.Key()) {
			return s.refunded(info, "refund was already made")
		}
	}
	if left := info.Captured - info.Refunded; j.Amount > left {
		return outcome{park: true, err: fmt.Errorf("refund of %d exceeds the %d captured and not refunded", j.Amount, left)}
	}
	after, err := s.Vipps.Refund(ctx, j.Reference, j.Amount, j.Key())
	switch {
	case err == nil:
		return s.refunded(after, fmt.Sprintf("refunded %d", j.Amount))
	case KindOf(err) == ErrRetryLater:
		// Read first on the next try (as always), then under a new key.
		o := retry(err)
		o.newKey = renewedKey(j)
		return o
	case retryable(err), KindOf(err) == ErrConflict:
		return retry(err)
	}
	return outcome{park: true, err: err}
}

func (s *Settler) refunded(info PaymentInfo, note string) outcome {
	o := outcome{done: true, note: note}
	if info.Captured > 0 && info.Refunded >= info.Captured {
		o.status = SettlementRefunded
	}
	return o
}

// Refund asks for money back to the customer for a return: amount of the
// sale's captured payment, through the outbox with the same guarantees as
// capture. A full refund is Refund(ctx, id, Refundable).
func (s *Settler) Refund(ctx context.Context, saleID int64, amount Money) (OutboxJob, error) {
	if amount <= 0 {
		return OutboxJob{}, fmt.Errorf("refund amount must be positive, got %d", amount)
	}
	j, err := s.Store.EnqueueRefund(ctx, saleID, amount, s.Now())
	if err == nil {
		s.Log.Info("settlement: refund queued", "sale", saleID, "reference", j.Reference, "amount", amount)
		s.Kick()
	}
	return j, err
}

// RefundAll refunds whatever of the sale is captured and not yet refunded.
func (s *Settler) RefundAll(ctx context.Context, saleID int64) (OutboxJob, error) {
	left, err := s.Store.Refundable(ctx, saleID)
	if err != nil {
		return OutboxJob{}, err
	}
	if left <= 0 {
		return OutboxJob{}, ErrRefundTooLarge
	}
	return s.Refund(ctx, saleID, left)
}

// RetryParked is the manager's "try again" on a parked job.
func (s *Settler) RetryParked(ctx context.Context, id int64) error {
	err := s.Store.RetryJob(ctx, id, s.Now())
	if err == nil {
		s.Kick()
	}
	return err
}

// renewedKey is the next Idempotency-Key of a job Vipps refused for now.
func renewedKey(j OutboxJob) string {
	return IdempotencyKey(j.Reference, fmt.Sprintf("%s-r%d", j.Kind, j.Attempts+1))
}

// releaseStranded makes sure a request no sale will take holds no money: one the
// till gave up on, or that a voided or otherwise paid sale left behind. It
// first proves from the event log that the payment is ours (our create key
// on CREATED): a reference that turned out to be another installation's is
// never touched. Open requests are cancelled before the customer can still
// approve them; an approval is cancelled (the reservation released) and
// reported on the Problems list, so a manager can tell the customer.
func (s *Settler) releaseStranded(ctx context.Context, j OutboxJob) outcome {
	info, err := s.Vipps.GetPayment(ctx, j.Reference)
	switch {
	case KindOf(err) == ErrNotFound:
		return outcome{done: true, note: "the request never reached Vipps: nothing to release"}
	case err != nil:
		return s.confirmFailed(j, err)
	}
	switch {
	case info.State == VippsAborted, info.State == VippsExpired, info.State == VippsTerminated:
		return outcome{done: true, note: "payment " + info.State + ": nothing reserved"}
	case info.State == VippsAuthorized && info.Cancelled >= info.Authorized:
		return outcome{done: true, note: "reservation already released"}
	case info.Captured > 0:
		return outcome{park: true, err: fmt.Errorf("a payment this till gave up on was captured (%d): check it in the Vipps portal", info.Captured)}
	}
	key, err := s.Store.PaymentCreateKey(ctx, j.Reference)
	if err != nil {
		return retry(fmt.Errorf("reading the payment's create key: %w", err))
	}
	events, err := s.Vipps.PaymentEvents(ctx, j.Reference)
	if err != nil {
		return s.confirmFailed(j, err)
	}
	ours := false
	for _, e := range events {
		ours = ours || (e.Name == VippsCreated && e.IdempotencyKey == key)
	}
	if !ours {
		return outcome{done: true, note: "the payment under this reference is not ours: left alone"}
	}
	approved := info.State == VippsAuthorized
	after, err := s.Vipps.CancelPayment(ctx, j.Reference, false, j.Key())
	switch {
	case err == nil && approved:
		return outcome{park: true, err: fmt.Errorf("released an approval of %s that came after the sale had moved on (now %s, cancelled %d): tell the customer the money was given back; Retry clears this", FormatAmount(info.Authorized, "en"), after.State, after.Cancelled)}
	case err == nil:
		return outcome{done: true, note: "open request cancelled (" + after.State + ")"}
	case KindOf(err) == ErrRetryLater:
		o := retry(err)
		o.newKey = renewedKey(j)
		return o
	}
	return retry(err) // e.g. the customer is approving right now: read again
}
