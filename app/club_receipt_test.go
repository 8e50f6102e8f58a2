package app

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kasse-pos/kasse/flow"
)

var updateClubReceipt = flag.Bool("update-club-receipt", false, "rewrite testdata/member-receipt.json")

// memberSale is a club member's sale: a member price, a group discount, a
// multi-buy offer on top of member prices and a bonus cheque, at three
// VAT rates.
func memberSale() *flow.Sale {
	rules := flow.ClubRules{
		GroupDiscounts: []flow.GroupDiscount{{Group: "meieri", Percent: 10}},
		Offers:         []flow.Offer{{ID: "kaffe", Name: "3 for 2", GTINs: []string{"7040000000030"}, Buy: 3, Pay: 2}},
	}
	lines := []flow.SaleLine{
		{GTIN: "7040000000016", Name: "Norvegia", Quantity: 1, UnitPrice: 8990, MemberPrice: 6990, Group: "meieri", VATRate: 15},
		{GTIN: "7040000000023", Name: "Yoghurt", Quantity: 3, UnitPrice: 1990, Group: "meieri", VATRate: 15},
		{GTIN: "7040000000030", Name: "Kaffe 250 g", Quantity: 3, UnitPrice: 5990, MemberPrice: 4990, VATRate: 15},
		{GTIN: "7310150010013", Name: "Batteri AA 4-pk", Quantity: 1, UnitPrice: 8900, VATRate: 25},
		{GTIN: "7090001230011", Name: "Avis", Quantity: 1, UnitPrice: 4500, VATRate: 0},
	}
	return &flow.Sale{POSID: "pos1", ReceiptNumber: "000042", Currency: "NOK", Stage: flow.StagePaid,
		Lines: flow.PriceLines(lines, true, rules, 5000)}
}

// The Vipps receipt of a member sale carries each line's discount, and
// every line's VAT is the VAT of what the member paid for it. The file is
// what the Order Management call sends; vipps' tests send the same file to
// a gateway that validates it against the official OpenAPI schema
// (vipps.TestMemberReceiptPassesTheSchema).
func TestMemberSaleReceipt(t *testing.T) {
	s := memberSale()
	r, err := flow.ReceiptForSale(s)
	if err != nil {
		t.Fatal(err)
	}
	vr := toVippsReceipt(r)
	if err := vr.Check(); err != nil {
		t.Fatal(err)
	}
	if vr.Total() != int64(s.Total()) {
		t.Errorf("receipt total %d, sale total %d", vr.Total(), s.Total())
	}
	var discount int64
	for i, l := range vr.OrderLines {
		sl := s.Lines[i]
		if l.Discount != int64(sl.Discount) || l.TotalAmount != int64(sl.Total()) || l.TotalTaxAmount != int64(flow.VATOf(sl.Total(), sl.VATRate)) ||
			l.TaxRate != sl.VATRate*100 || l.UnitInfo.UnitPrice != int64(sl.UnitPrice) {
			t.Errorf("line %s: %+v for %+v", l.Name, l, sl)
		}
		if l.Discount <= 0 {
			t.Errorf("line %s has no discount", l.Name)
		}
		discount += l.Discount
	}
	if d, _ := flow.Savings(s.Lines); discount != int64(d) {
		t.Errorf("receipt discounts %d, sale %d", discount, d)
	}
	got, err := json.MarshalIndent(vr, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "member-receipt.json")
	if *updateClubReceipt {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-club-receipt)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("member receipt differs from %s:\n%s", golden, got)
	}
}
