package vipps

import (
	"errors"
	"net/http"
	"testing"
)

func TestParseMSISDN(t *testing.T) {
	cases := []struct {
		in   string
		home Country
		want string
	}{
		{"+47 912 34 567", "", "4791234567"},
		{"0047 91234567", Denmark, "4791234567"},
		{"91234567", Norway, "4791234567"},
		{"4791234567", Norway, "4791234567"},
		{"4512345678", Norway, "4512345678"}, // a full Danish MSISDN at a Norwegian till
		{"12 34 56 78", Denmark, "4512345678"},
		{"040 123 4567", Finland, "358401234567"},
		{"+358 50 123 4567", "", "358501234567"},
		{"(+47) 912-34-567", "", "4791234567"},
		{"91234567", "", ""},          // no country code, no home
		{"+46 70 123 45 67", "", ""},  // Sweden is not served
		{"+47 1234", "", ""},          // too short
		{"+47 912345678", "", ""},     // too long for Norway
		{"47912345ab", Norway, ""},    // letters
		{"+47 91234567+", Norway, ""}, // stray plus
		{"+299 12 34 56", "", "299123456"},
		{"12 34 56", Greenland, "299123456"},
		{"+299 1234567", "", ""}, // Greenland has six digits
	}
	for _, c := range cases {
		got, err := ParseMSISDN(c.in, c.home)
		if c.want == "" {
			if !errors.Is(err, ErrBadMSISDN) {
				t.Errorf("ParseMSISDN(%q, %q) = %q, %v; want ErrBadMSISDN", c.in, c.home, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseMSISDN(%q, %q) = %q, %v; want %q", c.in, c.home, got, err, c.want)
		}
	}
	if CountryOf("4791234567") != Norway || CountryOf("4512345678") != Denmark || CountryOf("358401234567") != Finland || CountryOf("46701234567") != "" ||
		CountryOf("299123456") != Greenland {
		t.Error("CountryOf")
	}
}

func TestMaskMSISDN(t *testing.T) {
	for in, want := range map[string]string{"4791234567": "+47 ••• •• 567", "358401234567": "+358 ••• •• 567", "299123456": "+299 ••• •• 456", "123": "•••"} {
		if got := MaskMSISDN(in); got != want {
			t.Errorf("MaskMSISDN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLegacyQRIsOnlyAFallback(t *testing.T) {
	if m, ok := ParseLegacyQR(legacyQRCode); !ok || m != testMSISDN {
		t.Fatalf("legacy QR: %q %v", m, ok)
	}
	if _, ok := ParseLegacyQR("https://qr.vipps.no/p/qwjhewqhueheuqwhuqwhe"); ok {
		t.Fatal("tokenized QR parsed locally")
	}
	f := newFixture(t, func(c *Config) { c.MaxRetries = -1 })
	f.gw.skipRespVal = true
	exchanged := "4798765432"
	f.gw.on("POST /qr/v1/exchange", func(w http.ResponseWriter, r *http.Request) {
		if exchanged == "" {
			writeProblem(w, 500, "Internal", "")
			return
		}
		writeJSON(w, 200, map[string]any{"msisdn": exchanged, "version": "1.0"})
	})
	// The exchange wins even for a legacy code.
	if m, err := f.c.MSISDNFromQR(ctx(t), legacyQRCode); err != nil || m != exchanged {
		t.Fatalf("got %q %v, want the exchanged number", m, err)
	}
	exchanged = ""
	if m, err := f.c.MSISDNFromQR(ctx(t), legacyQRCode); err != nil || m != testMSISDN {
		t.Fatalf("fallback: %q %v", m, err)
	}
	if _, err := f.c.MSISDNFromQR(ctx(t), "https://qr.vipps.no/p/token"); KindOf(err) != Transient {
		t.Fatalf("tokenized QR with the exchange down: %v", err)
	}
	if n := len(f.gw.CallsTo("POST", "/qr/v1/exchange")); n != 3 {
		t.Fatalf("%d exchanges, want one per scan", n)
	}
}

func TestCheckInIsNorwegianOnlyAndReadsBothAnswerShapes(t *testing.T) {
	f := newFixture(t)
	if _, err := f.c.CheckIn(ctx(t), "4512345678", true, ""); KindOf(err) != Invalid || len(f.gw.Calls()) != 0 {
		t.Fatalf("Danish check-in: %v", err)
	}
	f.gw.skipRespVal = true // {id} is the spec's ambiguous alternative
	f.gw.on("POST /point-of-sale/v1/loyalty-check-in", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"id": "abc"})
	})
	if id, err := f.c.CheckIn(ctx(t), testMSISDN, false, ""); err != nil || id != "abc" {
		t.Fatalf("%q %v", id, err)
	}
	if b := f.gw.CallsTo("POST", "/point-of-sale/v1/loyalty-check-in")[0].Body; string(b) != `{"isMember":false,"phoneNumber":"4791234567"}` {
		t.Fatalf("body %s", b)
	}
}
