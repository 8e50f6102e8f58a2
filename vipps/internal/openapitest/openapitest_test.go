package openapitest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func newReq(method, path, body string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(method, "http://127.0.0.1:4321"+path, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

var epayHeaders = map[string]string{
	"Authorization":             "Bearer eyJhbGciOi.test.token",
	"Ocp-Apim-Subscription-Key": "sub-key",
	"Merchant-Serial-Number":    "1234567",
	"Content-Type":              "application/json",
	"Idempotency-Key":           "sale-42-create",
}

const createBody = `{"amount":{"currency":"NOK","value":49900},"paymentMethod":{"type":"WALLET"},
 "customer":{"phoneNumber":"4791234567"},"customerInteraction":"CUSTOMER_PRESENT",
 "reference":"pos1-sale-42","userFlow":"PUSH_MESSAGE","paymentDescription":"Groceries"}`

func TestSpecsLoad(t *testing.T) {
	specs, err := Specs()
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) < 8 {
		t.Fatalf("loaded %d specs, want 8", len(specs))
	}
}

func TestRequestBehindBasePath(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		wantErr                  string
	}{
		{"create ok", "POST", "/vipps-gw/epayment/v1/payments", createBody, epayHeaders, ""},
		{"reference too short", "POST", "/vipps-gw/epayment/v1/payments",
			strings.Replace(createBody, "pos1-sale-42", "short", 1), epayHeaders, "reference"},
		{"no Bearer word", "GET", "/vipps-gw/epayment/v1/payments/pos1-sale-42", "",
			map[string]string{"Authorization": "eyJ", "Ocp-Apim-Subscription-Key": "k", "Merchant-Serial-Number": "123456"}, "Bearer"},
		{"missing idempotency key", "POST", "/vipps-gw/epayment/v1/payments", createBody,
			without(epayHeaders, "Idempotency-Key"), "Idempotency-Key"},
		{"unknown field rejected", "POST", "/vipps-gw/epayment/v1/payments",
			strings.Replace(createBody, `"reference"`, `"bogus":1,"reference"`, 1), epayHeaders, "bogus"},
		{"receipt ok", "POST", "/x/order-management/v2/ECOM/receipts/pos1-sale-42",
			`{"orderLines":[{"name":"Milk","id":"1","totalAmount":2500,"totalAmountExcludingTax":2000,"totalTaxAmount":500,"taxRate":2500}],"bottomLine":{"currency":"NOK"}}`,
			epayHeaders, ""},
		{"userinfo bearer only, no trailing slash", "GET", "/vipps-gw/vipps-userinfo-api/userinfo", "",
			map[string]string{"Authorization": "Bearer ciba.abc"}, ""},
		{"ciba token poll", "POST", "/vipps-gw/access-management-1.0/access/oauth2/token",
			"grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id=abc",
			map[string]string{"Authorization": "Basic Y2xpZW50OnNlY3JldA==", "Content-Type": "application/x-www-form-urlencoded"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckRequest(newReq(c.method, c.path, c.body, c.hdr), []byte(c.body))
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected: %v", err)
			case c.wantErr != "" && err == nil:
				t.Fatalf("accepted, want an error about %s", c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Fatalf("error %v does not mention %s", err, c.wantErr)
			}
		})
	}
}

func without(h map[string]string, key string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func TestResponseTolerances(t *testing.T) {
	capture := newReq("POST", "/gw/epayment/v1/payments/pos1-sale-42/capture", "", epayHeaders)
	mod := `{"amount":{"currency":"NOK","value":49900},"state":"AUTHORIZED","aggregate":{
	 "authorizedAmount":{"currency":"NOK","value":49900},"cancelledAmount":{"currency":"NOK","value":0},
	 "capturedAmount":{"currency":"NOK","value":49900},"refundedAmount":{"currency":"NOK","value":0}},
	 "pspReference":"p-1","reference":"pos1-sale-42"}`
	js := http.Header{"Content-Type": {"application/json"}}
	if err := CheckResponse(capture, 200, js, []byte(mod)); err != nil {
		t.Errorf("modification success as application/json: %v", err)
	}
	if err := CheckResponse(capture, 200, js, []byte(`{"state":"AUTHORIZED"}`)); err == nil {
		t.Error("incomplete modification response accepted")
	}
	events := newReq("GET", "/gw/epayment/v1/payments/pos1-sale-42/events", "", epayHeaders)
	ev := `[{"reference":"pos1-sale-42","pspReference":"p-1","name":"CREATED","amount":{"currency":"NOK","value":49900},
	 "timestamp":"2026-01-19T16:26:32.099Z","idempotencyKey":"k","success":true}]`
	if err := CheckResponse(events, 200, js, []byte(ev)); err != nil {
		t.Errorf("event without paymentAction: %v", err)
	}
	ui := newReq("GET", "/gw/vipps-userinfo-api/userinfo", "", map[string]string{"Authorization": "Bearer x"})
	if err := CheckResponse(ui, 200, http.Header{"Content-Type": {"application/json;charset=UTF-8"}},
		[]byte(`{"sub":"c06c4afe","phone_number":"4791234567"}`)); err != nil {
		t.Errorf("10-digit userinfo phone_number: %v", err)
	}
	if err := CheckResponse(capture, 418, js, []byte(`{}`)); err == nil {
		t.Error("undocumented status accepted")
	}
}

func TestCIBAHasNoSpec(t *testing.T) {
	_, _, err := FindRoute("POST", "/gw/vipps-login-ciba/api/backchannel/authentication")
	if !errors.Is(err, ErrNoSpec) {
		t.Fatalf("err = %v, want ErrNoSpec", err)
	}
}

func TestHandlerReportsBadResponse(t *testing.T) {
	ft := &fakeT{TB: t}
	h := Handler(ft, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		_, _ = w.Write([]byte(`{"redirectUrl":"https://x"}`)) // reference is required
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newReq("POST", "/gw/epayment/v1/payments", createBody, epayHeaders))
	if rec.Code != 201 || !ft.failed {
		t.Fatalf("code %d, reported %v; want 201 passed through and a report", rec.Code, ft.failed)
	}
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}
