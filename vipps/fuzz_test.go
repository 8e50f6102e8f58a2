package vipps

import (
	"regexp"
	"testing"
	"time"
)

// FuzzParseMSISDN: whatever is typed, an accepted number is a valid
// NO/DK/GL/FI MSISDN and parsing it again changes nothing.
func FuzzParseMSISDN(f *testing.F) {
	for _, s := range []string{"+47 912 34 567", "040 123 4567", "0045 12345678", "(+47)", "++47", "358"} {
		f.Add(s, "NO")
		f.Add(s, "FI")
	}
	f.Fuzz(func(t *testing.T, s, home string) {
		m, err := ParseMSISDN(s, Country(home))
		if err != nil {
			return
		}
		if CountryOf(m) == "" || !msisdnDigits.MatchString(m) {
			t.Fatalf("%q accepted as %q", s, m)
		}
		if again, err := ParseMSISDN(m, ""); err != nil || again != m {
			t.Fatalf("%q → %q → %q, %v", s, m, again, err)
		}
	})
}

// FuzzVerifyWebhook: only the untouched published delivery verifies.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte(vecBody), vecSig)
	f.Add([]byte(vecBody+"x"), vecSig)
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		h := vecHeader()
		h.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+sig)
		err := VerifyWebhook(vecURL, vecSecret, body, h, vecNow, time.Minute)
		if err == nil && (string(body) != vecBody || sig != vecSig) {
			t.Fatalf("forged delivery verified: %q %q", body, sig)
		}
	})
}

// msisdnDigits is any MSISDN this client accepts: digits only, Greenland's
// nine up to ePayment's fifteen.
var msisdnDigits = regexp.MustCompile(`^\d{9,15}$`)
