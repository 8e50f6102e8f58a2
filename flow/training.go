package flow

import (
	"context"
	"errors"
	"sync"
)

// Training mode: a manager switches the till to a second checkout that
// sells against the built-in Vipps simulator and keeps its sales in a
// database of its own, so no training sale reaches Vipps or the shop's
// sales. Its sales are journaled in the till's own electronic journal,
// marked as training (SAF-T trainingID), and counted apart on X and Z.

const (
	JournalTrainingOn  JournalEvent = "training-on"  // 13023
	JournalTrainingOff JournalEvent = "training-off" // 13024
	PermTraining       Permission   = "training"

	// TrainingReceiptPrefix starts the receipt number of a training sale
	// in the journal, so it never shares a number with a real one.
	TrainingReceiptPrefix = "T-"
)

// TrainingTill is the Till the UI drives when training mode exists: it
// passes every intent to the real till or, in training mode, to the
// training till, and marks the View.
type TrainingTill struct {
	Real Till
	// NewTraining makes the training till the first time it is needed.
	NewTraining func(ctx context.Context) (Till, error)
	Journal     *ElectronicJournal
	Session     *CashierSession // nil: anyone may switch

	mu       sync.Mutex
	deliver  sync.Mutex // one View delivered at a time, none across a switch
	required bool       // no real Vipps keys yet: training cannot be switched off
	training Till
	on       bool
	subs     map[int]func(View)
	nextSub  int
	cancels  []func()
}

var _ Till = (*TrainingTill)(nil)

func (t *TrainingTill) active() Till {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.on {
		return t.training
	}
	return t.Real
}

// Training reports whether the till is in training mode.
func (t *TrainingTill) Training() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.on
}

func mark(v View, on bool) View { v.Training = on; return v }

// View is the active till's View, marked in training mode.
func (t *TrainingTill) View() View {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.on {
		return mark(t.training.View(), true)
	}
	return t.Real.View()
}

// Subscribe sends fn the active till's Views.
func (t *TrainingTill) Subscribe(fn func(View)) (cancel func()) {
	t.mu.Lock()
	if t.subs == nil {
		t.subs = map[int]func(View){}
		t.cancels = append(t.cancels, t.Real.Subscribe(func(v View) { t.forward(false, v) }))
	}
	id := t.nextSub
	t.nextSub++
	t.subs[id] = fn
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		delete(t.subs, id)
		t.mu.Unlock()
	}
}

func (t *TrainingTill) forward(training bool, v View) {
	// A View of the till being switched away from, on its way while the
	// switch happens, must not reach the windows after the switch's own.
	t.deliver.Lock()
	defer t.deliver.Unlock()
	t.mu.Lock()
	if t.on != training {
		t.mu.Unlock()
		return
	}
	fns := make([]func(View), 0, len(t.subs))
	for _, fn := range t.subs {
		fns = append(fns, fn)
	}
	t.mu.Unlock()
	for _, fn := range fns {
		fn(mark(v, training))
	}
}

// ErrSaleOpen: training mode is switched only between sales.
var ErrSaleOpen = errors.New("finish or void the sale first")

// ErrTrainingRequired: the till has no real Vipps keys, so it sells in
// training mode until they are entered in the settings.
var ErrTrainingRequired = errors.New("the till has no Vipps keys yet: it stays in training mode until they are entered in the settings")

// RequireTraining starts training mode for a till that has no real Vipps
// keys (a first start before the keys come): nobody needs to be logged in,
// and it cannot be switched off until the till starts with keys.
func (t *TrainingTill) RequireTraining(ctx context.Context) error {
	t.mu.Lock()
	t.required = true
	t.mu.Unlock()
	return t.set(ctx, true)
}

// SetTraining switches training mode on or off (a manager's decision,
// journaled as 13023/13024). It is refused while a sale is open or paying.
func (t *TrainingTill) SetTraining(ctx context.Context, on bool) error {
	if t.Session != nil {
		if err := t.Session.Require(PermTraining); err != nil {
			return err
		}
	}
	t.mu.Lock()
	required := t.required
	t.mu.Unlock()
	if required && !on {
		return ErrTrainingRequired
	}
	return t.set(ctx, on)
}

// set switches between sales, journaling the switch.
func (t *TrainingTill) set(ctx context.Context, on bool) error {
	if st := t.active().View().Stage; st == StageOpen || st == StagePaying {
		return ErrSaleOpen
	}
	t.mu.Lock()
	if t.on == on {
		t.mu.Unlock()
		return nil
	}
	if on && t.training == nil {
		t.mu.Unlock()
		tr, err := t.NewTraining(ctx)
		if err != nil {
			return err
		}
		t.mu.Lock()
		if t.training == nil {
			t.training = tr
			if t.subs != nil {
				t.cancels = append(t.cancels, tr.Subscribe(func(v View) { t.forward(true, v) }))
			}
		}
	}
	t.mu.Unlock()
	ev, text := JournalTrainingOn, "training mode on"
	if !on {
		ev, text = JournalTrainingOff, "training mode off"
	}
	if err := t.Journal.RecordEvent(ctx, ev, 0, "", 0, text); err != nil {
		return err
	}
	t.deliver.Lock() // no View of either till in delivery while switching
	t.mu.Lock()
	t.on = on
	v := t.Real.View()
	if on {
		v = t.training.View()
	}
	t.mu.Unlock()
	t.deliver.Unlock()
	t.forward(on, v)
	return nil
}

// Close stops forwarding Views.
func (t *TrainingTill) Close() {
	t.mu.Lock()
	cancels := t.cancels
	t.cancels = nil
	t.mu.Unlock()
	for _, c := range cancels {
		c()
	}
}

// TrainingSaleClosed journals a sale of the training till: marked as
// training, its receipt number prefixed, with no settlement behind it. It
// fits the training checkout's Options.OnSaleClosed.
func (j *ElectronicJournal) TrainingSaleClosed(ctx context.Context, s *Sale) {
	if s.Stage != StagePaid {
		return
	}
	rec := SaleRecordOf(s)
	rec.Training = true
	rec.ReceiptNumber = TrainingReceiptPrefix + rec.ReceiptNumber
	if _, err := j.RecordSale(ctx, rec); err != nil {
		j.logger().Error("electronic journal: training sale not journaled", "sale", s.ID, "receipt", s.ReceiptNumber, "err", err)
	}
}

func (t *TrainingTill) Scan(ctx context.Context, s Scan) error { return t.active().Scan(ctx, s) }
func (t *TrainingTill) AddProduct(ctx context.Context, gtin string, qty int) error {
	return t.active().AddProduct(ctx, gtin, qty)
}
func (t *TrainingTill) SetQuantity(ctx context.Context, line, qty int) error {
	return t.active().SetQuantity(ctx, line, qty)
}
func (t *TrainingTill) SearchProducts(ctx context.Context, q string, limit int) ([]Product, error) {
	return t.active().SearchProducts(ctx, q, limit)
}
func (t *TrainingTill) Enrol(ctx context.Context) error { return t.active().Enrol(ctx) }
func (t *TrainingTill) RequestPayment(ctx context.Context) error {
	return t.active().RequestPayment(ctx)
}
func (t *TrainingTill) PayByQR(ctx context.Context) error       { return t.active().PayByQR(ctx) }
func (t *TrainingTill) CancelPayment(ctx context.Context) error { return t.active().CancelPayment(ctx) }
func (t *TrainingTill) VoidSale(ctx context.Context) error      { return t.active().VoidSale(ctx) }
func (t *TrainingTill) Tender(ctx context.Context, req TenderRequest) error {
	return t.active().Tender(ctx, req)
}
func (t *TrainingTill) PayAnotherWay(ctx context.Context) error { return t.active().PayAnotherWay(ctx) }
func (t *TrainingTill) NewSale(ctx context.Context) error       { return t.active().NewSale(ctx) }
func (t *TrainingTill) RecentSales(ctx context.Context, n int) ([]SaleSummary, error) {
	return t.active().RecentSales(ctx, n)
}
func (t *TrainingTill) ParkedJobs(ctx context.Context) ([]ParkedJob, error) {
	return t.active().ParkedJobs(ctx)
}
func (t *TrainingTill) RetryParked(ctx context.Context, id int64) error {
	return t.active().RetryParked(ctx, id)
}
func (t *TrainingTill) Refund(ctx context.Context, saleID int64, lines map[int]int) error {
	return t.active().Refund(ctx, saleID, lines)
}
func (t *TrainingTill) RefundTo(ctx context.Context, saleID int64, req RefundRequest) (RefundResult, error) {
	return t.active().RefundTo(ctx, saleID, req)
}
func (t *TrainingTill) Reprint(ctx context.Context, saleID int64) error {
	return t.active().Reprint(ctx, saleID)
}
func (t *TrainingTill) ParkSale(ctx context.Context) error { return t.active().ParkSale(ctx) }
func (t *TrainingTill) ParkedSales(ctx context.Context) ([]SaleSummary, error) {
	return t.active().ParkedSales(ctx)
}
func (t *TrainingTill) ResumeSale(ctx context.Context, saleID int64) error {
	return t.active().ResumeSale(ctx, saleID)
}
