package flow

import (
	"context"
	"errors"
	"time"
)

// TenderKind is a means of payment a sale can be paid with.
type TenderKind string

const (
	TenderVipps      TenderKind = "vipps"       // the push or QR payment (SAF-T 12011)
	TenderCash       TenderKind = "cash"        // notes and coins in the drawer (12001)
	TenderCard       TenderKind = "card"        // the store's own card terminal (12002)
	TenderVoucher    TenderKind = "voucher"     // a gift voucher (12005)
	TenderCreditNote TenderKind = "credit-note" // a credit note issued on a return (12010)
)

// TenderKinds lists every tender in the order reports show them.
var TenderKinds = []TenderKind{TenderVipps, TenderCash, TenderCard, TenderVoucher, TenderCreditNote}

// Tender is one part of a sale's payment. A sale is paid when its tenders
// cover the total (plus the cash rounding). Tenders are only ever added;
// a return records what went back through each of them.
type Tender struct {
	ID     int64
	SaleID int64
	Seq    int // 0, 1, … in the order they were taken
	Kind   TenderKind
	// Amount is what this tender pays of the sale. For cash it is after
	// rounding; Given − Change == Amount.
	Amount Money
	Given  Money // cash handed over by the customer
	Change Money // cash handed back
	// Rounding is what the cash rounding added to (or, negative, took
	// off) the sale with this tender; only cash is ever rounded.
	Rounding Money
	// Reference is the Vipps reference, the card terminal's reference (as
	// keyed by the cashier, may be empty) or the voucher's code.
	Reference string
	Refunded  Money // given back through this tender by returns
	At        time.Time
}

// Paid is what the sale's tenders cover so far.
func (s *Sale) Paid() Money {
	var p Money
	for _, t := range s.Tenders {
		p += t.Amount
	}
	return p
}

// Rounding is the sum of the cash roundings of the sale's tenders.
func (s *Sale) Rounding() Money {
	var r Money
	for _, t := range s.Tenders {
		r += t.Rounding
	}
	return r
}

// Due is what is left to pay: the total with the cash rounding, less the
// tenders taken.
func (s *Sale) Due() Money { return s.Total() + s.Rounding() - s.Paid() }

// PaidBy lists how the sale was paid. A sale paid by Vipps before tenders
// were recorded has none stored: its approved payment is its one tender.
func (s *Sale) PaidBy() []Tender {
	if len(s.Tenders) > 0 || s.Stage != StagePaid || s.Payment == nil || s.Payment.Status != PaymentAuthorized {
		return s.Tenders
	}
	amt := s.Payment.Authorized
	if amt <= 0 {
		amt = s.Payment.Amount
	}
	return []Tender{{SaleID: s.ID, Kind: TenderVipps, Amount: amt, Reference: s.Payment.Reference, At: s.ClosedAt}}
}

// CashStep is the smallest cash amount of a currency: the Norwegian krone
// has no øre coins, Denmark's smallest coin is 50 øre, Finland rounds cash
// to 5 cent.
func CashStep(currency string) Money {
	switch currency {
	case "NOK":
		return 100
	case "DKK":
		return 50
	case "EUR":
		return 5
	}
	return 1
}

// RoundCash rounds an amount to what can be paid in cash in the currency:
// to the nearest step, a half step up (NOK 10.50 → 11, DKK 10.25 → 10.50,
// EUR 10.03 → 10.05). Negative amounts (change given back) round alike.
func RoundCash(currency string, m Money) Money {
	step := CashStep(currency)
	if m < 0 {
		return -RoundCash(currency, -m)
	}
	return (m + step/2) / step * step
}

// TenderRequest is a cashier's "paid with …" for the open sale.
type TenderRequest struct {
	Kind TenderKind // cash, card, voucher or credit-note; Vipps goes by RequestPayment
	// Amount: for cash what the customer handed over (0: exactly what is
	// due); for card what the terminal approved (0: what is due); for a
	// voucher how much of it to use (0: as much as the sale needs).
	Amount    Money
	Reference string // card: the terminal's reference (optional); voucher: the scanned code
}

// CardTerminal takes a card payment on a terminal the till drives itself.
// Today's terminals stand beside the till: the cashier keys the amount
// there and confirms the approval here (Checkout.Tender with TenderCard).
type CardTerminal interface {
	// Pay asks the terminal for amount and waits for the customer.
	Pay(ctx context.Context, saleID int64, amount Money) (CardApproval, error)
	// Refund gives amount back to the card of an earlier payment.
	Refund(ctx context.Context, saleID int64, reference string, amount Money) error
}

// CardApproval is a terminal's answer to a card payment.
type CardApproval struct {
	Amount    Money
	Reference string // the terminal's transaction reference
}

// Voucher is a gift voucher or a credit note: a code printed on paper
// worth Balance until it is spent. Vouchers are chain-wide: any till of a
// shared database redeems any voucher, each amount once.
type Voucher struct {
	Code      string
	Kind      TenderKind // TenderVoucher or TenderCreditNote
	Currency  string
	Amount    Money // what it was issued for
	Balance   Money // what is left
	SaleID    int64 // the return (credit note) or sale (gift voucher) that issued it; 0: none
	IssuedBy  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// VoucherRedemption takes Amount off the voucher Code in the same
// transaction that records the tender: the store refuses it (ErrVoucherSpent)
// when the balance no longer covers it, so two tills can never spend the
// same money.
type VoucherRedemption struct {
	Code   string
	Amount Money // negative: given back (a return of what it paid)
}

// ErrVoucherSpent: the voucher's balance does not cover the redemption (it
// was spent meanwhile, perhaps at another till).
var ErrVoucherSpent = errors.New("the voucher's balance does not cover the amount")

// Vouchers issues and looks up vouchers; the redemption itself goes with the
// sale's transition (SaleChange.Redeem).
type Vouchers interface {
	// IssueVoucher stores a new voucher; its code must be new.
	IssueVoucher(ctx context.Context, v Voucher, j JournalEntry) error
	// Voucher loads one by code (ErrNoRecord when there is none).
	Voucher(ctx context.Context, code string) (Voucher, error)
}

// TenderView is one tender of the live sale on the screens.
type TenderView struct {
	Kind      TenderKind
	Amount    Money
	Given     Money
	Change    Money
	Rounding  Money
	Reference string
}

// Return is one return of a paid sale, stored in one transaction: the
// quantities returned, what goes back through each tender (never more than
// it paid), the Vipps refund job, vouchers' balances given back and a
// credit note issued instead.
type Return struct {
	SaleID   int64
	Returned map[int]int // line index → quantity
	Tenders  []TenderRefund
	Jobs     []OutboxJob         // the Vipps refund, when Vipps gives some back
	Redeem   []VoucherRedemption // negative amounts: a voucher's balance restored
	Issue    *Voucher            // a credit note for the amount, instead of the tenders
	Journal  JournalEntry
}

// TenderRefund is what one tender of the sale gives back. Seq is the
// tender's; a credit note issued has Seq −1.
type TenderRefund struct {
	Seq       int
	Kind      TenderKind
	Amount    Money // positive: given back
	Reference string
}
