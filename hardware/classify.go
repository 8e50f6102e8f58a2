package hardware

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Personal QR codes are kept opaque (Vipps says the content may change), so
// these patterns only decide "this is someone's personal QR". The legacy
// Vipps form carries the MSISDN in clear; the tokenized form is what
// MobilePay uses today and Vipps will move to. The qr.mobilepay.dk/.fi hosts
// are accepted in case MobilePay codes are ever printed with their own host.
var (
	legacyVippsQR = regexp.MustCompile(`^(?i:https://qr\.vipps\.no)/28/2/01/031/[0-9]{8,15}\?v=1$`)
	tokenizedQR   = regexp.MustCompile(`^(?i:https://qr\.(?:vipps\.no|mobilepay\.dk|mobilepay\.fi))/p/[A-Za-z0-9._~-]{1,512}(?:\?[A-Za-z0-9._~=&%-]*)?$`)
	vippsHost     = regexp.MustCompile(`^(?i:https?://(?:[a-z0-9-]+\.)*(?:vipps\.no|mobilepay\.dk|mobilepay\.fi|mobilepay\.no))(?:[/?#]|$)`)
	webAddress    = regexp.MustCompile(`^(?i:https?://|www\.)`)
	// AIM symbology identifiers ("]E0" EAN-13, "]Q1" QR, ...) that a scanner
	// may be configured to prefix; they say nothing the content does not.
	aimPrefix = regexp.MustCompile(`^\][A-Za-z][0-9A-Za-z]`)
)

// Classify recognises a scanned code: a personal QR becomes a customer scan,
// a GTIN with a valid check digit a product scan (Code normalised), anything
// else an unknown scan whose Problem names what was scanned. Source and At
// are left for the caller.
func Classify(raw string) Scan {
	s := Scan{Raw: raw, Kind: ScanUnknown}
	text := strings.TrimSpace(raw)
	if loc := aimPrefix.FindStringIndex(text); loc != nil {
		text = text[loc[1]:]
	}
	switch {
	case text == "":
		s.Problem = "an empty scan"
	case legacyVippsQR.MatchString(text) || tokenizedQR.MatchString(text):
		s.Kind, s.Code = ScanCustomerQR, text
	case allDigits(text):
		if gtin, problem := productCode(text); problem != "" {
			s.Problem = problem
		} else {
			s.Kind, s.Code = ScanProduct, gtin
		}
	case vippsHost.MatchString(text):
		s.Problem = "a Vipps/MobilePay code that is not a personal QR: " + shown(maskDigits(text))
	case webAddress.MatchString(text):
		s.Problem = "a web address that is not a Vipps/MobilePay code: " + shown(text)
	default:
		s.Problem = "a code that is neither a product barcode nor a Vipps/MobilePay QR: " + shown(text)
	}
	return s
}

// gtinNames are the symbologies by length of their digit string.
var gtinNames = map[int]string{8: "EAN-8", 12: "UPC-A", 13: "EAN-13", 14: "GTIN-14"}

func productCode(digits string) (gtin, problem string) {
	name, ok := gtinNames[len(digits)]
	if !ok {
		return "", fmt.Sprintf("a %d-digit number that is not a product barcode: %s", len(digits), shown(digits))
	}
	if !ValidCheckDigit(digits) {
		return "", fmt.Sprintf("%s with a wrong check digit: %s", name, digits)
	}
	return NormaliseGTIN(digits), ""
}

// NormaliseGTIN gives one spelling per trade item so the catalogue needs only
// one key: EAN-8, UPC-A and EAN-13 become 13 digits (left-padded with zeros,
// which keeps the check digit valid), and a GTIN-14 with indicator 0 is the
// same item as its GTIN-13, so it loses the zero. A GTIN-14 with indicator
// 1-9 names a case or a variable-measure item and stays 14 digits. Input
// must be 8, 12, 13 or 14 digits; anything else is returned unchanged.
func NormaliseGTIN(digits string) string {
	switch len(digits) {
	case 8, 12:
		return strings.Repeat("0", 13-len(digits)) + digits
	case 14:
		if digits[0] == '0' {
			return digits[1:]
		}
	}
	return digits
}

// ValidCheckDigit reports whether the last digit of a GTIN (any length)
// is the GS1 mod-10 check digit of the others.
func ValidCheckDigit(digits string) bool {
	if len(digits) < 2 || !allDigits(digits) {
		return false
	}
	return int(digits[len(digits)-1]-'0') == CheckDigit(digits[:len(digits)-1])
}

// CheckDigit is the GS1 mod-10 check digit that completes digits (all
// decimal digits) into a GTIN.
func CheckDigit(digits string) int {
	sum := 0
	for i, w := len(digits)-1, 3; i >= 0; i, w = i-1, 4-w {
		sum += int(digits[i]-'0') * w
	}
	return (10 - sum%10) % 10
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// shown makes scanned text safe and short enough for a notice: control
// characters and invalid UTF-8 are escaped, long codes are cut.
func shown(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	q := strconv.QuoteToGraphic(s)
	q = q[1 : len(q)-1]
	return strings.ReplaceAll(q, `\"`, `"`)
}
