package vipps_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/internal/openapitest"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// simClient is the client on a simulator over HTTP, behind a base path,
// with every request and answer validated against the OpenAPI files.
func simClient(t *testing.T, tweak func(*sim.Config)) (*vipps.Client, *sim.Sim) {
	t.Helper()
	cfg := sim.DefaultConfig()
	cfg.AuthorizingWindow = 0
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const base = "/gw"
	strip := http.StripPrefix(base, openapitest.Handler(t, s))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Forwarded-Prefix", base)
		strip.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); s.Close() })
	c, err := vipps.New(vipps.Config{BaseURL: srv.URL + base, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		SubscriptionKey: cfg.SubscriptionKey, MSN: cfg.MSN, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

func simCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Store names are counted in characters, as Vipps counts them: "Øl" is
// two characters (three bytes) and used to fail every payment.
func TestStoreNamesBecomeValidPaymentDescriptions(t *testing.T) {
	c, s := simClient(t, nil)
	for i, tc := range []struct{ name, want string }{
		{"Øl", "Øl – Purchase"},
		{"Bø", "Bø – Purchase"},
		{"Å", "Å – Purchase"},
		{"  ", "Purchase"},
		{"Ærø", "Ærø"},
		{strings.Repeat("æ", 100), strings.Repeat("æ", 100)},
		{strings.Repeat("ø", 120), strings.Repeat("ø", 100)},
		{strings.Repeat("a", 99) + "øx", strings.Repeat("a", 99) + "ø"},
		{"Butikk" + string([]byte{0xc3}), "Butikk"}, // cut inside "ø" by a byte-counting caller
	} {
		if got := vipps.PaymentDescription(tc.name); got != tc.want {
			t.Errorf("PaymentDescription(%q) = %q, want %q", tc.name, got, tc.want)
		}
		ref := "pos1-desc-" + string(rune('a'+i)) + "xxx"
		msisdn := "4791234567"
		if _, err := c.CreatePayment(simCtx(t), vipps.CreatePayment{Reference: ref, IdempotencyKey: ref,
			Amount: vipps.Amount{Currency: "NOK", Value: 1000}, MSISDN: msisdn, Description: tc.name}); err != nil {
			t.Errorf("store name %q: %v", tc.name, err)
			continue
		}
		var found bool
		for _, p := range s.Pushes(msisdn) {
			if p.Reference == ref {
				found = true
				if p.Description != tc.want {
					t.Errorf("store name %q: the app shows %q, want %q", tc.name, p.Description, tc.want)
				}
			}
		}
		if !found {
			t.Errorf("store name %q: no push for %s", tc.name, ref)
		}
	}
}

// minimumUserAge goes on the wire; a customer younger than it is refused
// with 7010, the code of an unknown customer.
func TestMinimumUserAgeRefusesAMinor(t *testing.T) {
	c, _ := simClient(t, nil)
	for msisdn, want := range map[string]string{"4711223344": "7010", "4791234567": ""} { // Per, born 2012; Kari, 1985
		ref := "pos1-age-" + msisdn
		_, err := c.CreatePayment(simCtx(t), vipps.CreatePayment{Reference: ref, IdempotencyKey: ref,
			Amount: vipps.Amount{Currency: "NOK", Value: 3490}, MSISDN: msisdn, Description: "Pils 0,5 l", MinimumUserAge: 18})
		var ve *vipps.Error
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", msisdn, err)
		case want != "" && (!errors.As(err, &ve) || ve.Code != want || ve.Kind != vipps.Permanent):
			t.Errorf("%s: %v, want a permanent %s", msisdn, err, want)
		}
	}
	if _, err := c.CreatePayment(simCtx(t), vipps.CreatePayment{Reference: "pos1-age-bad", IdempotencyKey: "k",
		Amount: vipps.Amount{Currency: "NOK", Value: 3490}, MSISDN: "4791234567", Description: "Pils", MinimumUserAge: 101}); vipps.KindOf(err) != vipps.Invalid {
		t.Errorf("an age of 101: %v", err)
	}
}

// An authorized payment says until when its reservation is guaranteed
// (captureGuaranteedUntil); the client reads it.
func TestCaptureGuaranteedUntilIsRead(t *testing.T) {
	c, _ := simClient(t, func(cfg *sim.Config) { cfg.CaptureGuarantee = 5 * 24 * time.Hour })
	ref := "pos1-guarantee-1"
	if _, err := c.CreatePayment(simCtx(t), vipps.CreatePayment{Reference: ref, IdempotencyKey: ref,
		Amount: vipps.Amount{Currency: "NOK", Value: 1000}, MSISDN: "4791234567", Description: "Butikken"}); err != nil {
		t.Fatal(err)
	}
	if p, err := c.GetPayment(simCtx(t), ref); err != nil || !p.CaptureGuaranteedUntil.IsZero() {
		t.Fatalf("before approval: %+v, %v (no guarantee yet)", p, err)
	}
	if err := c.ForceApprove(simCtx(t), ref, "4791234567"); err != nil {
		t.Fatal(err)
	}
	p, err := c.GetPayment(simCtx(t), ref)
	if err != nil || p.State != vipps.StateAuthorized {
		t.Fatalf("after approval: %+v, %v", p, err)
	}
	if left := time.Until(p.CaptureGuaranteedUntil); left < 5*24*time.Hour-time.Minute || left > 5*24*time.Hour+time.Minute {
		t.Errorf("captureGuaranteedUntil %s is %s away, want 5 days", p.CaptureGuaranteedUntil, left)
	}
}

// A club with marketing consents in the business portal asks for them with
// the delegatedConsents scope; userinfo carries what the customer was shown
// and answered, the first time only.
func TestDelegatedConsentsComeWithTheFirstConsent(t *testing.T) {
	c, _ := simClient(t, func(cfg *sim.Config) { cfg.Auto, cfg.AutoDelay, cfg.LoginInterval = "approve", 10*time.Millisecond, 1 })
	login := func() vipps.Claims {
		t.Helper()
		lr, err := c.StartLogin(simCtx(t), "4791234567", "KX7-42Q", []string{"openid", "name", "delegatedConsents"})
		if err != nil {
			t.Fatal(err)
		}
		cl, err := c.FinishLogin(simCtx(t), lr)
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	first := login()
	dc := first.DelegatedConsents
	if dc == nil || len(dc.Consents) != 3 || dc.TimeOfConsent == "" || dc.Heading == "" {
		t.Fatalf("first consent: %+v", dc)
	}
	answers := map[string]bool{}
	for _, x := range dc.Consents {
		answers[x.ID] = x.Accepted
		if x.TextDisplayedToUser == "" {
			t.Errorf("consent %q without its text", x.ID)
		}
	}
	if !answers["club-terms"] || !answers["email-offers"] || answers["sms-offers"] {
		t.Errorf("answers %v: want the terms and e-mail accepted, SMS declined", answers)
	}
	if again := login(); again.DelegatedConsents != nil {
		t.Errorf("a second login carries the consents again: %+v", again.DelegatedConsents)
	}
}

// A Greenlandic MobilePay customer: the QR exchange gives a nine-digit
// number, which ePayment does not take as a phoneNumber (the client says so
// before sending); a push to the scanned personal QR is what works.
func TestAGreenlandicCustomerIsPushedByTheirPersonalQR(t *testing.T) {
	c, _ := simClient(t, func(cfg *sim.Config) { cfg.Currency, cfg.Auto, cfg.AutoDelay = "DKK", "approve", 10*time.Millisecond })
	const qr = "https://qr.vipps.no/p/mp-aputsiaq-6Vn2Xc9Rk3"
	x, err := c.ExchangeQR(simCtx(t), qr)
	if err != nil || x.MSISDN != "299123456" || vipps.CountryOf(x.MSISDN) != vipps.Greenland {
		t.Fatalf("exchange: %+v, %v", x, err)
	}
	amount := vipps.Amount{Currency: "DKK", Value: 2500}
	if _, err := c.CreatePayment(simCtx(t), vipps.CreatePayment{Reference: "gl-by-number-1", IdempotencyKey: "gl-by-number-1",
		Amount: amount, MSISDN: x.MSISDN, Description: "Brugsen"}); vipps.KindOf(err) != vipps.Invalid {
		t.Errorf("a push to the nine-digit number: %v, want refused by the client", err)
	}
	if _, err := c.CreatePayment(simCtx(t), vipps.CreatePayment{Reference: "gl-by-qr-1", IdempotencyKey: "gl-by-qr-1",
		Amount: amount, PersonalQR: qr, Description: "Brugsen"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := c.GetPayment(simCtx(t), "gl-by-qr-1")
		if err == nil && p.State == vipps.StateAuthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the customer's approval never came: %+v, %v", p, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
