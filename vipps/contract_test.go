package vipps

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/internal/golden"
)

const legacyQRCode = "https://qr.vipps.no/28/2/01/031/" + testMSISDN + "?v=1"

// routeEverything answers every endpoint the till uses as Vipps would.
func routeEverything(f *fixture) {
	g := f.gw
	g.on("POST /qr/v1/exchange", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"msisdn": testMSISDN, "version": "2.0", "timestamp": 1634025600})
	})
	g.on("POST /point-of-sale/v1/loyalty-check-in", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, "16328cb8-d769-4c53-90ad-e19777823f0a")
	})
	polls := 0
	g.on("POST "+backchannelPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"auth_req_id": "VYGaaAMRkI6SyAm_uIywhxsN2K0", "expires_in": 600, "interval": 5})
	})
	g.on("POST "+tokenPath, func(w http.ResponseWriter, r *http.Request) {
		if polls++; polls < 2 {
			writeJSON(w, 400, map[string]string{"error": "authorization_pending", "error_description": "The authorization request is still pending"})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": testLoginToken, "token_type": "Bearer", "expires_in": 300, "id_token": "eyJhbGciOiJSUzI1NiJ9.e30.sig"})
	})
	g.on("POST "+userExistsPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]bool{"exists": true})
	})
	g.on("GET "+userinfoPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(200)
		_, _ = w.Write([]byte(`{"sub":"c06c4afe-d9e1-4c5d-939a-177d752a0944","name":"Ada Lovelace","given_name":"Ada","family_name":"Lovelace",
		 "email":"ada@example.com","email_verified":true,"phone_number":"` + testMSISDN + `","birthdate":"1815-12-10"}`))
	})
	g.on("POST /epayment/v1/payments", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, map[string]string{"reference": ref, "redirectUrl": "https://qr-image.vipps.no/v1?token=abc"})
	})
	g.on("GET /epayment/v1/payments/"+ref, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, paymentJSON(ref, StateAuthorized, 49900, 0, 0, 0))
	})
	g.on("GET /epayment/v1/payments/"+ref+"/events", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []map[string]any{
			{"reference": ref, "pspReference": "p1", "name": "CREATED", "amount": map[string]any{"currency": "NOK", "value": 49900},
				"timestamp": "2026-03-02T10:00:00Z", "idempotencyKey": "sale-42-pay-1", "success": true},
			{"reference": ref, "pspReference": "p2", "name": "AUTHORIZED", "amount": map[string]any{"currency": "NOK", "value": 49900},
				"timestamp": "2026-03-02T10:00:20Z", "idempotencyKey": nil, "success": true},
		})
	})
	for _, action := range []string{"capture", "refund", "cancel"} {
		g.on("POST /epayment/v1/payments/"+ref+"/"+action, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, paymentJSON(ref, StateAuthorized, 49900, 49900, 0, 10000))
		})
	}
	g.on("POST /epayment/v1/test/payments/"+ref+"/approve", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	g.on("POST /order-management/v2/ECOM/receipts/"+ref, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, "0f6f2a4e-3c6b-4b8e-9a47-5a7c3c1e2d10")
	})
	g.on("GET /order-management/v2/ECOM/"+ref, func(w http.ResponseWriter, r *http.Request) {
		var rc Receipt
		_ = json.Unmarshal(mustRead("receipt.json"), &rc)
		writeJSON(w, 200, map[string]any{"receipt": rc})
	})
	g.on("POST /webhooks/v1/webhooks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 201, map[string]string{"id": "497f6eca-6276-4993-bfeb-53cbbbba6f08", "secret": "090a478d-37ff-4e77-970e-d457aeb26a3a"})
	})
	g.on("GET /webhooks/v1/webhooks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"webhooks": []map[string]any{{"id": "497f6eca-6276-4993-bfeb-53cbbbba6f08",
			"url": "https://till.example.com/vipps", "events": []string{EventPaymentAuthorized}}}})
	})
	g.on("DELETE /webhooks/v1/webhooks/497f6eca-6276-4993-bfeb-53cbbbba6f08", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
}

func mustRead(name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return b
}

func testReceipt() *Receipt {
	return &Receipt{
		OrderLines: []OrderLine{
			NewOrderLine("7038010009457", "Milk 1 l", 2, 2490, 0, 1500),
			NewOrderLine("jacket1234", "Winter jacket", 1, 319900, 80000, 2500),
		},
		BottomLine: BottomLine{Currency: "NOK", POSID: "pos_122", ReceiptNumber: "0527013501"},
	}
}

// TestEveryRequestFollowsTheContract drives every call the till makes; the
// gateway validates each request (and its own answer) against the
// official OpenAPI files, and the CIBA ones by hand. It then checks no log
// line holds a secret or a full phone number.
func TestEveryRequestFollowsTheContract(t *testing.T) {
	f := newFixture(t)
	routeEverything(f)
	c, cx := f.c, ctx(t)

	msisdn, err := c.MSISDNFromQR(cx, "https://qr.vipps.no/p/qwjhewqhueheuqwhuqwhe")
	if err != nil || msisdn != testMSISDN {
		t.Fatalf("QR exchange: %q %v", msisdn, err)
	}
	if id, err := c.CheckIn(cx, msisdn, true, "Acme loyalty club"); err != nil || id != "16328cb8-d769-4c53-90ad-e19777823f0a" {
		t.Fatalf("check-in: %q %v", id, err)
	}
	claims, err := c.LoginByPhone(cx, msisdn, "4MZ-CQ3", []string{"name", "phoneNumber", "email", "birthDate"})
	if err != nil || claims.Sub == "" || claims.PhoneNumber != testMSISDN || claims.BirthDate != "1815-12-10" {
		t.Fatalf("login: %+v %v", claims, err)
	}
	for _, p := range []CreatePayment{
		{Reference: ref, IdempotencyKey: "sale-42-pay-1", Amount: Amount{"NOK", 49900}, MSISDN: msisdn, Description: "Groceries", Receipt: testReceipt()},
		{Reference: ref, IdempotencyKey: "sale-42-pay-2", Amount: Amount{"NOK", 49900}, PersonalQR: legacyQRCode, Description: "Groceries"},
		{Reference: ref, IdempotencyKey: "sale-42-pay-3", Amount: Amount{"NOK", 49900}, UserFlow: FlowQR, Description: "Groceries"},
		{Reference: ref, IdempotencyKey: "sale-42-pay-4", Amount: Amount{"NOK", 49900}, UserFlow: FlowQR, QRFormat: QRPNG, QRSize: 400, Description: "Groceries"},
	} {
		if _, err := c.CreatePayment(cx, p); err != nil {
			t.Fatalf("create %s: %v", p.IdempotencyKey, err)
		}
	}
	pay, err := c.GetPayment(cx, ref)
	if err != nil || pay.State != StateAuthorized || pay.Aggregate.Authorized.Value != 49900 {
		t.Fatalf("get: %+v %v", pay, err)
	}
	evs, err := c.PaymentEvents(cx, ref)
	if err != nil || len(evs) != 2 || evs[1].Name != "AUTHORIZED" || !evs[1].Timestamp.Equal(time.Date(2026, 3, 2, 10, 0, 20, 0, time.UTC)) {
		t.Fatalf("events: %+v %v", evs, err)
	}
	if p, err := c.Capture(cx, ref, Amount{"NOK", 49900}, "sale-42-cap-1"); err != nil || p.Aggregate.Captured.Value != 49900 {
		t.Fatalf("capture: %+v %v", p, err)
	}
	if _, err := c.Refund(cx, ref, Amount{"NOK", 10000}, "sale-42-ref-1"); err != nil {
		t.Fatalf("refund: %v", err)
	}
	if _, err := c.Cancel(cx, ref, true, "sale-42-cancel-1"); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if err := c.ForceApprove(cx, ref, msisdn); err != nil {
		t.Fatalf("force approve: %v", err)
	}
	if err := c.AddReceipt(cx, ref, *testReceipt()); err != nil {
		t.Fatalf("receipt: %v", err)
	}
	if o, err := c.GetOrder(cx, ref); err != nil || o.Receipt == nil || len(o.Receipt.OrderLines) != 2 {
		t.Fatalf("get order: %+v %v", o, err)
	}
	reg, err := c.RegisterWebhook(cx, "https://till.example.com/vipps", []string{EventPaymentAuthorized})
	if err != nil || reg.Secret == "" {
		t.Fatalf("register: %+v %v", reg, err)
	}
	if hooks, err := c.Webhooks(cx); err != nil || len(hooks) != 1 {
		t.Fatalf("list: %v %v", hooks, err)
	}
	if err := c.DeleteWebhook(cx, reg.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if exists, err := c.UserExists(cx, msisdn); err != nil || !exists {
		t.Fatalf("user exists: %v %v", exists, err)
	}

	checkHeaders(t, f.gw.Calls())
	checkCreateBodies(t, f.gw.CallsTo("POST", "/epayment/v1/payments"))
	if cb := f.gw.CallsTo("POST", "/point-of-sale/v1/loyalty-check-in"); len(cb) == 1 &&
		string(cb[0].Body) != `{"isMember":true,"loyaltyProgramName":"Acme loyalty club","phoneNumber":"4791234567"}` {
		t.Errorf("check-in body %s", cb[0].Body)
	}
	if cancel := f.gw.CallsTo("POST", "/epayment/v1/payments/"+ref+"/cancel"); string(cancel[0].Body) != `{"cancelTransactionOnly":true}` {
		t.Errorf("cancel body %s", cancel[0].Body)
	}
	if slept := f.clock.Slept(); len(slept) != 2 || slept[0] != 5*time.Second || slept[1] != 5*time.Second {
		t.Errorf("CIBA polls waited %v, want the 5 s interval before each of 2 polls", slept)
	}
	checkLogs(t, f.logs.String())
}

func checkHeaders(t *testing.T, calls []call) {
	t.Helper()
	idem := regexp.MustCompile(`^/epayment/v1/payments(/[^/]+/(capture|refund|cancel))?$`)
	for _, c := range calls {
		h := c.Header
		switch {
		case c.Path == userinfoPath:
			for k := range h {
				if k != "Authorization" && k != "Accept" && k != "Accept-Encoding" && k != "User-Agent" {
					t.Errorf("userinfo sends %s; it takes the Bearer token only", k)
				}
			}
			if h.Get("Authorization") != "Bearer "+testLoginToken {
				t.Errorf("userinfo without the login token")
			}
		case strings.HasPrefix(c.Path, "/epayment/"), strings.HasPrefix(c.Path, "/order-management/"),
			strings.HasPrefix(c.Path, "/webhooks/"), strings.HasPrefix(c.Path, "/qr/"), strings.HasPrefix(c.Path, "/point-of-sale/"):
			if h.Get("Authorization") != "Bearer "+testAccessToken || h.Get("Ocp-Apim-Subscription-Key") != testSubKey ||
				h.Get("Merchant-Serial-Number") != testMSN {
				t.Errorf("%s %s: missing token, subscription key or MSN", c.Method, c.Path)
			}
			if c.Method == "POST" && idem.MatchString(c.Path) && h.Get("Idempotency-Key") == "" {
				t.Errorf("%s %s without Idempotency-Key", c.Method, c.Path)
			}
		}
	}
}

// checkCreateBodies compares the push-to-phone create with a golden file
// and checks the shape of the other flows.
func checkCreateBodies(t *testing.T, calls []call) {
	t.Helper()
	if len(calls) != 4 {
		t.Fatalf("%d creates", len(calls))
	}
	goldenFile := filepath.Join("testdata", "create_payment_push.json")
	var got, want any
	if err := json.Unmarshal(calls[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(golden.Want(t, goldenFile, append(b, '\n')), &want); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("push create body\n got %s\nwant %s", gb, wb)
	}
	for i, sub := range []string{`"customer":{"personalQr":"` + legacyQRCode + `"}`, `"qrFormat":{"format":"TEXT/TARGETURL"}`,
		`"qrFormat":{"format":"IMAGE/PNG","size":400}`} {
		if !strings.Contains(string(calls[i+1].Body), sub) {
			t.Errorf("create %d lacks %s: %s", i+2, sub, calls[i+1].Body)
		}
	}
	if strings.Contains(string(calls[2].Body), `"customer"`) {
		t.Errorf("QR flow without a customer sends one: %s", calls[2].Body)
	}
}

// checkLogs proves the log holds no secret and no full phone number, and
// that it does say something useful.
func checkLogs(t *testing.T, logs string) {
	t.Helper()
	if !strings.Contains(logs, "vipps payment created") || !strings.Contains(logs, MaskMSISDN(testMSISDN)) {
		t.Fatalf("expected log lines are missing:\n%s", logs)
	}
	for _, secret := range []string{testClientSecret, testSubKey, testAccessToken, testLoginToken, testMSISDN,
		"090a478d-37ff-4e77-970e-d457aeb26a3a", "ada@example.com", "Lovelace"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
	if m := regexp.MustCompile(`\d{10,}`).FindString(logs); m != "" {
		t.Errorf("log contains a long digit run %q (a phone number?)", m)
	}
}

func TestErrorTextsMaskPhoneNumbers(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.MaxRetries = -1 })
	f.gw.on("POST /epayment/v1/payments", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, 400, "Invalid phone number 4791234567", "4070")
	})
	_, err := f.c.CreatePayment(ctx(t), CreatePayment{Reference: ref, IdempotencyKey: "k", Amount: Amount{"NOK", 1000}, MSISDN: testMSISDN, Description: "Groceries"})
	if KindOf(err) != Invalid || strings.Contains(err.Error(), testMSISDN) {
		t.Fatalf("error %q", err)
	}
	checkLogsClean(t, f.logs.String())
}

func checkLogsClean(t *testing.T, logs string) {
	t.Helper()
	if strings.Contains(logs, testMSISDN) || strings.Contains(logs, testAccessToken) {
		t.Errorf("log leaks: %s", logs)
	}
}
