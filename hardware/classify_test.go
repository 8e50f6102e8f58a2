package hardware

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		raw     string
		kind    ScanKind
		code    string
		problem string // substring expected in Problem
	}{
		{"7038010055683", ScanProduct, "7038010055683", ""},
		{" 7038010055683\t", ScanProduct, "7038010055683", ""},
		{"]E07038010055683", ScanProduct, "7038010055683", ""},
		{"96385074", ScanProduct, "0000096385074", ""},        // EAN-8
		{"036000291452", ScanProduct, "0036000291452", ""},    // UPC-A
		{"07038010055683", ScanProduct, "7038010055683", ""},  // GTIN-14, indicator 0
		{"17038010055680", ScanProduct, "17038010055680", ""}, // GTIN-14 for a case
		{"7038010055681", ScanUnknown, "", "EAN-13 with a wrong check digit: 7038010055681"},
		{"96385075", ScanUnknown, "", "EAN-8 with a wrong check digit: 96385075"},
		{"036000291453", ScanUnknown, "", "UPC-A with a wrong check digit"},
		{"17038010055681", ScanUnknown, "", "GTIN-14 with a wrong check digit"},
		{"1234567890", ScanUnknown, "", "a 10-digit number that is not a product barcode: 1234567890"},
		{"https://qr.vipps.no/28/2/01/031/4791234567?v=1", ScanCustomerQR, "https://qr.vipps.no/28/2/01/031/4791234567?v=1", ""},
		{"HTTPS://QR.VIPPS.NO/28/2/01/031/4791234567?v=1", ScanCustomerQR, "HTTPS://QR.VIPPS.NO/28/2/01/031/4791234567?v=1", ""},
		{"https://qr.vipps.no/p/qwjhewqhueheuqwhuqwhe", ScanCustomerQR, "https://qr.vipps.no/p/qwjhewqhueheuqwhuqwhe", ""},
		{"https://qr.mobilepay.dk/p/AbC-123_x", ScanCustomerQR, "https://qr.mobilepay.dk/p/AbC-123_x", ""},
		{"https://qr.vipps.no/28/2/01/031/4791234567", ScanUnknown, "", "a Vipps/MobilePay code that is not a personal QR: https://qr.vipps.no/28/2/01/031/********67"},
		{"https://qr.vipps.no/p/", ScanUnknown, "", "not a personal QR"},
		{"https://qr.vipps.no.evil.example/p/abc", ScanUnknown, "", "a web address that is not a Vipps/MobilePay code: https://qr.vipps.no.evil.example/p/abc"},
		{"https://example.com/menu", ScanUnknown, "", "a web address that is not a Vipps/MobilePay code: https://example.com/menu"},
		{"HELLO\x00WORLD", ScanUnknown, "", `neither a product barcode nor a Vipps/MobilePay QR: HELLO\x00WORLD`},
		{"", ScanUnknown, "", "an empty scan"},
		{"   ", ScanUnknown, "", "an empty scan"},
	}
	for _, tt := range tests {
		got := Classify(tt.raw)
		if got.Kind != tt.kind || got.Code != tt.code || got.Raw != tt.raw {
			t.Errorf("Classify(%q) = kind %q code %q raw %q, want kind %q code %q", tt.raw, got.Kind, got.Code, got.Raw, tt.kind, tt.code)
		}
		if tt.problem == "" && got.Problem != "" || !strings.Contains(got.Problem, tt.problem) {
			t.Errorf("Classify(%q).Problem = %q, want it to contain %q", tt.raw, got.Problem, tt.problem)
		}
	}
}

func TestClassifyCutsLongCodesInTheMessage(t *testing.T) {
	got := Classify(strings.Repeat("x", 500))
	if n := len([]rune(got.Problem)); n > 200 {
		t.Fatalf("problem is %d characters long; a notice must stay readable: %q", n, got.Problem)
	}
}

// FuzzClassify checks the promises the checkout relies on: a product code is
// always a valid 13- or 14-digit GTIN, a customer code is the scanned text,
// and an unknown scan always explains itself.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"7038010055683", "96385074", "036000291452", "07038010055683",
		"https://qr.vipps.no/28/2/01/031/4791234567?v=1", "https://qr.vipps.no/p/abc", "]Q1https://x", "\xff\x00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s := Classify(raw)
		switch s.Kind {
		case ScanProduct:
			if (len(s.Code) != 13 && len(s.Code) != 14) || !ValidCheckDigit(s.Code) {
				t.Fatalf("product code %q from %q is not a valid GTIN-13/14", s.Code, raw)
			}
			if len(s.Code) == 14 && s.Code[0] == '0' {
				t.Fatalf("GTIN-14 %q should have been shortened to 13 digits", s.Code)
			}
		case ScanCustomerQR:
			if !strings.Contains(raw, s.Code) || s.Problem != "" {
				t.Fatalf("customer QR %q is not the scanned text %q", s.Code, raw)
			}
		case ScanUnknown:
			if s.Problem == "" || s.Code != "" {
				t.Fatalf("unknown scan of %q without a problem message", raw)
			}
		default:
			t.Fatalf("kind %q", s.Kind)
		}
	})
}
