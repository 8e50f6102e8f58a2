package flow_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/flow/flowtest"
)

// moneyVipps adds capture, refund and receipts to flowtest.Vipps with the
// idempotency Vipps promises: a repeated key does nothing twice. A refund
// can be made to lose its answer after the money moved.
type moneyVipps struct {
	*flowtest.Vipps
	mu             sync.Mutex
	captured       map[string]flow.Money
	refunded       map[string]flow.Money
	events         map[string][]flow.PaymentEvent
	refundsApplied int
	loseNextRefund bool
}

func (v *moneyVipps) GetPayment(ctx context.Context, ref string) (flow.PaymentInfo, error) {
	info, err := v.Vipps.GetPayment(ctx, ref)
	v.mu.Lock()
	defer v.mu.Unlock()
	info.Captured, info.Refunded = v.captured[ref], v.refunded[ref]
	return info, err
}

func (v *moneyVipps) PaymentEvents(ctx context.Context, ref string) ([]flow.PaymentEvent, error) {
	ev, err := v.Vipps.PaymentEvents(ctx, ref)
	v.mu.Lock()
	defer v.mu.Unlock()
	return append(ev, v.events[ref]...), err
}

func (v *moneyVipps) seen(ref, name, key string) bool {
	for _, e := range v.events[ref] {
		if e.Name == name && e.IdempotencyKey == key {
			return true
		}
	}
	return false
}

func (v *moneyVipps) Capture(ctx context.Context, ref string, amount flow.Money, key string) (flow.PaymentInfo, error) {
	v.mu.Lock()
	if !v.seen(ref, "CAPTURED", key) {
		v.captured[ref] += amount
		v.events[ref] = append(v.events[ref], flow.PaymentEvent{Reference: ref, Name: "CAPTURED", Amount: amount, IdempotencyKey: key, Success: true})
	}
	v.mu.Unlock()
	return v.GetPayment(ctx, ref)
}

func (v *moneyVipps) Refund(ctx context.Context, ref string, amount flow.Money, key string) (flow.PaymentInfo, error) {
	v.mu.Lock()
	if !v.seen(ref, "REFUNDED", key) {
		v.refunded[ref] += amount
		v.refundsApplied++
		v.events[ref] = append(v.events[ref], flow.PaymentEvent{Reference: ref, Name: "REFUNDED", Amount: amount, IdempotencyKey: key, Success: true})
	}
	lose := v.loseNextRefund
	v.loseNextRefund = false
	v.mu.Unlock()
	if lose {
		return flow.PaymentInfo{}, &flow.GatewayError{Kind: flow.ErrTransient, Message: "connection reset after the refund was made"}
	}
	return v.GetPayment(ctx, ref)
}

func (v *moneyVipps) AddReceipt(context.Context, string, flow.Receipt) error { return nil }

// A return at the till refunds the customer exactly once through the
// settlement worker, even when Vipps' answer is lost, is journaled once as
// a return receipt, and only a manager may make it.
func TestReturnRefundsOnceAndIsJournaled(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		ctx := r.ctx
		mv := &moneyVipps{Vipps: r.vipps, captured: map[string]flow.Money{}, refunded: map[string]flow.Money{}, events: map[string][]flow.PaymentEvent{}}
		ej := flow.NewElectronicJournal(r.db, "pos1", time.UTC, r.clock.Now)
		session := flow.NewCashierSession(r.db, ej, r.clock.Now)
		ola, kari := fastCashier(t, r, "Ola", flow.RoleManager, "1234"), fastCashier(t, r, "Kari", flow.RoleCashier, "5678")
		_, err := session.Login(ctx, kari.ID, "5678")
		r.must(err)

		// The till as the app wires it: the checkout journals closed sales.
		r.till.Close()
		r.till = flow.NewCheckout(flow.Options{POSID: "pos1", Currency: "NOK", StoreName: "Testbutikken", Store: r.db,
			Vipps: mv, Clock: r.clock, BindingMessage: func() string { return "AB12-CD3" },
			OnSaleClosed: ej.SaleClosed, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		r.must(r.till.Resume(ctx))
		t.Cleanup(r.till.Close)
		till := &flow.JournaledTill{Till: r.till, Journal: ej, Sales: r.db, Session: session}

		r.customer(qrKari)
		r.product(melk)
		r.must(till.AddProduct(ctx, batteri, 2))
		ref := r.paying().Payment.Reference
		mv.Approve(ref)
		r.clock.Advance(time.Second)
		id := r.status(flow.PaymentAuthorized).SaleID
		sale := waitForJournal(t, ej, flow.JournalSale)
		if sale.SaleID != id || sale.Amount != 2590+2*8900 || sale.CashierName != "Kari" {
			t.Fatalf("sale journaled as %+v", sale)
		}

		settler := flow.NewSettler(r.db, mv, nil)
		settler.Now, settler.Rand = r.clock.Now, func() float64 { return 0 }
		drain := func() {
			t.Helper()
			for range 10 {
				n, err := settler.RunOnce(ctx, 10)
				r.must(err)
				if n == 0 {
					r.clock.Advance(time.Hour) // past any backoff
					if n, _ = settler.RunOnce(ctx, 10); n == 0 {
						return
					}
				}
			}
		}
		drain()
		if mv.captured[ref] != 2590+2*8900 {
			t.Fatalf("captured %d", mv.captured[ref])
		}

		// A cashier may not refund.
		if err := till.Refund(ctx, id, map[int]int{1: 1}); !errors.Is(err, flow.ErrNotAllowed) {
			t.Fatalf("cashier refund: %v", err)
		}
		_, err = session.Login(ctx, ola.ID, "1234")
		r.must(err)
		r.must(till.Refund(ctx, id, map[int]int{1: 1}))
		mv.loseNextRefund = true
		drain()
		if mv.refundsApplied != 1 || mv.refunded[ref] != 8900 {
			t.Fatalf("after one return with a lost answer: %d refunds, %d refunded", mv.refundsApplied, mv.refunded[ref])
		}
		r.must(till.Refund(ctx, id, nil)) // the rest
		drain()
		drain()
		if mv.refundsApplied != 2 || mv.refunded[ref] != 2590+2*8900 {
			t.Fatalf("after returning everything: %d refunds, %d refunded", mv.refundsApplied, mv.refunded[ref])
		}
		if err := till.Refund(ctx, id, nil); err == nil {
			t.Fatal("a fully returned sale was refunded again")
		}

		returns, err := r.db.JournalRecords(ctx, flow.JournalQuery{TillID: "pos1", Events: []flow.JournalEvent{flow.JournalReturn}})
		r.must(err)
		if len(returns) != 2 || returns[0].Amount != -8900 || returns[1].Amount != -(2590+8900) || returns[0].CashierName != "Ola" {
			t.Fatalf("returns journaled: %+v", returns)
		}
		z, err := ej.ZReport(ctx)
		r.must(err)
		if z.Sales != (flow.Tally{Count: 1, Amount: 2590 + 2*8900}) || z.Returns != (flow.Tally{Count: 2, Amount: 2590 + 2*8900}) || z.Net != 0 {
			t.Errorf("Z report: sales %+v returns %+v net %d", z.Sales, z.Returns, z.Net)
		}
		if n, err := flow.VerifyJournal(ctx, r.db); err != nil || n == 0 {
			t.Errorf("journal verify: %d records, %v", n, err)
		}
	})
}

// fastCashier stores a cashier whose PIN hash is cheap to check.
func fastCashier(t *testing.T, r *rig, name string, role flow.Role, pin string) flow.Cashier {
	t.Helper()
	h, err := flow.HashPINWithCost(pin, 1000)
	r.must(err)
	c := flow.Cashier{Name: name, Role: role, PINHash: h, Active: true}
	r.must(r.db.SaveCashier(r.ctx, &c))
	return c
}

// waitForJournal waits for the checkout's background hook to journal ev.
func waitForJournal(t *testing.T, ej *flow.ElectronicJournal, ev flow.JournalEvent) flow.JournalRecord {
	t.Helper()
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		if rec, err := ej.Store.LastJournalRecord(context.Background(), ej.TillID, ev); err == nil {
			return rec
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s never reached the journal", ev)
		}
	}
}
