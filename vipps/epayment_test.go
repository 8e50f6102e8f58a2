package vipps

import (
	"strings"
	"testing"
	"time"
)

func TestCreatePaymentRulesAreCheckedBeforeSending(t *testing.T) {
	ok := CreatePayment{Reference: ref, IdempotencyKey: "sale-42-pay-1", Amount: Amount{"NOK", 49900}, MSISDN: testMSISDN, Description: "Groceries"}
	cases := map[string]func(p *CreatePayment){
		"reference too short":           func(p *CreatePayment) { p.Reference = "pos-1" },
		"reference too long":            func(p *CreatePayment) { p.Reference = strings.Repeat("a", 65) },
		"reference with underscore":     func(p *CreatePayment) { p.Reference = "pos1_sale_42" },
		"no idempotency key":            func(p *CreatePayment) { p.IdempotencyKey = "" },
		"idempotency key over 50":       func(p *CreatePayment) { p.IdempotencyKey = strings.Repeat("k", 51) },
		"NOK below 1 krone":             func(p *CreatePayment) { p.Amount.Value = 99 },
		"over the ePayment maximum":     func(p *CreatePayment) { p.Amount.Value = 65000001 },
		"Swedish kronor":                func(p *CreatePayment) { p.Amount.Currency = "SEK" },
		"description too short":         func(p *CreatePayment) { p.Description = "ab" },
		"description too long":          func(p *CreatePayment) { p.Description = strings.Repeat("æ", 101) },
		"phone and QR both":             func(p *CreatePayment) { p.PersonalQR = legacyQRCode },
		"phone not an MSISDN":           func(p *CreatePayment) { p.MSISDN = "+4791234567" },
		"push without a customer":       func(p *CreatePayment) { p.MSISDN = "" },
		"web redirect is not for tills": func(p *CreatePayment) { p.UserFlow = "WEB_REDIRECT" },
		"unknown QR format":             func(p *CreatePayment) { p.UserFlow, p.MSISDN, p.QRFormat = FlowQR, "", "IMAGE/GIF" },
		"PNG below 100 pixels":          func(p *CreatePayment) { p.UserFlow, p.MSISDN, p.QRFormat, p.QRSize = FlowQR, "", QRPNG, 99 },
		"receipt with wrong VAT": func(p *CreatePayment) {
			p.Receipt = testReceipt()
			p.Receipt.OrderLines[0].TotalTaxAmount = 0
		},
	}
	for name, breakIt := range cases {
		p := ok
		breakIt(&p)
		if p.UserFlow == "" {
			p.UserFlow = FlowPushMessage
		}
		if err := p.check("t"); err == nil || err.Kind != Invalid {
			t.Errorf("%s: accepted", name)
		}
	}
	good := ok
	good.UserFlow = FlowPushMessage
	if err := good.check("t"); err != nil {
		t.Fatalf("valid payment refused: %v", err)
	}
	dkk := good
	dkk.Amount = Amount{"DKK", 1}
	dkk.Reference = strings.Repeat("a", 64)
	if err := dkk.check("t"); err != nil {
		t.Fatalf("1 øre DKK with a 64-character reference refused: %v", err)
	}
}

func TestRetryAfterAsDate(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	if d := retryAfter(now.Add(90*time.Second).Format("Mon, 02 Jan 2006 15:04:05 GMT"), now); d != 90*time.Second {
		t.Fatalf("%v", d)
	}
	if d := retryAfter("soon", now); d != 0 {
		t.Fatalf("%v", d)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	good := Config{BaseURL: TestBaseURL, ClientID: "id", ClientSecret: "s", SubscriptionKey: "k", MSN: "1234567"}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]func(*Config){
		"relative base URL": func(c *Config) { c.BaseURL = "apitest.vipps.no" },
		"no secret":         func(c *Config) { c.ClientSecret = "" },
		"MSN of 8 digits":   func(c *Config) { c.MSN = "12345678" },
	} {
		c := good
		bad(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
