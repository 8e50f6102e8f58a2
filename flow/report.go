package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// ReportKind is X (a look at the day so far) or Z (closes the day).
type ReportKind string

const (
	ReportX ReportKind = "X"
	ReportZ ReportKind = "Z"
)

// Tally is a number of things and their amount.
type Tally struct {
	Count  int
	Amount Money
}

func (t *Tally) add(amount Money) { t.Count++; t.Amount += amount }

// Report is an X or Z report: the till's journal since its last Z report,
// summed. Return amounts are positive in the Returns tallies and subtracted
// everywhere else (VAT, payments, per cashier, member/non-member).
type Report struct {
	Kind   ReportKind
	Number int64 // Z: 1, 2, 3 … per till; X: the Seq of the X report's own record
	TillID string
	Day    string // business day the report was taken
	// The journal records covered: after the previous Z report up to the
	// record before this report. LastHash ties the paper to the chain.
	FirstSeq, LastSeq int64
	LastHash          string
	From, To          time.Time // time of the first and last record covered
	CreatedAt         time.Time
	CashierName       string
	Currency          string

	Sales     Tally // sales receipts
	Returns   Tally // return receipts, amount positive
	Net       Money // Sales.Amount − Returns.Amount
	VAT       []ReportVAT
	Payments  []ReportPayment
	Cashiers  []ReportCashier
	Discounts Tally // discounted lines and the discount given (returned discounts subtracted)
	// The club's share of Discounts: member prices and discounts (lines,
	// amount), and bonus cheques redeemed (receipts, amount).
	MemberSavings Tally `json:",omitzero"`
	Cheques       Tally `json:",omitzero"`
	Members       Tally // receipts (sales and returns) of club members, net amount
	NonMembers    Tally

	Copies         Tally // copy receipts and the amount they show
	DrawerOpenings int
	Voids          Tally // sales abandoned before payment
	LineDeletions  Tally // lines removed from a sale being scanned
	PriceLookups   Tally
	CancelledPays  Tally // payment requests withdrawn or refused
	Training       Tally // training sales, in none of the figures above

	// Cash (see report_tender.go): the rounding of cash payments, drawer
	// openings without a sale, the change float and the count at the close.
	Rounding       Money `json:",omitempty"`
	DrawerNoSale   int   `json:",omitempty"`
	CashFloat      Money `json:",omitempty"`
	CashExpected   Money `json:",omitempty"` // float + cash taken − cash given back
	CashCounted    Money `json:",omitempty"`
	CashCounts     int   `json:",omitempty"` // how many counts; the last one is CashCounted
	CashDifference Money `json:",omitempty"` // counted − expected, when counted

	// Grand totals since the till's first record (the previous Z's plus this period).
	GrandTotalSales   Money
	GrandTotalReturns Money
	GrandTotalNet     Money
}

// ReportVAT sums one VAT rate, net of returns.
type ReportVAT struct {
	Rate     int
	Quantity int // items sold minus returned
	Gross    Money
	Net      Money
	VAT      Money
}

// ReportPayment sums one payment method, net of refunds.
type ReportPayment struct {
	Method string
	Count  int
	Amount Money
}

// ReportCashier sums what one cashier sold and returned.
type ReportCashier struct {
	CashierID int64
	Name      string
	Sales     Tally
	Returns   Tally           // amount positive
	Payments  []ReportPayment `json:",omitempty"` // per tender, net of returns
}

// BuildReport sums records (one till, in Seq order, after its last Z
// report). prevZ is that Z report, nil for the till's first.
func BuildReport(kind ReportKind, tillID string, records []JournalRecord, prevZ *Report) (Report, error) {
	r := Report{Kind: kind, TillID: tillID}
	if prevZ != nil {
		r.GrandTotalSales, r.GrandTotalReturns = prevZ.GrandTotalSales, prevZ.GrandTotalReturns
		r.LastSeq, r.LastHash = prevZ.LastSeq, prevZ.LastHash
	}
	vat := map[int]*ReportVAT{}
	pay := map[string]*ReportPayment{}
	cash := map[int64]*ReportCashier{}
	cashierOf := func(rec JournalRecord) *ReportCashier {
		c := cash[rec.CashierID]
		if c == nil {
			c = &ReportCashier{CashierID: rec.CashierID, Name: rec.CashierName}
			cash[rec.CashierID] = c
		}
		return c
	}
	for _, rec := range records {
		if r.FirstSeq == 0 {
			r.FirstSeq, r.From = rec.Seq, rec.At
		}
		r.LastSeq, r.LastHash, r.To = rec.Seq, rec.Hash, rec.At
		switch rec.Event {
		case JournalSale, JournalReturn:
			s, err := SaleRecordOfJournal(rec)
			if err != nil {
				return r, fmt.Errorf("journal record %d: %w", rec.Seq, err)
			}
			if s.Training {
				r.Training.add(s.Total)
				continue
			}
			if r.Currency == "" {
				r.Currency = s.Currency
			}
			c := cashierOf(rec)
			if s.Return {
				r.Returns.add(-s.Total)
				c.Returns.add(-s.Total)
			} else {
				r.Sales.add(s.Total)
				c.Sales.add(s.Total)
			}
			if s.Member {
				r.Members.add(s.Total)
			} else {
				r.NonMembers.add(s.Total)
			}
			for _, l := range s.Lines {
				v := vat[l.VATRate]
				if v == nil {
					v = &ReportVAT{Rate: l.VATRate}
					vat[l.VATRate] = v
				}
				v.Quantity += l.Quantity
				v.Gross += l.Total
				v.Net += l.Net
				v.VAT += l.VAT
				if l.Discount != 0 {
					r.Discounts.Amount += l.Discount
					if l.Discount > 0 {
						r.Discounts.Count++
					}
				}
			}
			r.addClub(s)
			for _, p := range s.Payments {
				m := pay[p.Method]
				if m == nil {
					m = &ReportPayment{Method: p.Method}
					pay[p.Method] = m
				}
				m.add(p.Amount)
				c.Payments = addPayment(c.Payments, p)
			}
			r.Rounding += s.Rounding
		case JournalCopyReceipt:
			r.Copies.add(rec.Amount)
		case JournalDrawerOpen:
			r.DrawerOpenings++
			if rec.SaleID == 0 {
				r.DrawerNoSale++
			}
		case JournalCashFloat, JournalCashCount:
			r.addCash(rec)
		case JournalVoid:
			r.Voids.add(rec.Amount)
		case JournalLineDeleted:
			r.LineDeletions.add(rec.Amount)
		case JournalPriceLookup:
			r.PriceLookups.add(rec.Amount)
		case JournalPayCancel:
			r.CancelledPays.add(rec.Amount)
		}
	}
	r.Net = r.Sales.Amount - r.Returns.Amount
	r.GrandTotalSales += r.Sales.Amount
	r.GrandTotalReturns += r.Returns.Amount
	r.GrandTotalNet = r.GrandTotalSales - r.GrandTotalReturns

	for _, v := range vat {
		r.VAT = append(r.VAT, *v)
	}
	sort.Slice(r.VAT, func(i, j int) bool { return r.VAT[i].Rate > r.VAT[j].Rate })
	for _, p := range pay {
		r.Payments = append(r.Payments, *p)
	}
	r.sumCash()
	sort.Slice(r.Payments, func(i, j int) bool { return r.Payments[i].Method < r.Payments[j].Method })
	for _, c := range cash {
		r.Cashiers = append(r.Cashiers, *c)
	}
	sort.Slice(r.Cashiers, func(i, j int) bool { return r.Cashiers[i].Name < r.Cashiers[j].Name })
	return r, nil
}

func (p *ReportPayment) add(amount Money) { p.Count++; p.Amount += amount }

// ReportOfJournal decodes the report kept in an X or Z report record.
func ReportOfJournal(rec JournalRecord) (Report, error) {
	var r Report
	if rec.Event != JournalXReport && rec.Event != JournalZReport {
		return r, fmt.Errorf("journal record %d is a %s, not a report", rec.Seq, rec.Event)
	}
	err := json.Unmarshal([]byte(rec.Data), &r)
	return r, err
}

// lastZ returns the till's latest Z report record and report, nil if none.
func (j *ElectronicJournal) lastZ(ctx context.Context) (*JournalRecord, *Report, error) {
	rec, err := j.Store.LastJournalRecord(ctx, j.TillID, JournalZReport)
	if errors.Is(err, ErrNoRecord) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	z, err := ReportOfJournal(rec)
	if err != nil {
		return nil, nil, err
	}
	return &rec, &z, nil
}

// PeekReport builds the report of the period so far without journaling it
// (for the screen before the cashier decides to print or close the day).
func (j *ElectronicJournal) PeekReport(ctx context.Context, kind ReportKind) (Report, error) {
	zrec, prev, err := j.lastZ(ctx)
	if err != nil {
		return Report{}, err
	}
	q := JournalQuery{TillID: j.TillID}
	if zrec != nil {
		q.AfterSeq = zrec.Seq
	}
	recs, err := j.Store.JournalRecords(ctx, q)
	if err != nil {
		return Report{}, err
	}
	r, err := BuildReport(kind, j.TillID, recs, prev)
	if err != nil {
		return r, err
	}
	now := j.Now().Truncate(time.Microsecond)
	r.CreatedAt, r.Day = now, now.In(j.Location).Format(time.DateOnly)
	r.CashierName = j.Cashier().Name
	if kind == ReportZ {
		r.Number = 1
		if prev != nil {
			r.Number = prev.Number + 1
		}
	}
	return r, nil
}

// XReport sums the period so far and journals that an X report was taken.
func (j *ElectronicJournal) XReport(ctx context.Context) (Report, error) {
	return j.takeReport(ctx, ReportX)
}

// ZReport closes the business day: it sums the period since the last Z
// report, journals the report (so the next period starts after it) and
// returns it. A till takes one Z report per business day (ErrZReportTaken),
// and none while a sale is open or a refund parked (*ZBlockedError).
func (j *ElectronicJournal) ZReport(ctx context.Context) (Report, error) {
	zrec, _, err := j.lastZ(ctx)
	if err != nil {
		return Report{}, err
	}
	if zrec != nil && zrec.Day == j.Now().In(j.Location).Format(time.DateOnly) {
		return Report{}, ErrZReportTaken
	}
	if err := j.checkDayClosable(ctx); err != nil {
		return Report{}, err
	}
	return j.takeReport(ctx, ReportZ)
}

func (j *ElectronicJournal) takeReport(ctx context.Context, kind ReportKind) (Report, error) {
	r, err := j.PeekReport(ctx, kind)
	if err != nil {
		return r, err
	}
	ev := JournalXReport
	if kind == ReportZ {
		ev = JournalZReport
	}
	b, err := json.Marshal(r)
	if err != nil {
		return r, err
	}
	rec, err := j.Record(ctx, JournalRecord{Event: ev, Amount: r.Net, Text: fmt.Sprintf("%s report %d", kind, r.Number), Data: string(b)})
	if err != nil {
		return r, err
	}
	if kind == ReportX {
		// The X report's number is its own record; it is in the journal's
		// text, the stored Data keeps Number 0.
		r.Number = rec.Seq
	}
	return r, nil
}
