package flow

import (
	"fmt"
	"sort"
	"time"
)

// Sale is one customer's purchase at a till, from the first scan to paid
// (or voided). It is persisted on every transition.
type Sale struct {
	ID            int64
	POSID         string
	ReceiptSeq    int64  // per till, increasing
	ReceiptNumber string // ReceiptSeq as printed
	Currency      string
	Stage         Stage
	Lines         []SaleLine

	Customer  Customer
	Enrolment *Enrolment
	// Attempt counts payment requests for this sale; the reference of
	// attempt n > 1 carries the suffix "-n".
	Attempt int
	Payment *Payment // the current (latest) payment request, nil before
	// Tenders are the parts of the payment taken so far (see tender.go).
	Tenders []Tender
	// Cheque is the member's bonus cheque redeemed on this sale: a
	// discount spread over its lines (flow/points.go); nil: none.
	Cheque *BonusCheque
	// Version is how many transitions of the sale were stored; the store
	// refuses a transition of an older version (ErrStaleSale).
	Version int64

	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  time.Time // paid or voided
}

// Customer is who scanned a personal QR in this sale.
type Customer struct {
	QR        string  // the scanned content, opaque; used to pay when the number is unknown
	MSISDN    string  // "" until the QR was exchanged
	Member    *Member // nil for non-members
	CheckedIn bool
}

// Identified reports whether a customer QR was scanned this sale.
func (c Customer) Identified() bool { return c.QR != "" || c.MSISDN != "" }

// SaleLine is one cart line. Amounts include VAT.
type SaleLine struct {
	GTIN        string
	Name        string
	Quantity    int
	UnitPrice   Money
	Discount    Money // on the whole line
	VATRate     int   // percent
	RefundedQty int   // returned so far
	MinimumAge  int   // the product's age limit when it was scanned; 0: none

	// Club pricing (flow/pricing.go): what the product's catalogue said
	// when scanned, and what PriceLines worked out of it. Discount is the
	// sum of everything off the line.
	MemberPrice    Money  // the product's member price per unit; 0: none
	Group          string // the product's article group
	MemberSaving   Money  // the part of Discount the customer has for being a member
	OfferUnits     int    // units sold under a multi-buy offer
	ChequeDiscount Money  // the part of Discount paid by a bonus cheque
	Rules          string // why the line is discounted: Rule… codes, comma-separated
	Points         int64  // club points the line earned when the sale was paid
}

// Total is the line amount incl. VAT after discount.
func (l SaleLine) Total() Money {
	t := l.UnitPrice*Money(l.Quantity) - l.Discount
	if t < 0 {
		return 0
	}
	return t
}

// VAT is the VAT contained in Total, rounded per line.
func (l SaleLine) VAT() Money { return VATOf(l.Total(), l.VATRate) }

// Net is Total without VAT.
func (l SaleLine) Net() Money { return l.Total() - l.VAT() }

// Total is what the customer pays, incl. VAT.
func (s *Sale) Total() Money {
	var t Money
	for _, l := range s.Lines {
		t += l.Total()
	}
	return t
}

// MinimumAge is the age the customer must have to buy everything in the
// sale: the highest limit of its lines (0: none).
func (s *Sale) MinimumAge() int {
	a := 0
	for _, l := range s.Lines {
		if l.Quantity > 0 {
			a = max(a, l.MinimumAge)
		}
	}
	return a
}

// VATSummary sums the lines per rate, ascending. Gross, Net and VAT of each
// rate are sums of the per-line figures, so they always add up to Total.
func (s *Sale) VATSummary() []VATLine {
	by := map[int]*VATLine{}
	for _, l := range s.Lines {
		v := by[l.VATRate]
		if v == nil {
			v = &VATLine{Rate: l.VATRate}
			by[l.VATRate] = v
		}
		v.Gross += l.Total()
		v.VAT += l.VAT()
		v.Net += l.Net()
	}
	out := make([]VATLine, 0, len(by))
	for _, v := range by {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rate < out[j].Rate })
	return out
}

// Clone returns a deep copy, so a transition can be prepared on the copy and
// only replace the live sale once it is stored.
func (s *Sale) Clone() *Sale {
	if s == nil {
		return nil
	}
	c := *s
	c.Lines = append([]SaleLine(nil), s.Lines...)
	c.Tenders = append([]Tender(nil), s.Tenders...)
	if s.Customer.Member != nil {
		m := *s.Customer.Member
		c.Customer.Member = &m
	}
	if s.Enrolment != nil {
		e := *s.Enrolment
		c.Enrolment = &e
	}
	if s.Payment != nil {
		p := *s.Payment
		c.Payment = &p
	}
	if s.Cheque != nil {
		q := *s.Cheque
		c.Cheque = &q
	}
	return &c
}

// FormatReceiptNumber prints a receipt sequence number.
func FormatReceiptNumber(seq int64) string { return fmt.Sprintf("%06d", seq) }
