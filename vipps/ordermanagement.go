package vipps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
)

// Receipt is the receipt shown in the customer's app: Order Management
// §7.3, the same schema as ePayment's create "receipt".
type Receipt struct {
	OrderLines []OrderLine `json:"orderLines"`
	BottomLine BottomLine  `json:"bottomLine"`
}

// OrderLine is one VAT-correct receipt line. Amounts are minor units,
// never negative (a return is IsReturn); TotalAmount − TotalAmountExcludingTax
// must equal TotalTaxAmount, which Vipps enforces.
type OrderLine struct {
	Name                    string    `json:"name"`
	ID                      string    `json:"id"`
	TotalAmount             int64     `json:"totalAmount"`             // incl. VAT, after discount
	TotalAmountExcludingTax int64     `json:"totalAmountExcludingTax"` // after discount
	TotalTaxAmount          int64     `json:"totalTaxAmount"`
	TaxRate                 int       `json:"taxRate"` // hundredths of a percent: 2500 = 25 %; 0 is sent too
	UnitInfo                *UnitInfo `json:"unitInfo,omitempty"`
	Discount                int64     `json:"discount,omitempty"` // total discount on the line, incl. VAT
	ProductURL              string    `json:"productUrl,omitempty"`
	IsReturn                bool      `json:"isReturn,omitempty"`
	IsShipping              bool      `json:"isShipping,omitempty"`
}

// UnitInfo says how many of what at which unit price (incl. VAT, before
// discount). Quantity is a decimal string ("1", "2.5").
type UnitInfo struct {
	UnitPrice    int64  `json:"unitPrice"`
	Quantity     string `json:"quantity"`
	QuantityUnit string `json:"quantityUnit,omitempty"` // PCS (default), KG, KM, MINUTE, LITRE, KWH
}

// BottomLine carries the receipt's currency and till data.
type BottomLine struct {
	Currency       string          `json:"currency"`
	TipAmount      int64           `json:"tipAmount,omitempty"`
	POSID          string          `json:"posId,omitempty"`
	ReceiptNumber  string          `json:"receiptNumber,omitempty"`
	PaymentSources *PaymentSources `json:"paymentSources,omitempty"`
	Barcode        *Barcode        `json:"barcode,omitempty"`
}

// PaymentSources splits the total across tenders (minor units).
type PaymentSources struct {
	GiftCard int64 `json:"giftCard,omitempty"`
	Card     int64 `json:"card,omitempty"`
	Voucher  int64 `json:"voucher,omitempty"`
	Cash     int64 `json:"cash,omitempty"`
}

// Barcode is printed in the app's receipt view.
type Barcode struct {
	Format string `json:"format"` // "EAN-13", "CODE 39", "CODE 128"
	Data   string `json:"data"`
}

// SplitVAT splits a gross (VAT-inclusive) amount at rate (hundredths of a
// percent) into net and tax, tax = gross × rate / (10000 + rate) rounded
// half up, so net + tax == gross exactly.
func SplitVAT(gross int64, rate int) (net, tax int64) {
	if rate <= 0 || gross == 0 {
		return gross, 0
	}
	r := int64(rate)
	tax = (2*gross*r + 10000 + r) / (2 * (10000 + r))
	return gross - tax, tax
}

// NewOrderLine builds a line from a unit price incl. VAT, a whole quantity
// and a total discount incl. VAT, with the VAT split by SplitVAT.
func NewOrderLine(id, name string, quantity int, unitPrice, discount int64, taxRate int) OrderLine {
	total := unitPrice*int64(quantity) - discount
	net, tax := SplitVAT(total, taxRate)
	return OrderLine{
		ID: id, Name: name, TotalAmount: total, TotalAmountExcludingTax: net, TotalTaxAmount: tax,
		TaxRate: taxRate, Discount: discount,
		UnitInfo: &UnitInfo{UnitPrice: unitPrice, Quantity: fmt.Sprint(quantity), QuantityUnit: "PCS"},
	}
}

// Total is the receipt's sum as Vipps computes it: return lines count
// negative.
func (r Receipt) Total() int64 {
	var sum int64
	for _, l := range r.OrderLines {
		if l.IsReturn {
			sum -= l.TotalAmount
		} else {
			sum += l.TotalAmount
		}
	}
	return sum
}

var quantityPattern = regexp.MustCompile(`^\d+([.]\d{1,8})?$`)

// Check enforces what Vipps enforces (and a little more that Vipps leaves
// undocumented but we keep consistent): at least one line, non-negative
// amounts, total − net == tax, tax rate 0–10000, a known currency.
func (r Receipt) Check() error {
	if len(r.OrderLines) == 0 {
		return errors.New("a receipt needs at least one order line")
	}
	if !validCurrency(r.BottomLine.Currency) {
		return errors.New("bottom line currency must be NOK, DKK or EUR")
	}
	for i, l := range r.OrderLines {
		switch {
		case l.Name == "" || l.ID == "":
			return fmt.Errorf("line %d: name and id are required", i+1)
		case l.TotalAmount < 0 || l.TotalAmountExcludingTax < 0 || l.TotalTaxAmount < 0 || l.Discount < 0:
			return fmt.Errorf("line %d: amounts must not be negative (use IsReturn)", i+1)
		case l.TotalAmount-l.TotalAmountExcludingTax != l.TotalTaxAmount:
			return fmt.Errorf("line %d: total − total excluding tax ≠ tax", i+1)
		case l.TaxRate < 0 || l.TaxRate > 10000:
			return fmt.Errorf("line %d: tax rate must be 0–10000", i+1)
		case l.UnitInfo != nil && (l.UnitInfo.UnitPrice < 0 || !quantityPattern.MatchString(l.UnitInfo.Quantity) || len(l.UnitInfo.Quantity) > 10):
			return fmt.Errorf("line %d: unit price or quantity malformed", i+1)
		}
	}
	return nil
}

var orderIDPattern = regexp.MustCompile(`^[0-9A-Za-z-_.]+$`)

// AddReceipt attaches r to the ePayment payment reference (Order
// Management, paymentType ECOM). A receipt is write-once: a second one is a
// Conflict, which after a retried call usually means the first arrived.
func (c *Client) AddReceipt(ctx context.Context, reference string, r Receipt) error {
	const op = "ordermanagement.add-receipt"
	if !orderIDPattern.MatchString(reference) {
		return invalid(op, "bad order id")
	}
	if err := r.Check(); err != nil {
		return invalid(op, "%v", err)
	}
	_, err := c.do(ctx, request{op: op, method: "POST", path: "/order-management/v2/ECOM/receipts/" + url.PathEscape(reference), json: r, retry: true})
	if err == nil {
		c.log.Info("vipps receipt added", "reference", reference, "lines", len(r.OrderLines), "total", r.Total())
	}
	return err
}

// Order is what Order Management holds for a payment.
type Order struct {
	Category *struct {
		Category        string `json:"category"`
		OrderDetailsURL string `json:"orderDetailsUrl"`
		ImageID         string `json:"imageId,omitempty"`
	} `json:"category,omitempty"`
	Receipt *Receipt `json:"receipt,omitempty"`
}

// GetOrder reads the category and receipt attached to a payment.
func (c *Client) GetOrder(ctx context.Context, reference string) (Order, error) {
	const op = "ordermanagement.get"
	if !orderIDPattern.MatchString(reference) {
		return Order{}, invalid(op, "bad order id")
	}
	resp, err := c.do(ctx, request{op: op, method: "GET", path: "/order-management/v2/ECOM/" + url.PathEscape(reference), retry: true})
	if err != nil {
		return Order{}, err
	}
	var o Order
	if err := decode(op, resp, &o); err != nil {
		return Order{}, err
	}
	return o, nil
}
