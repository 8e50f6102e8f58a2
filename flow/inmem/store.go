// Package inmem keeps a till's data in memory: the catalogue, the club,
// sales with their payments, journal and Vipps events, and the settlement
// jobs. It implements flow.Store and flow.SettlementStore with the rules of
// app/store (one receipt sequence per till, unique payment references and
// job keys, a transition stored whole or not at all), so the UI's tests,
// its demo and any harness run the real checkout without a database. The
// contract suite in flow/flowtest runs over it, SQLite and PostgreSQL alike.
package inmem

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// Store is an in-memory flow.Store. The zero value is not usable; call New.
type Store struct {
	mu       sync.Mutex
	now      func() time.Time
	products map[string]flow.Product // by GTIN key
	members  []flow.Member
	sales    map[int64]*sale
	payments []flow.Payment
	journal  []flow.JournalEntry
	events   []flow.PaymentEvent
	jobs     []flow.OutboxJob
	outcomes map[int64]flow.SettlementStatus
	vouchers map[string]*flow.Voucher
	nextID   int64
	club     flow.ClubRules
}

// sale is a stored sale: the sale as last saved (without its payment,
// which lives in payments) and the member it is linked to.
type sale struct {
	s        *flow.Sale
	memberID int64
}

var (
	_ flow.Store           = (*Store)(nil)
	_ flow.SettlementStore = (*Store)(nil)
)

// New returns an empty store; now stamps what the store itself dates
// (nil: time.Now).
func New(now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{now: now, products: map[string]flow.Product{}, sales: map[int64]*sale{},
		outcomes: map[int64]flow.SettlementStatus{}, vouchers: map[string]*flow.Voucher{}}
}

func (m *Store) id() int64 { m.nextID++; return m.nextID }

// UpsertProducts stores products, new or changed.
func (m *Store) UpsertProducts(_ context.Context, ps []flow.Product) error {
	keys := make([]string, len(ps))
	for i, p := range ps {
		k, err := flow.GTINKey(p.GTIN)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, p := range ps {
		m.products[keys[i]] = p
	}
	return nil
}

// ProductByGTIN finds a product by any GTIN form.
func (m *Store) ProductByGTIN(_ context.Context, gtin string) (flow.Product, error) {
	k, err := flow.GTINKey(gtin)
	if err != nil {
		return flow.Product{}, flow.ErrNoRecord
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.products[k]
	if !ok {
		return flow.Product{}, flow.ErrNoRecord
	}
	return p, nil
}

// SearchProducts finds active products whose GTIN starts with query (all
// digits) or whose name contains it, names starting with it first.
func (m *Store) SearchProducts(_ context.Context, query string, limit int) ([]flow.Product, error) {
	query = strings.TrimSpace(query)
	if limit <= 0 {
		limit = 20
	}
	m.mu.Lock()
	var active []flow.Product
	for _, p := range m.products {
		if p.Active {
			active = append(active, p)
		}
	}
	m.mu.Unlock()
	lower := strings.ToLower(query)
	var first, then []flow.Product
	switch {
	case query == "":
		first = active
		sort.Slice(first, func(i, j int) bool { return first[i].Name < first[j].Name })
	case strings.Trim(query, "0123456789") == "":
		for _, p := range active {
			if strings.HasPrefix(p.GTIN, query) {
				first = append(first, p)
			}
		}
		sort.Slice(first, func(i, j int) bool { return first[i].GTIN < first[j].GTIN })
	default:
		lower = strings.NewReplacer("%", "", "_", "").Replace(lower)
		if lower == "" {
			return nil, nil
		}
		for _, p := range active {
			switch name := strings.ToLower(p.Name); {
			case strings.HasPrefix(name, lower):
				first = append(first, p)
			case strings.Contains(name, lower):
				then = append(then, p)
			}
		}
		byName := func(ps []flow.Product) {
			sort.Slice(ps, func(i, j int) bool { return strings.ToLower(ps[i].Name) < strings.ToLower(ps[j].Name) })
		}
		byName(first)
		byName(then)
	}
	out := append(first, then...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// AddMember enrols (or updates, by Sub or MSISDN) a member outside a sale.
func (m *Store) AddMember(_ context.Context, mem *flow.Member) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.upsertMemberLocked(mem)
}

func (m *Store) upsertMemberLocked(mem *flow.Member) error {
	idx := -1
	for i, x := range m.members {
		if (mem.Sub != "" && x.Sub == mem.Sub) || x.MSISDN == mem.MSISDN {
			idx = i
			break
		}
	}
	// As the unique indexes: no two members share a number or a sub.
	for i, x := range m.members {
		if i != idx && (x.MSISDN == mem.MSISDN || (mem.Sub != "" && x.Sub == mem.Sub)) {
			return fmt.Errorf("inmem: member %s: phone number or sub taken", flow.MaskMSISDN(mem.MSISDN))
		}
	}
	c := *mem
	c.Scopes = slices.Clone(mem.Scopes)
	c.Consents = slices.Clone(mem.Consents)
	if idx >= 0 {
		old := m.members[idx]
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
		// As the database: the balance changes only by increments, and
		// consents answered before stay unless answered again.
		c.Points = old.Points
		for _, o := range old.Consents {
			if !slices.ContainsFunc(c.Consents, func(n flow.MemberConsent) bool { return n.ID == o.ID }) {
				c.Consents = append(c.Consents, o)
			}
		}
	} else {
		c.ID, c.CreatedAt = m.id(), m.now().UTC()
	}
	slices.SortFunc(c.Consents, func(a, b flow.MemberConsent) int { return strings.Compare(a.ID, b.ID) }) // as the database reads them
	if idx >= 0 {
		m.members[idx] = c
	} else {
		m.members = append(m.members, c)
	}
	mem.ID, mem.CreatedAt = c.ID, c.CreatedAt
	return nil
}

// MemberByMSISDN finds the member with this phone number.
func (m *Store) MemberByMSISDN(_ context.Context, msisdn string) (*flow.Member, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.members {
		if x.MSISDN == msisdn {
			return cloneMember(x), nil
		}
	}
	return nil, flow.ErrNoRecord
}

func cloneMember(x flow.Member) *flow.Member {
	x.Scopes = slices.Clone(x.Scopes)
	x.Consents = slices.Clone(x.Consents)
	return &x
}

func (m *Store) memberLocked(id int64) *flow.Member {
	for _, x := range m.members {
		if x.ID == id {
			return cloneMember(x)
		}
	}
	return nil
}

// CreateSale stores a new sale with the till's next receipt number.
func (m *Store) CreateSale(_ context.Context, s *flow.Sale, j flow.JournalEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var last int64
	for _, x := range m.sales {
		if x.s.POSID == s.POSID && x.s.ReceiptSeq > last {
			last = x.s.ReceiptSeq
		}
	}
	s.ReceiptSeq = last + 1
	s.ReceiptNumber = flow.FormatReceiptNumber(s.ReceiptSeq)
	if s.CreatedAt.IsZero() {
		s.CreatedAt = m.now().UTC()
	}
	s.UpdatedAt = s.CreatedAt
	s.ID = m.id()
	s.Tenders = nil // tenders come with transitions (SaleChange.Tenders)
	st := &sale{s: stored(s)}
	if mem := s.Customer.Member; mem != nil {
		st.memberID = mem.ID
	}
	m.sales[s.ID] = st
	j.SaleID = s.ID
	m.journalLocked(j)
	return nil
}

// stored is what the store keeps of a sale: everything but the payment
// and the member, which are kept apart as in the database.
func stored(s *flow.Sale) *flow.Sale {
	c := s.Clone()
	c.Payment, c.Customer.Member = nil, nil
	return c
}

func (m *Store) journalLocked(j flow.JournalEntry) {
	j.ID = m.id()
	m.journal = append(m.journal, j)
}

// SaveSale stores one transition: all of it, or nothing when any part is
// refused.
func (m *Store) SaveSale(_ context.Context, c flow.SaleChange) error {
	s := c.Sale
	if s == nil || s.ID == 0 {
		return fmt.Errorf("inmem: SaveSale of a sale that was never created")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.sales[s.ID]
	if !ok {
		return fmt.Errorf("inmem: sale %d: %w", s.ID, flow.ErrNoRecord)
	}
	if c.EventsOnly {
		m.eventsAndJournalLocked(c)
		m.jobsLocked(c)
		return nil
	}
	if s.Version != cur.s.Version {
		return fmt.Errorf("inmem: sale %d at version %d: %w", s.ID, s.Version, flow.ErrStaleSale)
	}
	// Check everything that can refuse before changing anything.
	if p := s.Payment; p != nil {
		for _, x := range m.payments {
			if x.Reference == p.Reference && x.SaleID != s.ID {
				return fmt.Errorf("inmem: payment reference %s is another sale's", p.Reference)
			}
		}
	}
	if err := m.checkTendersLocked(cur.s, c); err != nil {
		return err
	}
	if c.NewMember != nil {
		if err := m.upsertMemberLocked(c.NewMember); err != nil {
			return fmt.Errorf("enrolling member: %w", err)
		}
		s.Customer.Member = c.NewMember
	}
	next := stored(s)
	next.CreatedAt = cur.s.CreatedAt
	if !c.LinesChanged {
		next.Lines = slices.Clone(cur.s.Lines)
	}
	next.Tenders = m.addTendersLocked(cur.s, c)
	memberID := int64(0)
	if mem := s.Customer.Member; mem != nil && mem.ID != 0 {
		memberID = mem.ID
	}
	m.sales[s.ID] = &sale{s: next, memberID: memberID}
	if s.Payment != nil {
		m.savePaymentLocked(s)
	}
	m.eventsAndJournalLocked(c)
	m.jobsLocked(c)
	next.Version = s.Version + 1
	s.Version++
	return nil
}

// jobsLocked queues a change's settlement jobs; a job is identified by its
// key, so storing the same authorization twice queues one capture.
func (m *Store) jobsLocked(c flow.SaleChange) {
	for i := range c.Jobs {
		c.Jobs[i].SaleID = c.Sale.ID
		if id, ok := m.jobByKeyLocked(c.Jobs[i].IdempotencyKey); ok {
			c.Jobs[i].ID = id
			continue
		}
		j := c.Jobs[i]
		j.ID = m.id()
		m.jobs = append(m.jobs, j)
		c.Jobs[i].ID = j.ID
	}
}

func (m *Store) savePaymentLocked(s *flow.Sale) {
	p := s.Payment
	p.SaleID = s.ID
	row := *p
	row.UpdatedAt = m.now().UTC()
	for i, x := range m.payments {
		if (p.ID != 0 && x.ID == p.ID) || (p.ID == 0 && x.Reference == p.Reference) {
			row.ID, row.CreatedAt = x.ID, x.CreatedAt
			m.payments[i] = row
			p.ID = x.ID
			return
		}
	}
	row.ID = m.id()
	m.payments = append(m.payments, row)
	p.ID = row.ID
}

func (m *Store) jobByKeyLocked(key string) (int64, bool) {
	for _, j := range m.jobs {
		if j.IdempotencyKey == key {
			return j.ID, true
		}
	}
	return 0, false
}

// eventsAndJournalLocked keeps new events (a duplicate is skipped, as the
// database's unique index does) and the change's journal entries.
func (m *Store) eventsAndJournalLocked(c flow.SaleChange) {
	for _, e := range c.Events {
		dup := false
		for _, x := range m.events {
			if x.Reference == e.Reference && x.Name == e.Name && x.PSPReference == e.PSPReference && x.Success == e.Success {
				dup = true
				break
			}
		}
		if !dup {
			e.At = e.At.UTC()
			m.events = append(m.events, e)
		}
	}
	for _, j := range c.Journal {
		j.SaleID = c.Sale.ID
		m.journalLocked(j)
	}
}

// OpenSales returns a till's sales that are neither paid nor voided, oldest first.
func (m *Store) OpenSales(_ context.Context, posID string) ([]*flow.Sale, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*flow.Sale
	for _, id := range m.saleIDsLocked() {
		x := m.sales[id]
		if x.s.POSID == posID && (x.s.Stage == flow.StageOpen || x.s.Stage == flow.StagePaying) {
			out = append(out, m.saleLocked(id))
		}
	}
	return out, nil
}

func (m *Store) saleIDsLocked() []int64 {
	ids := make([]int64, 0, len(m.sales))
	for id := range m.sales {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Sale loads a sale with its lines, member and latest payment.
func (m *Store) Sale(_ context.Context, id int64) (*flow.Sale, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sales[id]; !ok {
		return nil, fmt.Errorf("sale %d: %w", id, flow.ErrNoRecord)
	}
	return m.saleLocked(id), nil
}

func (m *Store) saleLocked(id int64) *flow.Sale {
	x := m.sales[id]
	s := x.s.Clone()
	if x.memberID != 0 {
		s.Customer.Member = m.memberLocked(x.memberID)
	}
	if p := m.latestPaymentLocked(id); p != nil {
		c := *p
		s.Payment = &c
	}
	return s
}

func (m *Store) latestPaymentLocked(saleID int64) *flow.Payment {
	var best *flow.Payment
	for i := range m.payments {
		p := &m.payments[i]
		if p.SaleID == saleID && (best == nil || p.Attempt > best.Attempt || (p.Attempt == best.Attempt && p.ID > best.ID)) {
			best = p
		}
	}
	return best
}

// RecentSales lists a till's newest finished sales.
func (m *Store) RecentSales(_ context.Context, posID string, n int) ([]flow.SaleSummary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := m.saleIDsLocked()
	var out []flow.SaleSummary
	for i := len(ids) - 1; i >= 0 && len(out) < n; i-- {
		x := m.sales[ids[i]]
		if x.s.POSID != posID || (x.s.Stage != flow.StagePaid && x.s.Stage != flow.StageCancelled) {
			continue
		}
		sum := flow.SaleSummary{SaleID: x.s.ID, ReceiptNumber: x.s.ReceiptNumber, At: x.s.ClosedAt,
			Total: x.s.Total(), Member: x.memberID != 0}
		if p := m.latestPaymentLocked(x.s.ID); p != nil {
			sum.Payment = p.Status
		}
		if x.s.Stage == flow.StagePaid {
			sum.Settlement = m.settlementStatusLocked(x.s.ID)
			for _, j := range m.jobs {
				if j.SaleID == x.s.ID && j.Kind == flow.JobRefund {
					sum.Refunded += j.Amount
				}
			}
			for _, t := range x.s.Tenders {
				if t.Kind != flow.TenderVipps {
					sum.Refunded += t.Refunded
				}
			}
		}
		sum.Stage = x.s.Stage
		out = append(out, sum)
	}
	return out, nil
}

// Journal returns a sale's audit trail, oldest first.
func (m *Store) Journal(_ context.Context, saleID int64) ([]flow.JournalEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []flow.JournalEntry
	for _, j := range m.journal {
		if j.SaleID == saleID {
			out = append(out, j)
		}
	}
	return out, nil
}

// SaleIDByReference finds the sale a payment reference belongs to.
func (m *Store) SaleIDByReference(_ context.Context, reference string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.payments {
		if p.Reference == reference {
			return p.SaleID, nil
		}
	}
	return 0, flow.ErrNoRecord
}

// PaymentEvents returns the events kept for a reference, in time order.
func (m *Store) PaymentEvents(_ context.Context, reference string) ([]flow.PaymentEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []flow.PaymentEvent
	for _, e := range m.events {
		if e.Reference == reference {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// AddRefund records returned quantities and queues the refund job together.
func (m *Store) AddRefund(_ context.Context, saleID int64, returned map[int]int, job flow.OutboxJob, j flow.JournalEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	x, ok := m.sales[saleID]
	if !ok {
		return flow.ErrNoRecord
	}
	lines := slices.Clone(x.s.Lines)
	for pos, qty := range returned {
		if pos < 0 || pos >= len(lines) || lines[pos].RefundedQty+qty > lines[pos].Quantity {
			return fmt.Errorf("line %d: more returned than sold", pos+1)
		}
		lines[pos].RefundedQty += qty
	}
	if _, dup := m.jobByKeyLocked(job.IdempotencyKey); dup {
		return fmt.Errorf("inmem: settlement job %s exists", job.IdempotencyKey)
	}
	x.s.Lines = lines
	job.SaleID, job.ID = saleID, m.id()
	m.jobs = append(m.jobs, job)
	j.SaleID = saleID
	m.journalLocked(j)
	return nil
}

// ClubRules returns the rules set last (none at first).
func (m *Store) ClubRules(_ context.Context) (flow.ClubRules, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.club, nil
}

// SetClubRules puts new club rules in force.
func (m *Store) SetClubRules(_ context.Context, rules flow.ClubRules, _ string) error {
	if err := rules.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.club = rules
	return nil
}
