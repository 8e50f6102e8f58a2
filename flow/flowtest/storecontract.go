package flowtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// ContractStore is what the contract suite checks: the checkout's store,
// the settlement worker's store, and loading a catalogue and a club.
type ContractStore interface {
	flow.Store
	flow.SettlementStore
	flow.Vouchers
	UpsertProducts(ctx context.Context, ps []flow.Product) error
	AddMember(ctx context.Context, m *flow.Member) error
}

// StoreContract is the one suite every store passes: in memory (flow/inmem),
// SQLite and PostgreSQL (app/store). open returns a new, empty store.
func StoreContract(t *testing.T, open func(t *testing.T) ContractStore) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, db ContractStore)
	}{
		{"catalogue", contractCatalogue},
		{"club", contractClub},
		{"receipt numbers", contractReceiptNumbers},
		{"sale round trip", contractSaleRoundTrip},
		{"transition is whole", contractTransitionIsWhole},
		{"events and journal", contractEventsAndJournal},
		{"recent and open sales", contractRecentAndOpen},
		{"settlement jobs", contractSettlementJobs},
		{"refunds", contractRefunds},
		{"tenders", contractTenders},
		{"vouchers redeemed once", contractVoucherOnce},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

var c0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func contractCatalogue(t *testing.T, db ContractStore) {
	ctx := context.Background()
	must(t, db.UpsertProducts(ctx, []flow.Product{
		{GTIN: "7038010000737", Name: "Lettmelk 1 l", Price: 2590, VATRate: 15, Active: true},
		{GTIN: "7040913336684", Name: "Grovbrød", Price: 3990, VATRate: 15, Active: true},
		{GTIN: "7090001230011", Name: "Melkesjokolade", Price: 2500, VATRate: 15, Active: true},
		{GTIN: "036000291452", Name: "Import", Price: 100, VATRate: 25, Active: true},
		{GTIN: "7022222222223", Name: "Julemelk", Price: 2990, VATRate: 15, Active: false},
	}))
	for _, code := range []string{"036000291452", "0036000291452", "00036000291452"} {
		if p, err := db.ProductByGTIN(ctx, code); err != nil || p.Name != "Import" {
			t.Errorf("%s: %+v, %v", code, p, err)
		}
	}
	if p, err := db.ProductByGTIN(ctx, "7022222222223"); err != nil || p.Active {
		t.Errorf("an inactive product is found, marked inactive: %+v, %v", p, err)
	}
	for _, code := range []string{"7038800010014", "123", "703801000073x"} {
		if _, err := db.ProductByGTIN(ctx, code); !errors.Is(err, flow.ErrNoRecord) {
			t.Errorf("%s: %v, want ErrNoRecord", code, err)
		}
	}
	names := func(ps []flow.Product) (out []string) {
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	for _, c := range []struct {
		q     string
		limit int
		want  []string
	}{
		{"MELK", 10, []string{"Melkesjokolade", "Lettmelk 1 l"}}, // starting with it first; inactive never
		{"melk", 1, []string{"Melkesjokolade"}},
		{"70409", 10, []string{"Grovbrød"}},
		{"brød", 10, []string{"Grovbrød"}},
		{"%", 10, nil},
	} {
		got, err := db.SearchProducts(ctx, c.q, c.limit)
		if err != nil || !equal(names(got), c.want) {
			t.Errorf("search %q: %v, %v, want %v", c.q, names(got), err, c.want)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contractClub(t *testing.T, db ContractStore) {
	ctx := context.Background()
	if _, err := db.MemberByMSISDN(ctx, "4791234567"); !errors.Is(err, flow.ErrNoRecord) {
		t.Fatalf("empty club: %v", err)
	}
	m := &flow.Member{MSISDN: "4791234567", Sub: "sub-kari", Name: "Kari Nordmann", GivenName: "Kari", Lang: "nb",
		ConsentAt: c0, Scopes: []string{"openid", "name", "delegatedConsents"}, Consents: []flow.MemberConsent{
			{ID: "sms-offers", Text: "Tilbud på SMS", At: c0},
			{ID: "club-terms", Text: "Klubbens vilkår", Accepted: true, Required: true, At: c0},
		}}
	must(t, db.AddMember(ctx, m))
	if m.ID == 0 {
		t.Fatal("a member got no id")
	}
	// The same person with a new number keeps their record, and the
	// consents they answered (Vipps sends the answers only the first time).
	moved := &flow.Member{MSISDN: "4799999999", Sub: "sub-kari", Name: "Kari Nordmann", GivenName: "Kari", ConsentAt: c0,
		Consents: []flow.MemberConsent{{ID: "sms-offers", Text: "Tilbud på SMS", Accepted: true, At: c0.Add(time.Hour)}}}
	must(t, db.AddMember(ctx, moved))
	if moved.ID != m.ID {
		t.Errorf("a member with a new number got a new record: %d, was %d", moved.ID, m.ID)
	}
	got, err := db.MemberByMSISDN(ctx, "4799999999")
	if err != nil || got.ID != m.ID || got.FirstName() != "Kari" || !got.ConsentAt.Equal(c0) {
		t.Errorf("member by new number: %+v, %v", got, err)
	}
	if err == nil && (len(got.Consents) != 2 || got.Consents[0].ID != "club-terms" || !got.Consents[0].Required ||
		!got.Consents[1].Accepted || !got.Consents[1].At.Equal(c0.Add(time.Hour)) ||
		strings.Join(got.Accepted(), "|") != "Klubbens vilkår|Tilbud på SMS") {
		t.Errorf("consents after a second enrolment: %+v", got.Consents)
	}
	if _, err := db.MemberByMSISDN(ctx, "4791234567"); !errors.Is(err, flow.ErrNoRecord) {
		t.Errorf("the old number still finds the member: %v", err)
	}
}

func newSale(t *testing.T, db ContractStore, pos string, lines ...flow.SaleLine) *flow.Sale {
	t.Helper()
	s := &flow.Sale{POSID: pos, Currency: "NOK", Stage: flow.StageOpen, CreatedAt: c0, UpdatedAt: c0, Lines: lines}
	must(t, db.CreateSale(context.Background(), s, flow.JournalEntry{From: "idle", To: "open", At: c0, Detail: "sale started"}))
	return s
}

var (
	milk  = flow.SaleLine{GTIN: "7038010000737", Name: "Lettmelk 1 l", Quantity: 2, UnitPrice: 2590, VATRate: 15}
	bread = flow.SaleLine{GTIN: "7040913336684", Name: "Grovbrød", Quantity: 1, UnitPrice: 3990, Discount: 500, VATRate: 15}
)

func contractReceiptNumbers(t *testing.T, db ContractStore) {
	a, b, c := newSale(t, db, "pos1"), newSale(t, db, "pos1"), newSale(t, db, "pos2")
	if a.ReceiptNumber != "000001" || b.ReceiptNumber != "000002" || c.ReceiptNumber != "000001" || b.ReceiptSeq != 2 {
		t.Errorf("receipts %s %s (pos1), %s (pos2)", a.ReceiptNumber, b.ReceiptNumber, c.ReceiptNumber)
	}
	if a.ID == 0 || a.ID == b.ID || b.ID == c.ID {
		t.Errorf("sale ids %d %d %d", a.ID, b.ID, c.ID)
	}
}

// pay is the transition to paid, with its settlement jobs.
func pay(s *flow.Sale, ref string) flow.SaleChange {
	next := s.Clone()
	next.Stage, next.ClosedAt, next.Attempt = flow.StagePaid, c0.Add(time.Minute), 1
	next.Payment = &flow.Payment{Reference: ref, Attempt: 1, IdempotencyKey: ref + "-create", Status: flow.PaymentAuthorized,
		Amount: s.Total(), Authorized: s.Total(), Push: true, PushMSISDN: "4791234567", CreatedAt: c0, ExpiresAt: c0.Add(flow.PaymentExpiry)}
	return flow.SaleChange{Sale: next, Jobs: flow.SettlementJobs(s.ID, ref, s.Total(), c0),
		Journal: []flow.JournalEntry{{Reference: ref, From: "paying/waiting", To: "paid/authorized", At: c0, Detail: "Vipps: AUTHORIZED"}}}
}

func contractSaleRoundTrip(t *testing.T, db ContractStore) {
	ctx := context.Background()
	s := newSale(t, db, "pos1", milk)
	next := s.Clone()
	next.Lines = append(next.Lines, bread)
	next.Customer = flow.Customer{QR: "https://qr.vipps.no/p/kari", MSISDN: "4791234567", CheckedIn: true}
	next.Enrolment = &flow.Enrolment{Status: flow.EnrolmentPending, MSISDN: "4791234567", BindingMessage: "AB12-CD3",
		AuthReqID: "auth-1", ExpiresAt: c0.Add(10 * time.Minute), Interval: 5 * time.Second}
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: next, LinesChanged: true}))
	got, err := db.Sale(ctx, s.ID)
	must(t, err)
	if len(got.Lines) != 2 || got.Lines[1] != bread || got.Total() != 2*2590+3990-500 {
		t.Errorf("lines %+v", got.Lines)
	}
	if got.Customer.QR != next.Customer.QR || got.Customer.MSISDN != "4791234567" || !got.Customer.CheckedIn || got.Customer.Member != nil {
		t.Errorf("customer %+v", got.Customer)
	}
	if e := got.Enrolment; e == nil || e.Status != flow.EnrolmentPending || e.AuthReqID != "auth-1" || e.Interval != 5*time.Second || !e.ExpiresAt.Equal(next.Enrolment.ExpiresAt) {
		t.Errorf("enrolment %+v", got.Enrolment)
	}
	// A change that does not say its lines changed keeps the stored ones.
	other := got.Clone()
	other.Lines = nil
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: other}))
	if got, _ := db.Sale(ctx, s.ID); len(got.Lines) != 2 {
		t.Errorf("lines lost by a change that kept them: %+v", got.Lines)
	}
	// A transition computed from an older copy is refused, and changes nothing.
	stale := got.Clone()
	stale.Stage = flow.StageCancelled
	if err := db.SaveSale(ctx, flow.SaleChange{Sale: stale}); !errors.Is(err, flow.ErrStaleSale) {
		t.Errorf("a stale copy was saved: %v", err)
	}
	if got, _ := db.Sale(ctx, s.ID); got.Stage != flow.StageOpen || got.Version != other.Version {
		t.Errorf("after a stale save: stage %s, version %d (want %d)", got.Stage, got.Version, other.Version)
	}
	// The enrolment ends with a new member, linked to the sale.
	done := other.Clone()
	done.Enrolment.Status = flow.EnrolmentDone
	m := &flow.Member{MSISDN: "4791234567", Sub: "sub-kari", Name: "Kari Nordmann", ConsentAt: c0}
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: done, NewMember: m}))
	got, _ = db.Sale(ctx, s.ID)
	if got.Customer.Member == nil || got.Customer.Member.ID != m.ID || m.ID == 0 || got.Enrolment.Status != flow.EnrolmentDone {
		t.Errorf("after enrolment: member %+v, enrolment %+v", got.Customer.Member, got.Enrolment)
	}
	// Attempts: the latest payment is the sale's.
	first := got.Clone()
	first.Stage, first.Attempt = flow.StageOpen, 1
	first.Payment = &flow.Payment{Reference: "pos1-000001", Attempt: 1, IdempotencyKey: "k1", Status: flow.PaymentDeclined, Amount: got.Total(), CreatedAt: c0}
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: first}))
	second := first.Clone()
	second.Attempt, second.Stage = 2, flow.StagePaying
	second.Payment = &flow.Payment{Reference: "pos1-000001-2", Attempt: 2, IdempotencyKey: "k2", Status: flow.PaymentWaiting, QR: "https://qr.example/x",
		Amount: got.Total(), CreatedAt: c0, ExpiresAt: c0.Add(flow.PaymentExpiry), CancelRequested: true, FallbackToQR: true}
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: second}))
	got, _ = db.Sale(ctx, s.ID)
	if p := got.Payment; p == nil || p.Reference != "pos1-000001-2" || p.ID == 0 || p.QR != "https://qr.example/x" || !p.CancelRequested || !p.FallbackToQR || !p.ExpiresAt.Equal(c0.Add(flow.PaymentExpiry)) {
		t.Errorf("latest payment %+v", got.Payment)
	}
	if id, err := db.SaleIDByReference(ctx, "pos1-000001"); err != nil || id != s.ID {
		t.Errorf("sale of the first attempt: %d, %v", id, err)
	}
	if _, err := db.SaleIDByReference(ctx, "pos9-000001"); !errors.Is(err, flow.ErrNoRecord) {
		t.Errorf("unknown reference: %v", err)
	}
	if _, err := db.Sale(ctx, s.ID+1000); !errors.Is(err, flow.ErrNoRecord) {
		t.Errorf("unknown sale: %v", err)
	}
}

func contractTransitionIsWhole(t *testing.T, db ContractStore) {
	ctx := context.Background()
	a, b := newSale(t, db, "pos1", milk), newSale(t, db, "pos1", bread)
	must(t, db.SaveSale(ctx, pay(a, "pos1-000001")))
	// b claims a's reference: the whole transition is refused.
	if err := db.SaveSale(ctx, pay(b, "pos1-000001")); err == nil {
		t.Fatal("a reference of another sale was stored")
	}
	got, _ := db.Sale(ctx, b.ID)
	if got.Stage != flow.StageOpen || got.Payment != nil {
		t.Errorf("sale b half-stored: %s, %+v", got.Stage, got.Payment)
	}
	if jobs, _ := db.SaleJobs(ctx, b.ID); len(jobs) != 0 {
		t.Errorf("jobs without an authorization: %+v", jobs)
	}
	// The same authorization stored twice queues one capture.
	cur, err := db.Sale(ctx, a.ID)
	must(t, err)
	again := pay(cur, "pos1-000001")
	again.Sale.Payment.ID = 0
	must(t, db.SaveSale(ctx, again))
	jobs, _ := db.SaleJobs(ctx, a.ID)
	if len(jobs) != 3 || jobs[0].Kind != flow.JobReceipt || jobs[1].Kind != flow.JobCapture || jobs[1].Amount != a.Total() {
		t.Errorf("jobs of a: %+v", jobs)
	}
	if st, _ := db.SettlementStatus(ctx, a.ID); st != flow.SettlementQueued {
		t.Errorf("settlement %q", st)
	}
}

func contractEventsAndJournal(t *testing.T, db ContractStore) {
	ctx := context.Background()
	s := newSale(t, db, "pos1", milk)
	ch := pay(s, "pos1-000001")
	ev := flow.PaymentEvent{Reference: "pos1-000001", Name: "AUTHORIZED", Amount: 5180, PSPReference: "psp-2", Success: true, At: c0.Add(2 * time.Second)}
	ch.Events = []flow.PaymentEvent{ev, {Reference: "pos1-000001", Name: "CREATED", Amount: 5180, PSPReference: "psp-1", Success: true, At: c0.Add(time.Second)}}
	must(t, db.SaveSale(ctx, ch))
	// A late duplicate delivery for the finished sale keeps only what is new
	// and leaves the sale alone.
	late := s.Clone() // an old copy: open, no payment
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: late, EventsOnly: true, Events: []flow.PaymentEvent{ev,
		{Reference: "pos1-000001", Name: "CAPTURED", Amount: 5180, PSPReference: "psp-3", Success: true, At: c0.Add(3 * time.Second)}},
		Journal: []flow.JournalEntry{{Reference: "pos1-000001", From: "paid/authorized", To: "paid/authorized", At: c0, Detail: "late event"}}}))
	evs, err := db.PaymentEvents(ctx, "pos1-000001")
	must(t, err)
	if len(evs) != 3 || evs[0].Name != "CREATED" || evs[1].Name != "AUTHORIZED" || evs[2].Name != "CAPTURED" || !evs[1].At.Equal(ev.At) {
		t.Errorf("events %+v", evs)
	}
	if got, _ := db.Sale(ctx, s.ID); got.Stage != flow.StagePaid {
		t.Errorf("an events-only change wrote the sale: %s", got.Stage)
	}
	j, err := db.Journal(ctx, s.ID)
	must(t, err)
	if len(j) != 3 || j[0].To != "open" || j[1].To != "paid/authorized" || j[2].Detail != "late event" || j[1].Reference != "pos1-000001" || j[0].ID >= j[1].ID {
		t.Errorf("journal %+v", j)
	}
}

func contractRecentAndOpen(t *testing.T, db ContractStore) {
	ctx := context.Background()
	paid, voided, open, paying := newSale(t, db, "pos1", milk), newSale(t, db, "pos1", bread), newSale(t, db, "pos1", milk), newSale(t, db, "pos1", milk)
	newSale(t, db, "pos2", milk)
	must(t, db.AddMember(ctx, &flow.Member{MSISDN: "4791234567", Sub: "sub-kari", Name: "Kari", ConsentAt: c0}))
	m, _ := db.MemberByMSISDN(ctx, "4791234567")
	ch := pay(paid, "pos1-000001")
	ch.Sale.Customer = flow.Customer{MSISDN: "4791234567", Member: m}
	must(t, db.SaveSale(ctx, ch))
	v := voided.Clone()
	v.Stage, v.ClosedAt = flow.StageCancelled, c0.Add(2*time.Minute)
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: v}))
	p := paying.Clone()
	p.Stage = flow.StagePaying
	p.Payment = &flow.Payment{Reference: "pos1-000004", Attempt: 1, IdempotencyKey: "k4", Status: flow.PaymentWaiting, Amount: p.Total(), CreatedAt: c0}
	must(t, db.SaveSale(ctx, flow.SaleChange{Sale: p}))

	sales, err := db.RecentSales(ctx, "pos1", 10)
	must(t, err)
	if len(sales) != 2 || sales[0].SaleID != voided.ID || sales[1].SaleID != paid.ID {
		t.Fatalf("recent sales %+v", sales)
	}
	if s := sales[1]; s.Payment != flow.PaymentAuthorized || s.Settlement != flow.SettlementQueued || !s.Member || s.Total != paid.Total() ||
		s.ReceiptNumber != "000001" || !s.At.Equal(c0.Add(time.Minute)) {
		t.Errorf("paid sale summary %+v", s)
	}
	if s := sales[0]; s.Payment != "" || s.Settlement != "" || s.Member {
		t.Errorf("voided sale summary %+v", s)
	}
	if one, _ := db.RecentSales(ctx, "pos1", 1); len(one) != 1 || one[0].SaleID != voided.ID {
		t.Errorf("newest sale %+v", one)
	}
	opens, err := db.OpenSales(ctx, "pos1")
	must(t, err)
	if len(opens) != 2 || opens[0].ID != open.ID || opens[1].ID != paying.ID || opens[1].Payment == nil || len(opens[0].Lines) != 1 {
		t.Errorf("open sales %+v", opens)
	}
}

func contractSettlementJobs(t *testing.T, db ContractStore) {
	ctx := context.Background()
	s := newSale(t, db, "pos1", milk)
	must(t, db.SaveSale(ctx, pay(s, "pos1-000001")))
	now := c0.Add(time.Minute)
	// Only the first job of the sale is due: each waits for the one before.
	got, err := db.ClaimDue(ctx, now, 10, time.Minute)
	must(t, err)
	if len(got) != 1 || got[0].Kind != flow.JobReceipt || got[0].State != flow.JobRunning {
		t.Fatalf("claimed %+v", got)
	}
	if again, _ := db.ClaimDue(ctx, now, 10, time.Minute); len(again) != 0 {
		t.Errorf("a leased job was claimed again: %+v", again)
	}
	// A parked receipt does not hold the money back.
	must(t, db.ParkJob(ctx, got[0].ID, 1, "receipt refused", now))
	if st, _ := db.SettlementStatus(ctx, s.ID); st != flow.SettlementParked {
		t.Errorf("settlement with a parked job: %q", st)
	}
	parked, err := db.ParkedJobs(ctx)
	must(t, err)
	if n, _ := db.CountParked(ctx); n != 1 || len(parked) != 1 || parked[0].ReceiptNumber != s.ReceiptNumber || parked[0].Job != flow.JobReceipt || parked[0].Error != "receipt refused" {
		t.Errorf("parked %+v (%d)", parked, n)
	}
	capture, _ := db.ClaimDue(ctx, now, 10, time.Minute)
	if len(capture) != 1 || capture[0].Kind != flow.JobCapture {
		t.Fatalf("after a parked receipt, claimed %+v", capture)
	}
	must(t, db.RescheduleJob(ctx, capture[0].ID, 1, now.Add(time.Hour), "timeout", now))
	if due, _ := db.ClaimDue(ctx, now, 10, time.Minute); len(due) != 0 {
		t.Errorf("a job backing off was claimed: %+v", due)
	}
	// A capture still trying is a manager's problem only once Vipps'
	// guarantee of the money is about to run out (flow.NeedsManager).
	must(t, db.NoteCaptureBy(ctx, capture[0].ID, c0.AddDate(10, 0, 0)))
	if list, _ := db.ParkedJobs(ctx); len(list) != 1 {
		t.Errorf("a capture guaranteed for years is on the Problems list: %+v", list)
	}
	must(t, db.NoteCaptureBy(ctx, capture[0].ID, c0.Add(-time.Hour)))
	list, err := db.ParkedJobs(ctx)
	must(t, err)
	if n, _ := db.CountParked(ctx); n != 2 || len(list) != 2 || list[1].Job != flow.JobCapture || list[1].Parked ||
		!list[1].CaptureBy.Equal(c0.Add(-time.Hour)) || !list[0].Parked {
		t.Errorf("with a capture past its deadline, the Problems list is %+v (%d)", list, n)
	}
	if jobs, _ := db.SaleJobs(ctx, s.ID); !jobs[1].CaptureBy.Equal(c0.Add(-time.Hour)) || !jobs[1].NextAt.Equal(now.Add(time.Hour)) {
		t.Errorf("the capture's deadline was not kept, or noting it moved the job: %+v", jobs[1])
	}
	must(t, db.RequeueSale(ctx, s.ID, now))
	capture, _ = db.ClaimDue(ctx, now, 10, time.Minute)
	if len(capture) != 1 || capture[0].Attempts != 1 {
		t.Fatalf("requeued capture %+v", capture)
	}
	must(t, db.CompleteJob(ctx, capture[0].ID, "captured", now))
	if err := db.ParkJob(ctx, capture[0].ID, 2, "late", now); !errors.Is(err, flow.ErrNoRecord) {
		t.Errorf("a finished job was parked: %v", err)
	}
	must(t, db.RetryJob(ctx, parked[0].ID, now))
	must(t, db.RetryJob(ctx, parked[0].ID, now)) // a waiting job is made due: no harm done
	if err := db.RetryJob(ctx, capture[0].ID, now); !errors.Is(err, flow.ErrNoRecord) {
		t.Errorf("a finished job was retried: %v", err)
	}
	for {
		due, err := db.ClaimDue(ctx, now, 10, time.Minute)
		must(t, err)
		if len(due) == 0 {
			break
		}
		for _, j := range due {
			must(t, db.CompleteJob(ctx, j.ID, "ok", now))
		}
	}
	if st, _ := db.SettlementStatus(ctx, s.ID); st != flow.SettlementDone {
		t.Errorf("settlement after every job: %q", st)
	}
	if un, _ := db.UnsettledPayments(ctx); len(un) != 0 {
		t.Errorf("unsettled after settlement: %+v", un)
	}
	// A crashed worker's lease runs out and its job is taken again.
	o := newSale(t, db, "pos1", bread)
	must(t, db.SaveSale(ctx, pay(o, "pos1-000002")))
	first, _ := db.ClaimDue(ctx, now, 1, time.Minute)
	if len(first) != 1 {
		t.Fatalf("claimed %+v", first)
	}
	if un, _ := db.UnsettledPayments(ctx); len(un) != 1 || un[0].SaleID != o.ID || un[0].Amount != o.Total() {
		t.Errorf("unsettled %+v", un)
	}
	if retaken, _ := db.ClaimDue(ctx, now.Add(2*time.Minute), 1, time.Minute); len(retaken) != 1 || retaken[0].ID != first[0].ID {
		t.Errorf("after the lease: %+v", retaken)
	}
	must(t, db.ReleaseSale(ctx, o.ID, "expired at Vipps", now))
	if st, _ := db.SettlementStatus(ctx, o.ID); st != flow.SettlementReleased {
		t.Errorf("released sale: %q", st)
	}
	r, err := db.SettlementReceipt(ctx, o.ID)
	if err != nil || len(r.Lines) != 1 || r.Lines[0].Total != o.Total() || r.ReceiptNumber != o.ReceiptNumber {
		t.Errorf("receipt %+v, %v", r, err)
	}
}

func contractRefunds(t *testing.T, db ContractStore) {
	ctx := context.Background()
	s := newSale(t, db, "pos1", milk, bread)
	must(t, db.SaveSale(ctx, pay(s, "pos1-000001")))
	now := c0.Add(time.Minute)
	if _, err := db.EnqueueRefund(ctx, s.ID, 100, now); !errors.Is(err, flow.ErrRefundTooLarge) {
		t.Errorf("refund before the capture: %v", err)
	}
	for {
		due, _ := db.ClaimDue(ctx, now, 10, time.Minute)
		if len(due) == 0 {
			break
		}
		for _, j := range due {
			must(t, db.CompleteJob(ctx, j.ID, "ok", now))
		}
	}
	if left, _ := db.Refundable(ctx, s.ID); left != s.Total() {
		t.Errorf("refundable %d, want %d", left, s.Total())
	}
	job := flow.OutboxJob{SaleID: s.ID, Reference: "pos1-000001", Kind: flow.JobRefund, Amount: 2590,
		IdempotencyKey: "pos1-000001-refund-1", State: flow.JobQueued, NextAt: now, CreatedAt: now, UpdatedAt: now}
	must(t, db.AddRefund(ctx, s.ID, map[int]int{0: 1}, job, flow.JournalEntry{Reference: "pos1-000001", From: "paid", To: "paid/refund-queued", At: now}))
	if err := db.AddRefund(ctx, s.ID, map[int]int{0: 2}, flow.OutboxJob{SaleID: s.ID, Reference: "pos1-000001", Kind: flow.JobRefund,
		Amount: 5180, IdempotencyKey: "pos1-000001-refund-3", State: flow.JobQueued, NextAt: now}, flow.JournalEntry{At: now}); err == nil {
		t.Error("more was returned than sold")
	}
	got, _ := db.Sale(ctx, s.ID)
	if got.Lines[0].RefundedQty != 1 || got.Lines[1].RefundedQty != 0 {
		t.Errorf("returned quantities %+v", got.Lines)
	}
	if left, _ := db.Refundable(ctx, s.ID); left != s.Total()-2590 {
		t.Errorf("refundable after a return: %d", left)
	}
	big, err := db.EnqueueRefund(ctx, s.ID, s.Total()-2590, now)
	if err != nil || big.ID == 0 || big.Kind != flow.JobRefund || big.Reference != "pos1-000001" {
		t.Errorf("refund of the rest: %+v, %v", big, err)
	}
	if _, err := db.EnqueueRefund(ctx, s.ID, 1, now); !errors.Is(err, flow.ErrRefundTooLarge) {
		t.Errorf("refund beyond the captured: %v", err)
	}
	sales, _ := db.RecentSales(ctx, "pos1", 1)
	if len(sales) != 1 || sales[0].Refunded != s.Total() || sales[0].Settlement != flow.SettlementQueued {
		t.Errorf("summary after refunds %+v", sales)
	}
	for {
		due, _ := db.ClaimDue(ctx, now, 10, time.Minute)
		if len(due) == 0 {
			break
		}
		for _, j := range due {
			must(t, db.CompleteJob(ctx, j.ID, "ok", now))
		}
	}
	if st, _ := db.SettlementStatus(ctx, s.ID); st != flow.SettlementRefunded {
		t.Errorf("settlement after the refunds: %q", st)
	}
}
