package flow_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kasse-pos/kasse/flow"
)

func TestVATIsRoundedHalfUpPerLine(t *testing.T) {
	for _, tc := range []struct {
		gross flow.Money
		rate  int
		vat   flow.Money
	}{
		{12500, 25, 2500}, {239900, 25, 47980}, {2590, 15, 338}, {100, 12, 11}, {4500, 0, 0},
		{1, 25, 0}, {2, 25, 0}, {3, 25, 1}, // 0.6 → 1
		{115, 15, 15}, {23, 15, 3}, // 2.5 (exactly half) → up
		{-2590, 15, -338}, // a returned line mirrors the sale
	} {
		if got := flow.VATOf(tc.gross, tc.rate); got != tc.vat {
			t.Errorf("VATOf(%d, %d%%) = %d, want %d", tc.gross, tc.rate, got, tc.vat)
		}
	}
}

// Whatever the lines, the receipt sent to Vipps (ReceiptForSale) satisfies
// what Order Management checks (Total − TotalExclTax == Tax on every line)
// and adds up to the sale.
func TestReceiptLinesAreVATCorrect(t *testing.T) {
	s := &flow.Sale{POSID: "pos1", ReceiptNumber: "000042", Currency: "NOK"}
	rates := []int{25, 15, 12, 0}
	for i := 0; i < 200; i++ {
		s.Lines = append(s.Lines, flow.SaleLine{GTIN: fmt.Sprint(i), Name: "x", Quantity: 1 + i%7,
			UnitPrice: flow.Money(1 + i*i*37%99991), Discount: flow.Money(i % 13), VATRate: rates[i%4]})
	}
	r, err := flow.ReceiptForSale(s)
	if err != nil {
		t.Fatal(err)
	}
	var total, vatSum flow.Money
	for i, l := range r.Lines {
		if l.Total-l.TotalExclTax != l.Tax {
			t.Errorf("line %d: %d − %d ≠ %d", i, l.Total, l.TotalExclTax, l.Tax)
		}
		if l.TaxRate != s.Lines[i].VATRate*100 {
			t.Errorf("line %d: taxRate %d", i, l.TaxRate)
		}
		total += l.Total
		vatSum += l.Tax
	}
	if total != s.Total() {
		t.Errorf("receipt total %d ≠ sale total %d", total, s.Total())
	}
	var sumVAT, sumGross, sumNet flow.Money
	for _, v := range s.VATSummary() {
		sumVAT, sumGross, sumNet = sumVAT+v.VAT, sumGross+v.Gross, sumNet+v.Net
		if v.Gross-v.Net != v.VAT {
			t.Errorf("rate %d: gross − net ≠ VAT", v.Rate)
		}
	}
	if sumGross != total || sumVAT != vatSum || sumNet != total-vatSum {
		t.Errorf("VAT summary %d/%d/%d does not add up to %d/%d", sumGross, sumNet, sumVAT, total, vatSum)
	}
	if r.POSID != "pos1" || r.ReceiptNumber != "000042" || r.Currency != "NOK" {
		t.Errorf("bottom line %+v", r)
	}
}

func TestReferencesAndIdempotencyKeys(t *testing.T) {
	for _, tc := range []struct {
		pos     string
		seq     int64
		attempt int
		want    string
	}{
		{"pos1", 1, 1, "k7m2qx-pos1-000001"},
		{"pos1", 123, 2, "k7m2qx-pos1-000123-2"},
		{"pos_122", 7, 1, "k7m2qx-pos-122-000007"},
		{"", 5, 1, "k7m2qx-pos-000005"},
		{"kasse øst 3", 1234567, 10, "k7m2qx-kasse--st-3-1234567-10"},
	} {
		got := flow.Reference("k7m2qx", tc.pos, tc.seq, tc.attempt)
		if got != tc.want || !referencePattern.MatchString(got) {
			t.Errorf("Reference(%q, %d, %d) = %q, want %q", tc.pos, tc.seq, tc.attempt, got, tc.want)
		}
	}
	long := flow.Reference(strings.Repeat("i", 40), strings.Repeat("p", 80), 1, 3)
	if !referencePattern.MatchString(long) {
		t.Errorf("long POS id gives %q", long)
	}
	for _, ref := range []string{"pos1-000001", long} {
		k := flow.IdempotencyKey(ref, "capture")
		if len(k) > 50 || k != flow.IdempotencyKey(ref, "capture") || k == flow.IdempotencyKey(ref, "refund-1") {
			t.Errorf("key %q for %q: ≤ 50 chars, stable, distinct per operation", k, ref)
		}
	}
	if k := flow.IdempotencyKey("pos1-000001", "capture"); k != "pos1-000001-capture" {
		t.Errorf("a short key is the ids themselves: %q", k)
	}
	// Any length of operation name still gives a key Vipps takes.
	if k := flow.IdempotencyKey(long, strings.Repeat("create-", 10)); len(k) != 50 || !strings.HasPrefix(k, "h-") {
		t.Errorf("a long operation gives %q, want h- and a hash, 50 characters", k)
	}
	// Two installations with the same till id and receipt number never
	// share a reference, nor a create key for the same reference.
	if a, b := flow.Reference("aaaaaa", "pos1", 1, 1), flow.Reference("bbbbbb", "pos1", 1, 1); a == b {
		t.Errorf("two installations share reference %q", a)
	}
	if a, b := flow.CreateKey("pos1-000001", flow.NewNonce()), flow.CreateKey("pos1-000001", flow.NewNonce()); a == b || len(a) > 50 {
		t.Errorf("create keys %q and %q: distinct per attempt, ≤ 50 chars", a, b)
	}
	if p := flow.ReferencePrefix("k7m2qx", "pos1"); p != "k7m2qx-pos1-" {
		t.Errorf("ReferencePrefix = %q", p)
	}
}

func TestGTINKey(t *testing.T) {
	for in, want := range map[string]string{"7038010000737": "07038010000737", "036000291452": "00036000291452",
		"96385074": "00000096385074", "17038010000734": "17038010000734"} {
		if got, err := flow.GTINKey(in); err != nil || got != want {
			t.Errorf("GTINKey(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"7038010000738", "703801000073", "70380100007a7", "", "https://qr.vipps.no/p/x"} {
		if _, err := flow.GTINKey(bad); err == nil {
			t.Errorf("GTINKey(%q) accepted", bad)
		}
	}
}

func TestPhoneNumbersAreMasked(t *testing.T) {
	for in, want := range map[string]string{"4791234567": "+47 ••• •• 567", "4512345678": "+45 ••• •• 678", "358401234567": "+358 ••• •• 567"} {
		if got := flow.MaskMSISDN(in); got != want || strings.Contains(got, in[3:len(in)-3]) {
			t.Errorf("MaskMSISDN(%q) = %q, want %q", in, got, want)
		}
	}
	if !flow.IsNorwegianMSISDN("4791234567") || flow.IsNorwegianMSISDN("4512345678") || flow.IsNorwegianMSISDN("479123456") {
		t.Error("IsNorwegianMSISDN")
	}
}

func TestRandomBindingMessages(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		m := flow.RandomBindingMessage()
		if !flow.ValidBindingMessage(m) {
			t.Fatalf("%q does not match ^[A-Z0-9-]{5,8}$", m)
		}
		seen[m] = true
	}
	if len(seen) < 190 {
		t.Errorf("only %d distinct codes in 200", len(seen))
	}
}

func FuzzParsePrice(f *testing.F) {
	for _, s := range []string{"24.90", "24,9", "0", "1.", "99999999.99", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := flow.ParsePrice(s)
		if err != nil {
			return
		}
		if m < 0 {
			t.Fatalf("%q → negative %d", s, m)
		}
		back := fmt.Sprintf("%d.%02d", m/100, m%100)
		if m2, err := flow.ParsePrice(back); err != nil || m2 != m {
			t.Fatalf("%q → %d → %q → %d, %v", s, m, back, m2, err)
		}
	})
}

func TestLangOfMSISDN(t *testing.T) {
	for msisdn, want := range map[string]string{"4791234567": "nb", "4512345678": "da", "299123456": "da",
		"358401234567": "fi", "4612345678": ""} {
		if got := flow.LangOfMSISDN(msisdn); got != want {
			t.Errorf("%s: %q, want %q", msisdn, got, want)
		}
	}
}
