package flow

import (
	"context"
	"fmt"
	"sort"
)

// The cash drawer in the journal: the change float put in when a cashier's
// session starts, and the cash counted at the close (kassasystemforskriften
// § 2-2: veksel and opptalt kontantbeholdning; both SAF-T 13999 events with
// the amount).
const (
	JournalCashFloat JournalEvent = "cash-float" // 13999: change float put in the drawer
	JournalCashCount JournalEvent = "cash-count" // 13999: cash counted in the drawer
)

// RecordCashFloat journals the change float a cashier starts with.
func (j *ElectronicJournal) RecordCashFloat(ctx context.Context, amount Money) error {
	if amount < 0 {
		return fmt.Errorf("a change float of %d is not money in a drawer", amount)
	}
	return j.RecordEvent(ctx, JournalCashFloat, 0, "", amount, "change float put in the drawer")
}

// RecordCashCount journals the cash counted in the drawer at the close; the
// next X or Z report shows it against what the drawer should hold.
func (j *ElectronicJournal) RecordCashCount(ctx context.Context, amount Money) error {
	if amount < 0 {
		return fmt.Errorf("a cash count of %d is not money in a drawer", amount)
	}
	return j.RecordEvent(ctx, JournalCashCount, 0, "", amount, "cash counted in the drawer")
}

// DrawerOpened journals an opening of the drawer without a sale (a cashier's
// "open drawer"): counted on X and Z as an opening without a sale.
func (j *ElectronicJournal) DrawerOpened(ctx context.Context, reason string) error {
	if reason == "" {
		reason = "drawer opened without a sale"
	}
	return j.RecordEvent(ctx, JournalDrawerOpen, 0, "", 0, reason)
}

func (r *Report) addCash(rec JournalRecord) {
	switch rec.Event {
	case JournalCashFloat:
		r.CashFloat += rec.Amount
	case JournalCashCount:
		r.CashCounted, r.CashCounts = rec.Amount, r.CashCounts+1
	}
}

// sumCash works out what the drawer should hold and the difference to the
// count, once the period's records are summed.
func (r *Report) sumCash() {
	r.CashExpected = r.CashFloat
	for _, p := range r.Payments {
		if p.Method == string(TenderCash) {
			r.CashExpected += p.Amount
		}
	}
	if r.CashCounts > 0 {
		r.CashDifference = r.CashCounted - r.CashExpected
	}
	for i := range r.Cashiers {
		sort.Slice(r.Cashiers[i].Payments, func(a, b int) bool { return r.Cashiers[i].Payments[a].Method < r.Cashiers[i].Payments[b].Method })
	}
}

// addPayment adds one sale's payment to a list per method.
func addPayment(list []ReportPayment, p SaleRecordPayment) []ReportPayment {
	for i := range list {
		if list[i].Method == p.Method {
			list[i].add(p.Amount)
			return list
		}
	}
	return append(list, ReportPayment{Method: p.Method, Count: 1, Amount: p.Amount})
}

// PaymentAmount is what the report's payments of method add up to.
func (r Report) PaymentAmount(method TenderKind) Money {
	for _, p := range r.Payments {
		if p.Method == string(method) {
			return p.Amount
		}
	}
	return 0
}

// methodName is a payment method as the printed report names it.
func methodName(L map[string]string, method string) string {
	if n := L[method]; n != "" {
		return n
	}
	return method
}
