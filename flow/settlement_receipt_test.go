package flow

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/kasse-pos/kasse/internal/golden"
)

// omReceipt is the Order Management Receipt schema (openapi
// order-management.v2.1.yaml, API.md §7.3), field for field, so the golden
// file shows exactly what Vipps receives.
type omReceipt struct {
	OrderLines []omOrderLine `json:"orderLines"`
	BottomLine omBottomLine  `json:"bottomLine"`
}

type omOrderLine struct {
	Name                    string     `json:"name"`
	ID                      string     `json:"id"`
	TotalAmount             int64      `json:"totalAmount"`
	TotalAmountExcludingTax int64      `json:"totalAmountExcludingTax"`
	TotalTaxAmount          int64      `json:"totalTaxAmount"`
	TaxRate                 int        `json:"taxRate"`
	UnitInfo                omUnitInfo `json:"unitInfo"`
	Discount                int64      `json:"discount,omitempty"`
	IsReturn                bool       `json:"isReturn,omitempty"`
}

type omUnitInfo struct {
	UnitPrice    int64  `json:"unitPrice"`
	Quantity     string `json:"quantity"`
	QuantityUnit string `json:"quantityUnit"`
}

type omBottomLine struct {
	Currency      string `json:"currency"`
	PosID         string `json:"posId"`
	ReceiptNumber string `json:"receiptNumber"`
}

func toOM(r Receipt) omReceipt {
	out := omReceipt{BottomLine: omBottomLine{Currency: r.Currency, PosID: r.POSID, ReceiptNumber: r.ReceiptNumber}}
	for _, l := range r.Lines {
		out.OrderLines = append(out.OrderLines, omOrderLine{Name: l.Name, ID: l.ID, TotalAmount: int64(l.Total),
			TotalAmountExcludingTax: int64(l.TotalExclTax), TotalTaxAmount: int64(l.Tax), TaxRate: l.TaxRate,
			UnitInfo: omUnitInfo{UnitPrice: int64(l.UnitPrice), Quantity: strconv.Itoa(l.Quantity), QuantityUnit: "PCS"},
			Discount: int64(l.Discount), IsReturn: l.IsReturn})
	}
	return out
}

func TestSettlementReceiptGolden(t *testing.T) {
	sale := &Sale{POSID: "pos-122", ReceiptNumber: "0527013501", Currency: "NOK", Lines: []SaleLine{
		{GTIN: "7038010009457", Name: "Winter jacket", Quantity: 1, UnitPrice: 319900, Discount: 80000, VATRate: 25},
		{GTIN: "7040913336684", Name: "Milk 1 l", Quantity: 3, UnitPrice: 2490, VATRate: 15},
		{GTIN: "7041011050254", Name: "Cinema ticket", Quantity: 2, UnitPrice: 13900, Discount: 1, VATRate: 12},
		{GTIN: "9788202451229", Name: "Book", Quantity: 1, UnitPrice: 39900, VATRate: 0},
		{GTIN: "7038010055720", Name: "Socks (returned)", Quantity: -2, UnitPrice: 9990, VATRate: 25},
	}}
	r, err := ReceiptForSale(sale)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(toOM(r), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "settlement-receipt.golden.json"), got)
	// The jacket is the worked example of API.md §6.1: 2399.00 after a
	// 800.00 discount, of which 479.80 is VAT.
	if j := r.Lines[0]; j.Total != 239900 || j.TotalExclTax != 191920 || j.Tax != 47980 || j.TaxRate != 2500 {
		t.Errorf("jacket line %+v, want 239900 = 191920 + 47980 at 2500", j)
	}
	if got, want := ReceiptTotal(r), Money(239900+7470+27799+39900-19980); got != want {
		t.Errorf("receipt total %d, want %d", got, want)
	}
}

// Vipps rejects a line whose tax is not exactly total − net; check every
// amount up to 1000.00 at every rate, with and without discounts.
func TestSettlementReceiptLinesAlwaysAddUp(t *testing.T) {
	for _, rate := range []int{25, 15, 12, 11, 0} {
		for unit := Money(0); unit <= 100000; unit += 7 {
			l, err := ReceiptLineFor(ReceiptItem{ID: "x", Quantity: 3, UnitPrice: unit, Discount: unit / 5, VATRate: rate})
			if err != nil {
				t.Fatal(err)
			}
			if l.Total-l.TotalExclTax != l.Tax || l.Tax < 0 || l.TotalExclTax < 0 || l.Total != 3*unit-unit/5 {
				t.Fatalf("rate %d unit %d: %+v does not add up", rate, unit, l)
			}
			// The tax is the rounded share of the gross: within half an øre.
			if exact := float64(l.Total) * float64(rate) / float64(100+rate); float64(l.Tax)-exact > 0.5 || exact-float64(l.Tax) > 0.5 {
				t.Fatalf("rate %d total %d: tax %d, exact %.3f", rate, l.Total, l.Tax, exact)
			}
		}
	}
	for _, bad := range []ReceiptItem{{ID: "q0", Quantity: 0, UnitPrice: 100, VATRate: 25}, {ID: "disc", Quantity: 1, UnitPrice: 100, Discount: 101, VATRate: 25}, {ID: "rate", Quantity: 1, UnitPrice: 100, VATRate: 101}} {
		if _, err := ReceiptLineFor(bad); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

// A split sale tells Vipps how the rest of the total was paid; the cash
// part is before the rounding, so the sources and the Vipps payment add up
// to the lines.
func TestSettlementReceiptPaymentSources(t *testing.T) {
	s := &Sale{POSID: "pos1", ReceiptNumber: "000007", Currency: "NOK", Lines: []SaleLine{
		{GTIN: "7038010000737", Name: "Milk", Quantity: 1, UnitPrice: 2590, VATRate: 15},
		{GTIN: "7310150010013", Name: "Battery", Quantity: 1, UnitPrice: 8900, VATRate: 25},
	}}
	r, err := ReceiptForSale(s)
	if err != nil || r.PaymentSources != nil {
		t.Fatalf("a Vipps-only sale: %+v, %v", r.PaymentSources, err)
	}
	s.Tenders = []Tender{
		{Seq: 0, Kind: TenderCash, Amount: 2000, Given: 2000},
		{Seq: 1, Kind: TenderCard, Amount: 1500},
		{Seq: 2, Kind: TenderVoucher, Amount: 1000, Reference: "GV"},
		{Seq: 3, Kind: TenderCreditNote, Amount: 500, Reference: "CN"},
		{Seq: 4, Kind: TenderVipps, Amount: 6490, Reference: "r"},
	}
	r, err = ReceiptForSale(s)
	if err != nil {
		t.Fatal(err)
	}
	want := PaymentSources{Cash: 2000, Card: 1500, GiftCard: 1000, Voucher: 500}
	if r.PaymentSources == nil || *r.PaymentSources != want {
		t.Fatalf("sources %+v, want %+v", r.PaymentSources, want)
	}
	ps := r.PaymentSources
	if ps.Cash+ps.Card+ps.GiftCard+ps.Voucher+6490 != ReceiptTotal(r) {
		t.Errorf("sources and Vipps add up to %d, the lines to %d", ps.Cash+ps.Card+ps.GiftCard+ps.Voucher+6490, ReceiptTotal(r))
	}
	// Cash rounded up by 0.10: the receipt shows what the wares cost.
	s.Tenders = []Tender{{Seq: 0, Kind: TenderCash, Amount: 5000, Given: 5000}, {Seq: 1, Kind: TenderCash, Amount: 6500, Given: 7000, Change: 500, Rounding: 10}}
	if r, _ = ReceiptForSale(s); r.PaymentSources.Cash != 11490 {
		t.Errorf("cash source %d, want 11490", r.PaymentSources.Cash)
	}
}
