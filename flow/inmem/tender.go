package inmem

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kasse-pos/kasse/flow"
)

var _ flow.Vouchers = (*Store)(nil)

// checkTendersLocked refuses a change whose tenders or voucher redemptions
// the database would refuse: a tender number taken, a voucher unknown or
// its balance short.
func (m *Store) checkTendersLocked(cur *flow.Sale, c flow.SaleChange) error {
	for _, t := range c.Tenders {
		for _, x := range cur.Tenders {
			if x.Seq == t.Seq {
				return fmt.Errorf("inmem: sale %d already has tender %d", cur.ID, t.Seq)
			}
		}
	}
	need := map[string]flow.Money{}
	for _, r := range c.Redeem {
		need[r.Code] += r.Amount
	}
	for code, amt := range need {
		v := m.vouchers[code]
		if v == nil {
			return fmt.Errorf("inmem: no voucher %s: %w", code, flow.ErrVoucherSpent)
		}
		if v.Balance < amt || v.Balance-amt > v.Amount {
			return fmt.Errorf("inmem: voucher %s: %w", code, flow.ErrVoucherSpent)
		}
	}
	return nil
}

// addTendersLocked takes the vouchers' amounts and returns the sale's
// tenders with the new ones; the checks ran before.
func (m *Store) addTendersLocked(cur *flow.Sale, c flow.SaleChange) []flow.Tender {
	for _, r := range c.Redeem {
		v := m.vouchers[r.Code]
		v.Balance -= r.Amount
		v.UpdatedAt = m.now().UTC()
	}
	out := slices.Clone(cur.Tenders)
	for i := range c.Tenders {
		t := c.Tenders[i]
		t.ID, t.SaleID, t.At = m.id(), cur.ID, t.At.UTC()
		c.Tenders[i].ID, c.Tenders[i].SaleID = t.ID, cur.ID
		out = append(out, t)
	}
	for i := range c.Sale.Tenders {
		for _, t := range out {
			if t.Seq == c.Sale.Tenders[i].Seq {
				c.Sale.Tenders[i].ID = t.ID
			}
		}
	}
	return out
}

// IssueVoucher stores a new voucher; its code must be new.
func (m *Store) IssueVoucher(_ context.Context, v flow.Voucher, j flow.JournalEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := strings.TrimSpace(v.Code)
	if key == "" || v.Amount <= 0 || v.Balance < 0 || v.Balance > v.Amount {
		return fmt.Errorf("inmem: voucher %q for %d (balance %d) is not a voucher", v.Code, v.Amount, v.Balance)
	}
	if _, dup := m.vouchers[key]; dup {
		return fmt.Errorf("inmem: voucher %s exists", key)
	}
	now := m.now().UTC()
	v.Code, v.CreatedAt, v.UpdatedAt = key, now, now
	m.vouchers[key] = &v
	if j.Detail != "" {
		m.journalLocked(j)
	}
	return nil
}

// Voucher loads one by code.
func (m *Store) Voucher(_ context.Context, code string) (flow.Voucher, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v := m.vouchers[strings.TrimSpace(code)]
	if v == nil {
		return flow.Voucher{}, fmt.Errorf("voucher %s: %w", code, flow.ErrNoRecord)
	}
	return *v, nil
}

// AddReturn records a return through the sale's tenders, all or nothing.
func (m *Store) AddReturn(_ context.Context, r flow.Return) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	x, ok := m.sales[r.SaleID]
	if !ok {
		return flow.ErrNoRecord
	}
	lines := slices.Clone(x.s.Lines)
	for pos, qty := range r.Returned {
		if pos < 0 || pos >= len(lines) || lines[pos].RefundedQty+qty > lines[pos].Quantity {
			return fmt.Errorf("line %d: more returned than sold", pos+1)
		}
		lines[pos].RefundedQty += qty
	}
	tenders := slices.Clone(x.s.Tenders)
	for _, t := range r.Tenders {
		if t.Seq < 0 {
			continue
		}
		i := slices.IndexFunc(tenders, func(x flow.Tender) bool { return x.Seq == t.Seq })
		if i < 0 || tenders[i].Refunded+t.Amount > tenders[i].Amount {
			return fmt.Errorf("inmem: tender %d of sale %d: %w", t.Seq, r.SaleID, flow.ErrRefundTooLarge)
		}
		tenders[i].Refunded += t.Amount
	}
	if err := m.checkTendersLocked(x.s, flow.SaleChange{Redeem: r.Redeem}); err != nil {
		return err
	}
	if v := r.Issue; v != nil {
		if _, dup := m.vouchers[v.Code]; dup {
			return fmt.Errorf("inmem: voucher %s exists", v.Code)
		}
	}
	for _, j := range r.Jobs {
		if _, dup := m.jobByKeyLocked(j.IdempotencyKey); dup {
			return fmt.Errorf("inmem: settlement job %s exists", j.IdempotencyKey)
		}
	}
	m.addTendersLocked(x.s, flow.SaleChange{Sale: &flow.Sale{ID: r.SaleID}, Redeem: r.Redeem})
	if v := r.Issue; v != nil {
		c := *v
		now := m.now().UTC()
		c.SaleID, c.CreatedAt, c.UpdatedAt = r.SaleID, now, now
		m.vouchers[c.Code] = &c
	}
	x.s.Lines, x.s.Tenders = lines, tenders
	for _, j := range r.Jobs {
		j.SaleID, j.ID = r.SaleID, m.id()
		m.jobs = append(m.jobs, j)
	}
	r.Journal.SaleID = r.SaleID
	m.journalLocked(r.Journal)
	return nil
}
