package flow

import "fmt"

// ReceiptItem is a sold (or returned) line as the receipt needs it.
type ReceiptItem struct {
	ID        string // GTIN or line id
	Name      string
	Quantity  int   // negative for a returned item
	UnitPrice Money // per unit, incl. VAT, before discount
	Discount  Money // total discount on the line (≥ 0)
	VATRate   int   // percent: 25, 15, 12, 0
}

// ReceiptLineFor computes a VAT-correct receipt line: Vipps enforces
// Total − TotalExclTax == Tax per line, so the tax is rounded once (half up,
// from the gross amount: gross × rate / (100 + rate)) and the net amount is
// what remains. Returns go in as positive amounts with IsReturn set.
func ReceiptLineFor(it ReceiptItem) (ReceiptLine, error) {
	if it.VATRate < 0 || it.VATRate > 100 {
		return ReceiptLine{}, fmt.Errorf("line %s: VAT rate %d%% out of range", it.ID, it.VATRate)
	}
	qty, ret := it.Quantity, false
	if qty < 0 {
		qty, ret = -qty, true
	}
	if qty == 0 || it.UnitPrice < 0 || it.Discount < 0 {
		return ReceiptLine{}, fmt.Errorf("line %s: quantity %d, unit price %d, discount %d is not a sale", it.ID, it.Quantity, it.UnitPrice, it.Discount)
	}
	total := it.UnitPrice*Money(qty) - it.Discount
	if total < 0 {
		return ReceiptLine{}, fmt.Errorf("line %s: discount %d exceeds the line amount", it.ID, it.Discount)
	}
	tax := VATOf(total, it.VATRate)
	return ReceiptLine{
		ID: it.ID, Name: it.Name, Quantity: qty, UnitPrice: it.UnitPrice, Discount: it.Discount,
		Total: total, TotalExclTax: total - tax, Tax: tax, TaxRate: it.VATRate * 100, IsReturn: ret,
	}, nil
}

// BuildReceipt makes the receipt attached to the payment: one line per item
// and a bottom line with the till's POS id and the receipt number.
func BuildReceipt(currency, posID, receiptNumber string, items []ReceiptItem) (Receipt, error) {
	if len(items) == 0 {
		return Receipt{}, fmt.Errorf("receipt %s has no lines", receiptNumber)
	}
	r := Receipt{Currency: currency, POSID: posID, ReceiptNumber: receiptNumber}
	for _, it := range items {
		l, err := ReceiptLineFor(it)
		if err != nil {
			return Receipt{}, err
		}
		r.Lines = append(r.Lines, l)
	}
	return r, nil
}

// ReceiptTotal is what the customer pays for the receipt (returns count
// negative), which must equal the payment amount.
func ReceiptTotal(r Receipt) Money {
	var sum Money
	for _, l := range r.Lines {
		if l.IsReturn {
			sum -= l.Total
		} else {
			sum += l.Total
		}
	}
	return sum
}

// ReceiptForSale is the receipt of a paid sale: its lines as sold, the
// till's POS id and the sale's receipt number.
func ReceiptForSale(s *Sale) (Receipt, error) {
	items := make([]ReceiptItem, 0, len(s.Lines))
	for i, l := range s.Lines {
		id := l.GTIN
		if id == "" {
			id = fmt.Sprintf("line-%d", i+1)
		}
		items = append(items, ReceiptItem{ID: id, Name: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice, Discount: l.Discount, VATRate: l.VATRate})
	}
	r, err := BuildReceipt(s.Currency, s.POSID, s.ReceiptNumber, items)
	if err != nil {
		return r, err
	}
	r.PaymentSources = paymentSources(s)
	return r, nil
}

// paymentSources is how much of a split sale other tenders paid; nil when
// Vipps paid it whole.
func paymentSources(s *Sale) *PaymentSources {
	var ps PaymentSources
	other := false
	for _, t := range s.Tenders {
		switch t.Kind {
		case TenderCash:
			ps.Cash += t.Amount - t.Rounding
		case TenderCard:
			ps.Card += t.Amount
		case TenderVoucher:
			ps.GiftCard += t.Amount
		case TenderCreditNote:
			ps.Voucher += t.Amount
		default:
			continue
		}
		other = true
	}
	if !other {
		return nil
	}
	return &ps
}
