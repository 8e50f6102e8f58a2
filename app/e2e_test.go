package app

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// startDemoTill starts a whole till — SQLite, the built-in simulator over
// real HTTP, webhooks, checkout and settlement worker — with the simulated
// customers approving everything.
func startDemoTill(t *testing.T, configure ...func(*Config)) *Till {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Demo = true
	for _, f := range configure {
		f(cfg)
	}
	tl, err := Start(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tl.Close)
	if err := tl.sim.SetAuto("approve", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	return tl
}

// waitFor polls the till's View until ok says it is there (the work runs in
// the till's own goroutines and over HTTP).
func waitFor(t *testing.T, tl *Till, what string, ok func(flow.View) bool) flow.View {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if v := tl.checkout.View(); ok(v) {
			return v
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; view: %+v", what, tl.checkout.View())
	return flow.View{}
}

func TestEndToEndSalesAgainstTheSimulator(t *testing.T) {
	tl := startDemoTill(t)
	ctx := t.Context()
	till := tl.till

	// A non-member pays by push.
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
		t.Fatal(err)
	}
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tl, "the customer to be identified", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if err := till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	first := waitFor(t, tl, "the first sale to be paid and settled", func(v flow.View) bool {
		return v.Stage == flow.StagePaid && v.Settlement == flow.SettlementDone
	})
	if first.Customer.Member {
		t.Error("a customer who never enrolled is not a member")
	}

	// Kari joins the club during her sale, then pays.
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4791234567?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	for _, gtin := range []string{"7038800010755", "7038800010380"} {
		if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: gtin, Source: "cashier"}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, tl, "Kari to be identified", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if err := till.Enrol(ctx); err != nil {
		t.Fatal(err)
	}
	enrolled := waitFor(t, tl, "Kari to be enrolled", func(v flow.View) bool {
		return v.Enrolment != nil && v.Enrolment.Status == flow.EnrolmentDone && v.Customer.Member
	})
	// The demo club has marketing consents: the display shows the two
	// she said yes to in the app, the database keeps all three answers.
	if got := enrolled.Customer.Consented; len(got) != 2 {
		t.Errorf("consents on the customer display: %q, want the club terms and e-mail offers", got)
	}
	if err := till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	second := waitFor(t, tl, "the member sale to be paid and settled", func(v flow.View) bool {
		return v.SaleID != first.SaleID && v.Stage == flow.StagePaid && v.Settlement == flow.SettlementDone
	})
	if second.Customer.FirstName != "Kari" || !second.Customer.Member {
		t.Errorf("the member sale shows customer %+v", second.Customer)
	}

	// The database agrees with the screens …
	member, err := tl.db.MemberByMSISDN(ctx, "4791234567")
	if err != nil || member == nil || member.Sub == "" || member.Email == "" {
		t.Fatalf("Kari's member record: %+v, %v", member, err)
	}
	if len(member.Consents) != 3 || member.Consents[2].ID != "sms-offers" || member.Consents[2].Accepted || member.Consents[2].At.IsZero() {
		t.Errorf("Kari's consents: %+v (want three answers, SMS offers declined)", member.Consents)
	}
	for _, v := range []flow.View{first, second} {
		s, err := tl.db.Sale(ctx, v.SaleID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Stage != flow.StagePaid || s.Payment == nil || s.Payment.Reference != v.Payment.Reference || s.Total() != v.Total {
			t.Errorf("sale %d in the database: stage %s, payment %+v, total %d; screen said total %d", s.ID, s.Stage, s.Payment, s.Total(), v.Total)
		}
		if s.Customer.Member == nil && v.Customer.Member {
			t.Errorf("sale %d: the member is not linked in the database", s.ID)
		}
		// … and so does Vipps: captured once, in full, with one receipt.
		e, ok := tl.sim.LedgerFor(v.Payment.Reference)
		if !ok || e.Captures != 1 || e.Captured != int64(v.Total) || e.ReceiptsAttached != 1 {
			t.Errorf("Vipps' record of %s: %+v (want one full capture of %d and one receipt)", v.Payment.Reference, e, v.Total)
		}
	}
	if n := len(tl.sim.Ledger()); n != 2 {
		t.Errorf("Vipps saw %d payments, want 2", n)
	}
	if s := tl.webhooks.Stats(); s.Accepted == 0 || s.Forged+s.Tampered+s.Stale != 0 {
		t.Errorf("webhooks: %+v; the simulator's signed deliveries should all be accepted", s)
	}
}

// A Danish and a Finnish sales unit: a MobilePay customer shows the
// tokenized personal QR, pays, the sale is captured with its receipt and
// then refunded — every call in the sales unit's currency.
func TestEndToEndSalesInDenmarkAndFinland(t *testing.T) {
	for _, tc := range []struct{ currency, qr, msisdn string }{
		{"DKK", "https://qr.vipps.no/p/mp-mette-4Kq7Zr2Lx9", "4512345678"},
		{"EUR", "https://qr.vipps.no/p/mp-matti-8Hw3Tn5Pb1", "358401234567"},
	} {
		t.Run(tc.currency, func(t *testing.T) {
			tl := startDemoTill(t, func(c *Config) { c.Vipps.Currency = tc.currency })
			ctx := t.Context()
			cs, _ := tl.session.Cashiers(ctx)
			if _, err := tl.session.Login(ctx, cs[0].ID, DemoManagerPIN); err != nil { // a refund needs a manager
				t.Fatal(err)
			}
			till := tl.till
			if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
				t.Fatal(err)
			}
			if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: tc.qr, Source: "customer"}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, tl, "the customer to be identified", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
			if err := till.RequestPayment(ctx); err != nil {
				t.Fatal(err)
			}
			paid := waitFor(t, tl, "the sale to be paid and settled", func(v flow.View) bool {
				return v.Stage == flow.StagePaid && v.Settlement == flow.SettlementDone
			})
			if paid.Currency != tc.currency || paid.Customer.CheckedIn {
				t.Errorf("view: currency %s, checked in %v (Check-in is Norway only)", paid.Currency, paid.Customer.CheckedIn)
			}
			if err := till.Refund(ctx, paid.SaleID, nil); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				e, ok := tl.sim.LedgerFor(paid.Payment.Reference)
				if ok && e.Refunded == int64(paid.Total) {
					if e.Currency != tc.currency || e.Captures != 1 || e.Captured != int64(paid.Total) || e.ReceiptsAttached != 1 {
						t.Errorf("Vipps' record: %+v (want one full capture in %s and one receipt)", e, tc.currency)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the refund did not reach Vipps: %+v", e)
				}
				time.Sleep(20 * time.Millisecond)
			}
			s, err := tl.db.Sale(ctx, paid.SaleID)
			if err != nil || s.Currency != tc.currency || s.Customer.MSISDN != tc.msisdn {
				t.Fatalf("sale in the database: %+v, %v", s, err)
			}
		})
	}
}

// Beer has an age limit: the payment asks Vipps for minimumUserAge 18, a
// customer born in 2012 is refused and the cashier is told what to do;
// an adult then pays for the same sale.
func TestAgeLimitedGoodsAskVippsForTheCustomersAge(t *testing.T) {
	tl := startDemoTill(t)
	ctx := t.Context()
	till := tl.till
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800019017", Source: "cashier"}); err != nil { // Pils 0,5 l, 18
		t.Fatal(err)
	}
	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4711223344?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	per := waitFor(t, tl, "Per to be identified", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if err := till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	refused := waitFor(t, tl, "the refusal for age", func(v flow.View) bool {
		return v.Notice != nil && v.Notice.Key == "payment.age_refused"
	})
	if refused.Stage != flow.StageOpen || refused.Notice.Args["age"] != "18" || refused.Notice.Kind != flow.NoticeError {
		t.Errorf("after the refusal: stage %s, notice %+v", refused.Stage, refused.Notice)
	}

	if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tl, "Ola to be identified", func(v flow.View) bool {
		return v.Customer != nil && v.Customer.MaskedPhone != "" && v.Customer.MaskedPhone != per.Customer.MaskedPhone
	})
	if err := till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	paid := waitFor(t, tl, "the adult's payment", func(v flow.View) bool { return v.Stage == flow.StagePaid && v.Settlement == flow.SettlementDone })
	if paid.SaleID != refused.SaleID {
		t.Errorf("paid sale %d, want the refused sale %d", paid.SaleID, refused.SaleID)
	}
	s, err := tl.db.Sale(ctx, paid.SaleID)
	if err != nil || len(s.Lines) != 1 || s.Lines[0].MinimumAge != 18 {
		t.Fatalf("the sale in the database keeps the age limit: %+v, %v", s, err)
	}
}

// A sales unit Vipps MobilePay has not enabled for push: the first push is
// refused (5080), the cashier is told once, the same sale is asked for by
// the QR code on the customer display, and so is every sale after it —
// also after a restart, since the till keeps the switch in its settings.
func TestSalesUnitWithoutPushPaysByQR(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kasse.json")
	if err := os.WriteFile(file, []byte(`{"lang":"nb","vipps":{"env":"simulator"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tl := startDemoTill(t, func(c *Config) { c.File = file })
	tl.sim.SetPushMessage(false)
	ctx := t.Context()
	till := tl.till
	payByQR := func(what string, wantNotice bool) flow.View {
		t.Helper()
		if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
			t.Fatal(err)
		}
		if err := till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tl, what+": the customer", func(v flow.View) bool {
			return v.Customer != nil && v.Customer.MaskedPhone != "" && v.Stage == flow.StageOpen
		})
		if err := till.RequestPayment(ctx); err != nil {
			t.Fatal(err)
		}
		v := waitFor(t, tl, what+": the QR code", func(v flow.View) bool {
			return v.Payment != nil && !v.Payment.Push && v.Payment.QR != "" && v.Payment.Status == flow.PaymentWaiting
		})
		if got := v.Notice != nil && v.Notice.Key == "payment.push_not_enabled"; got != wantNotice {
			t.Errorf("%s: notice %+v, want the push notice: %v", what, v.Notice, wantNotice)
		}
		if err := tl.vipps.ForceApprove(ctx, v.Payment.Reference, "4798765432"); err != nil { // the customer scans the code
			t.Fatal(err)
		}
		return waitFor(t, tl, what+": paid", func(p flow.View) bool {
			return p.SaleID == v.SaleID && p.Stage == flow.StagePaid && p.Settlement == flow.SettlementDone
		})
	}
	first := payByQR("the first sale", true)
	s, err := tl.db.Sale(ctx, first.SaleID)
	if err != nil || s.Attempt != 2 {
		t.Errorf("first sale: attempt %d (want the refused push, then the QR), %v", s.Attempt, err)
	}
	payByQR("the second sale", false)

	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var saved Config
	if err := json.Unmarshal(b, &saved); err != nil || !saved.Vipps.PushDisabled || saved.Lang != "nb" {
		t.Errorf("the configuration file after the switch: %s (%v)", b, err)
	}

	// Started again with that setting, the till asks by QR from the start,
	// without a customer, and says nothing about push.
	again := startDemoTill(t, func(c *Config) { c.Vipps.PushDisabled = saved.Vipps.PushDisabled })
	if err := again.till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
		t.Fatal(err)
	}
	if v := waitFor(t, again, "the line", func(v flow.View) bool { return len(v.Lines) == 1 }); !v.CanRequestPayment {
		t.Error("with push off, a payment can be requested without a customer (by QR)")
	}
	if err := again.till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	v := waitFor(t, again, "the QR code", func(v flow.View) bool { return v.Payment != nil && v.Payment.QR != "" })
	if v.Payment.Push || (v.Notice != nil && v.Notice.Key == "payment.push_not_enabled") {
		t.Errorf("after a restart: payment %+v, notice %+v", v.Payment, v.Notice)
	}
}

// The store's name reaches the customer's app as Vipps counts it, in
// characters: a Danish name of 92 letters (114 bytes) (many of them two bytes) is sent
// whole, and a two-letter name is made long enough, never refused.
func TestStoreNameReachesTheCustomersAppWhole(t *testing.T) {
	for name, want := range map[string]string{
		strings.Repeat("Købmand Ærø ", 7) + "Østerbro": strings.Repeat("Købmand Ærø ", 7) + "Østerbro",
		"Øl": "Øl – Purchase",
	} {
		tl := startDemoTill(t, func(c *Config) { c.Store.Name = name })
		ctx := t.Context()
		if err := tl.till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
			t.Fatal(err)
		}
		if err := tl.till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/28/2/01/031/4798765432?v=1", Source: "customer"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tl, "the customer", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
		if err := tl.till.RequestPayment(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tl, "paid", func(v flow.View) bool { return v.Stage == flow.StagePaid })
		var got []string
		for _, p := range tl.sim.Pushes("4798765432") {
			if p.Kind == sim.PushPayment {
				got = append(got, p.Description)
			}
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("store name %q (%d bytes): the customer's app showed %q, want %q", name, len(name), got, want)
		}
	}
}

// A Greenlandic MobilePay customer (+299, six digits) in a Danish store:
// the QR exchange gives a nine-digit number, which ePayment does not take
// as a phoneNumber, so the payment request goes to the scanned personal
// QR; it is paid, captured once, and the number is masked as +299.
func TestAGreenlandicCustomerPaysByTheirPersonalQR(t *testing.T) {
	tl := startDemoTill(t, func(c *Config) { c.Vipps.Currency = "DKK" })
	ctx := t.Context()
	if err := tl.till.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: "7038800010014", Source: "cashier"}); err != nil {
		t.Fatal(err)
	}
	if err := tl.till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: "https://qr.vipps.no/p/mp-aputsiaq-6Vn2Xc9Rk3", Source: "customer"}); err != nil {
		t.Fatal(err)
	}
	v := waitFor(t, tl, "the customer", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	if v.Customer.MaskedPhone != "+299 ••• •• 456" || v.Customer.CheckedIn {
		t.Errorf("customer %+v: want +299 masked, no Check-in", v.Customer)
	}
	if err := tl.till.RequestPayment(ctx); err != nil {
		t.Fatal(err)
	}
	paid := waitFor(t, tl, "paid and settled", func(v flow.View) bool { return v.Stage == flow.StagePaid && v.Settlement == flow.SettlementDone })
	s, err := tl.db.Sale(ctx, paid.SaleID)
	if err != nil || s.Payment.PushMSISDN != "" || s.Payment.PushQR == "" {
		t.Errorf("the request went to %q / %q (%v); want the personal QR", s.Payment.PushMSISDN, s.Payment.PushQR, err)
	}
	if e, _ := tl.sim.LedgerFor(paid.Payment.Reference); e.Captures != 1 || e.Currency != "DKK" {
		t.Errorf("Vipps' record %+v", e)
	}
}
