package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// PaymentVipps is the payment method of every Vipps MobilePay payment.
const PaymentVipps = "vipps"

// SaleRecord is what the journal keeps of a sale or a return: enough to
// print a copy, build X/Z reports and the SAF-T export without the sale
// tables. Return amounts and quantities are negative.
type SaleRecord struct {
	SaleID          int64
	ReceiptNumber   string
	Return          bool
	OriginalReceipt string `json:",omitempty"` // for returns: the sale's receipt number
	Training        bool   `json:",omitempty"` // a training sale (training mode): counted apart, SAF-T trainingID
	Member          bool
	Currency        string
	Lines           []SaleRecordLine
	Total           Money // incl. VAT, after discounts
	// Rounding is the cash rounding (SAF-T rounding): the payments add up
	// to Total + Rounding.
	Rounding Money `json:",omitempty"`
	Payments []SaleRecordPayment
}

// SaleRecordLine is one sold (or returned) line.
type SaleRecordLine struct {
	GTIN      string
	Name      string
	Quantity  int
	UnitPrice Money // incl. VAT, before discount
	Discount  Money // on the whole line, positive
	Total     Money // incl. VAT, after discount
	Net       Money
	VAT       Money
	VATRate   int // percent
	// The club's part of Discount (flow/pricing.go), for SAF-T and the
	// X/Z reports; zero and left out of the JSON for other lines.
	MemberSaving   Money  `json:",omitempty"`
	ChequeDiscount Money  `json:",omitempty"`
	OfferUnits     int    `json:",omitempty"`
	Rules          string `json:",omitempty"`
}

// SaleRecordPayment is one payment (or refund) of the sale.
type SaleRecordPayment struct {
	Method    string // a TenderKind: PaymentVipps, "cash", "card", "voucher", "credit-note"
	Amount    Money
	Reference string // the Vipps reference, the card terminal's, the voucher's code
	Given     Money  `json:",omitempty"` // cash handed over
	Change    Money  `json:",omitempty"` // cash handed back
}

// SaleRecordOf describes a paid sale for the journal.
func SaleRecordOf(s *Sale) SaleRecord {
	js := SaleRecord{SaleID: s.ID, ReceiptNumber: s.ReceiptNumber, Member: s.Customer.Member != nil, Currency: s.Currency}
	for _, l := range s.Lines {
		js.Lines = append(js.Lines, SaleRecordLine{
			GTIN: l.GTIN, Name: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount,
			Total: l.Total(), Net: l.Net(), VAT: l.VAT(), VATRate: l.VATRate,
			MemberSaving: l.MemberSaving, ChequeDiscount: l.ChequeDiscount, OfferUnits: l.OfferUnits, Rules: l.Rules,
		})
		js.Total += l.Total()
	}
	if len(s.Tenders) > 0 {
		js.Rounding = s.Rounding()
		for _, t := range s.Tenders {
			js.Payments = append(js.Payments, SaleRecordPayment{Method: string(t.Kind), Amount: t.Amount, Reference: t.Reference, Given: t.Given, Change: t.Change})
		}
	} else if s.Payment != nil {
		js.Payments = []SaleRecordPayment{{Method: PaymentVipps, Amount: js.Total, Reference: s.Payment.Reference}}
	}
	return js
}

// ReturnRecordOf describes the return of qty (by line index) of sale s,
// refunded through the payment with reference ref.
func ReturnRecordOf(s *Sale, returned map[int]int, receiptNumber, ref string) SaleRecord {
	js := SaleRecord{SaleID: s.ID, ReceiptNumber: receiptNumber, Return: true, OriginalReceipt: s.ReceiptNumber,
		Member: s.Customer.Member != nil, Currency: s.Currency}
	for i, l := range s.Lines {
		q := returned[i]
		if q <= 0 {
			continue
		}
		part := l
		part.Quantity = q
		// The discount is returned in proportion to the quantity.
		if l.Quantity > 0 {
			part.Discount = l.Discount * Money(q) / Money(l.Quantity)
			part.MemberSaving = l.MemberSaving * Money(q) / Money(l.Quantity)
			part.ChequeDiscount = l.ChequeDiscount * Money(q) / Money(l.Quantity)
			part.OfferUnits = l.OfferUnits * q / l.Quantity
		}
		total := part.Total()
		vat := VATOf(total, l.VATRate)
		js.Lines = append(js.Lines, SaleRecordLine{
			GTIN: l.GTIN, Name: l.Name, Quantity: -q, UnitPrice: l.UnitPrice, Discount: -part.Discount,
			Total: -total, Net: -(total - vat), VAT: -vat, VATRate: l.VATRate,
			MemberSaving: -part.MemberSaving, ChequeDiscount: -part.ChequeDiscount, OfferUnits: -part.OfferUnits, Rules: l.Rules,
		})
		js.Total -= total
	}
	js.Payments = []SaleRecordPayment{{Method: PaymentVipps, Amount: js.Total, Reference: ref}}
	return js
}

// ElectronicJournal writes the till's events to its chain, stamped with the
// time, the business day and the cashier logged in.
type ElectronicJournal struct {
	Store    JournalStore
	TillID   string
	Now      func() time.Time
	Location *time.Location // the store's time zone, for the business day
	Log      *slog.Logger   // where SaleClosed reports a record it could not write
	// Signer signs sales and returns for SAF-T; nil leaves them unsigned
	// (the SHA-256 chain still covers them).
	Signer TransactionSigner
	// Work is asked before a Z report whether a sale is open or a refund
	// parked; nil: not checked.
	Work OpenWork

	mu      sync.Mutex
	cashier Cashier
	signMu  sync.Mutex // one signed transaction at a time, in chain order
}

// NewElectronicJournal returns the journal of till in time zone loc.
func NewElectronicJournal(s JournalStore, tillID string, loc *time.Location, now func() time.Time) *ElectronicJournal {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.Local
	}
	return &ElectronicJournal{Store: s, TillID: tillID, Now: now, Location: loc}
}

// SetCashier sets who later records are attributed to (zero: nobody).
func (j *ElectronicJournal) SetCashier(c Cashier) {
	j.mu.Lock()
	j.cashier = c
	j.mu.Unlock()
}

// Cashier returns who is logged in, zero when nobody is.
func (j *ElectronicJournal) Cashier() Cashier {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.cashier
}

// Record appends one event; Till, time, day, cashier and the chain fields
// are filled in here and by the store.
func (j *ElectronicJournal) Record(ctx context.Context, r JournalRecord) (JournalRecord, error) {
	c := j.Cashier()
	r.TillID = j.TillID
	if r.At.IsZero() {
		r.At = j.Now()
	}
	r.At = r.At.Truncate(time.Microsecond)
	r.Day = r.At.In(j.Location).Format(time.DateOnly)
	if r.CashierID == 0 {
		r.CashierID, r.CashierName = c.ID, c.Name
	}
	out, err := j.Store.AppendJournal(ctx, r)
	if err != nil {
		return out, fmt.Errorf("writing %s to the electronic journal: %w", r.Event, err)
	}
	return out, nil
}

// RecordSale journals a paid sale or a finished return.
func (j *ElectronicJournal) RecordSale(ctx context.Context, s SaleRecord) (JournalRecord, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return JournalRecord{}, err
	}
	ev, text := JournalSale, "sale"
	if s.Return {
		ev, text = JournalReturn, "return of receipt "+s.OriginalReceipt
	}
	r := JournalRecord{Event: ev, SaleID: s.SaleID, Receipt: s.ReceiptNumber, Amount: s.Total, Text: text, Data: string(b)}
	if j.Signer == nil {
		return j.Record(ctx, r)
	}
	j.signMu.Lock()
	defer j.signMu.Unlock()
	if err := j.signSale(ctx, &r, s); err != nil {
		return JournalRecord{}, err
	}
	return j.Record(ctx, r)
}

// RecordEvent journals an event without details of its own (drawer opened,
// copy printed, price looked up, line deleted, sale voided …).
func (j *ElectronicJournal) RecordEvent(ctx context.Context, ev JournalEvent, saleID int64, receipt string, amount Money, text string) error {
	_, err := j.Record(ctx, JournalRecord{Event: ev, SaleID: saleID, Receipt: receipt, Amount: amount, Text: text})
	return err
}

// SaleRecordOfJournal decodes the sale kept in a sale or return record.
func SaleRecordOfJournal(r JournalRecord) (SaleRecord, error) {
	var s SaleRecord
	if r.Event != JournalSale && r.Event != JournalReturn {
		return s, fmt.Errorf("journal record %d is a %s, not a sale", r.Seq, r.Event)
	}
	err := json.Unmarshal([]byte(r.Data), &s)
	return s, err
}
