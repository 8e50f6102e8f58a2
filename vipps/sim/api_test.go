package sim_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/vipps/sim"
)

func TestAccessTokenAndGatewayChecks(t *testing.T) {
	h := newHarness(t, nil)
	bad := h.do("POST", "/accesstoken/get", map[string]string{"client_id": h.cfg.ClientID, "client_secret": "wrong",
		"Ocp-Apim-Subscription-Key": h.cfg.SubscriptionKey}, nil)
	if bad.status != 401 {
		t.Errorf("wrong client secret: %d", bad.status)
	}
	tok := h.accessToken()
	const ref = "pos1-auth-0001"
	h.token = tok
	if r := h.createPush(ref, "4791234567", 1000, "k1"); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	cases := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"lower-case scheme", map[string]string{"Authorization": "bearer " + tok}, 200},
		{"token without the word Bearer", map[string]string{"Authorization": tok}, 401},
		{"no subscription key", map[string]string{"Ocp-Apim-Subscription-Key": ""}, 401},
		{"wrong subscription key", map[string]string{"Ocp-Apim-Subscription-Key": "nope"}, 401},
		{"no MSN", map[string]string{"Merchant-Serial-Number": ""}, 400},
		{"another MSN", map[string]string{"Merchant-Serial-Number": "999999"}, 403},
		{"forged token", map[string]string{"Authorization": "Bearer " + tok[:len(tok)-4] + "AAAA"}, 401},
	}
	for _, c := range cases {
		r := h.api("GET", "/epayment/v1/payments/"+ref, c.hdr, nil)
		if r.status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, r.status, r.body, c.status)
		}
	}
	h.clock.Advance(time.Hour)
	if r := h.api("GET", "/epayment/v1/payments/"+ref, nil, nil); r.status != 401 {
		t.Errorf("token after its hour: %d, want 401", r.status)
	}
}

func TestRateLimitPerReference(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-rate-0001"
	for i := range 5 {
		if r := h.createPush(ref, "4791234567", 1000, "k"+strconv.Itoa(i)); r.status == 429 {
			t.Fatalf("request %d already limited", i+1)
		}
	}
	r := h.createPush(ref, "4791234567", 1000, "k-6")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("6th create within a minute: %d (Retry-After %q), want 429", r.status, r.header.Get("Retry-After"))
	}
	if r := h.createPush("pos1-rate-0002", "4791234567", 1000, "other"); r.status != 201 {
		t.Errorf("another reference is limited too: %d", r.status)
	}
	if got := h.get(ref).State; got != "CREATED" {
		t.Errorf("reads are limited with writes: %s", got)
	}
	h.clock.Advance(time.Minute)
	if r := h.createPush(ref, "4791234567", 1000, "k-7"); r.status == 429 {
		t.Error("still limited a minute later")
	}
}

func TestRateLimitsCanBeLifted(t *testing.T) {
	h := newHarness(t, func(c *sim.Config) { c.MutatingPerMinute = -1 })
	for i := range 8 {
		if r := h.createPush("pos1-unlimited-01", "4791234567", 1000, "k"+strconv.Itoa(i)); r.status == 429 {
			t.Fatalf("request %d limited", i+1)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	h := newHarness(t, nil)
	r := h.createPush("short", "4791234567", 1000, "v1")
	if r.status != 400 || r.errorCode(t) != "" || !strings.Contains(string(r.body), `"name":"reference"`) {
		t.Errorf("bad reference: %d %s; want a field error without ErrorCode", r.status, r.body)
	}
	cases := []struct {
		msisdn string
		value  int64
		code   string
	}{
		{"4790000000", 1000, "7010"}, // no account
		{"4791234567", 99, "6010"},   // below 1 NOK
		{"47912", 1000, "4070"},      // not an MSISDN
	}
	for i, c := range cases {
		r := h.createPush("pos1-valid-000"+strconv.Itoa(i), c.msisdn, c.value, "v-"+strconv.Itoa(i))
		if r.status != 400 || r.errorCode(t) != c.code {
			t.Errorf("%s %d: %d %s, want %s", c.msisdn, c.value, r.status, r.body, c.code)
		}
	}
	r = h.api("POST", "/epayment/v1/payments", map[string]string{"Idempotency-Key": "v-x"},
		`{"amount":{"currency":"NOK","value":1000},"paymentMethod":{"type":"WALLET"},"reference":"pos1-valid-0100","userFlow":"PUSH_MESSAGE","customer":{"phoneNumber":"4791234567"},"tip":5}`)
	if r.status != 400 {
		t.Errorf("unknown field accepted: %d", r.status)
	}
	r = h.api("POST", "/epayment/v1/payments", map[string]string{"Idempotency-Key": "v-dkk"}, map[string]any{
		"amount": amount{"DKK", 1000}, "paymentMethod": map[string]string{"type": "WALLET"},
		"customer": map[string]string{"phoneNumber": "4512345678"}, "reference": "pos1-valid-0101", "userFlow": "PUSH_MESSAGE"})
	if r.status != 400 || r.errorCode(t) != "5040" {
		t.Errorf("DKK at a NOK sales unit: %d %s, want 5040", r.status, r.body)
	}
	r = h.api("POST", "/epayment/v1/payments", nil, map[string]any{})
	if r.status != 400 {
		t.Errorf("create without Idempotency-Key: %d", r.status)
	}
	for msisdn, code := range map[string]string{"4711223344": "7010", "4791234567": ""} {
		r = h.api("POST", "/epayment/v1/payments", map[string]string{"Idempotency-Key": "age-" + msisdn}, map[string]any{
			"amount": amount{"NOK", 1000}, "paymentMethod": map[string]string{"type": "WALLET"}, "minimumUserAge": 18,
			"customer": map[string]string{"phoneNumber": msisdn}, "reference": "pos1-age-" + msisdn, "userFlow": "PUSH_MESSAGE"})
		refused := r.status == 400 && r.errorCode(t) == code
		if (code == "" && r.status != 201) || (code != "" && !refused) {
			t.Errorf("minimumUserAge 18 for %s: %d %s, want code %q", msisdn, r.status, r.body, code)
		}
	}
}

func TestPayByPersonalQR(t *testing.T) {
	h := newHarness(t, nil)
	r := h.api("POST", "/epayment/v1/payments", map[string]string{"Idempotency-Key": "qr-1"}, map[string]any{
		"amount": amount{"NOK", 1000}, "paymentMethod": map[string]string{"type": "WALLET"},
		"customer":  map[string]string{"personalQr": "https://qr.vipps.no/28/2/01/031/4798765432?v=1"},
		"reference": "pos1-qrpay-0001", "userFlow": "PUSH_MESSAGE", "customerInteraction": "CUSTOMER_PRESENT"})
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	h.pendingPush("4798765432")
}

func TestQRExchange(t *testing.T) {
	h := newHarness(t, nil)
	var out struct {
		MSISDN    string `json:"msisdn"`
		Timestamp *int64 `json:"timestamp"`
		Version   string `json:"version"`
	}
	r := h.api("POST", "/qr/v1/exchange", nil, map[string]any{"qrCode": "https://qr.vipps.no/28/2/01/031/4791234567?v=1"})
	r.json(t, &out)
	if r.status != 200 || out.MSISDN != "4791234567" || out.Version != "1.0" || out.Timestamp != nil {
		t.Errorf("legacy code: %d %s", r.status, r.body)
	}
	var tok string
	for k, v := range sim.DemoQRTokens {
		if v == "4512345678" {
			tok = k
		}
	}
	out.Timestamp = nil
	r = h.api("POST", "/qr/v1/exchange", nil, map[string]any{"qrCode": "https://qr.vipps.no/p/" + tok, "requestedData": []string{"MSISDN"}})
	r.json(t, &out)
	if r.status != 200 || out.MSISDN != "4512345678" || out.Version != "2.0" || out.Timestamp == nil {
		t.Errorf("tokenized code: %d %s", r.status, r.body)
	}
	if r := h.api("POST", "/qr/v1/exchange", nil, map[string]any{"qrCode": "https://qr.vipps.no/p/nobody"}); r.status != 400 {
		t.Errorf("unknown token: %d", r.status)
	}
}

func TestCheckIn(t *testing.T) {
	h := newHarness(t, nil)
	r := h.api("POST", "/point-of-sale/v1/loyalty-check-in", nil, map[string]any{"phoneNumber": "4791234567", "isMember": true})
	if r.status != 200 || len(strings.Trim(string(r.body), `"`)) != 36 {
		t.Errorf("check-in: %d %s, want a GUID", r.status, r.body)
	}
	if p := h.pendingPush("4791234567"); p.Kind != sim.PushCheckIn || p.Club == "" {
		t.Errorf("check-in screen %+v", p)
	}
	h.api("POST", "/point-of-sale/v1/loyalty-check-in", nil, map[string]any{"phoneNumber": "4798765432", "isMember": false})
	if n := len(h.sim.Pushes("4798765432")); n != 0 {
		t.Errorf("isMember false showed %d screens; it shows nothing", n)
	}
	if r := h.api("POST", "/point-of-sale/v1/loyalty-check-in", nil, map[string]any{"phoneNumber": "4512345678", "isMember": true}); r.status != 400 {
		t.Errorf("Danish number: %d, want 400", r.status)
	}

	mt := newHarness(t, func(c *sim.Config) { c.CheckInMT = true })
	if r := mt.api("POST", "/point-of-sale/v1/loyalty-check-in", nil, map[string]any{"phoneNumber": "4791234567", "isMember": true}); r.status != 500 {
		t.Errorf("MT mode: %d, want 500", r.status)
	}
}

func TestReceipts(t *testing.T) {
	h := newHarness(t, nil)
	line := func(total, excl, tax int64) map[string]any {
		return map[string]any{"name": "Winter jacket", "id": "jacket1", "totalAmount": total, "totalAmountExcludingTax": excl,
			"totalTaxAmount": tax, "taxRate": 2500, "unitInfo": map[string]any{"unitPrice": total, "quantity": "1", "quantityUnit": "PCS"}}
	}
	receipt := func(l map[string]any) map[string]any {
		return map[string]any{"orderLines": []any{l}, "bottomLine": map[string]any{"currency": "NOK", "posId": "pos1", "receiptNumber": "1"}}
	}
	const ref = "pos1-receipt-0001"
	h.createPush(ref, "4791234567", 49900, "k1")
	if r := h.api("POST", "/order-management/v2/ECOM/receipts/"+ref, nil, receipt(line(49900, 39920, 9000))); r.status != 400 {
		t.Errorf("tax that does not add up: %d %s", r.status, r.body)
	}
	if r := h.api("POST", "/order-management/v2/ecom/receipts/"+ref, nil, receipt(line(49900, 39920, 9980))); r.status != 201 {
		t.Fatalf("receipt (lower-case ecom): %d %s", r.status, r.body)
	}
	if r := h.api("POST", "/order-management/v2/ECOM/receipts/"+ref, nil, receipt(line(49900, 39920, 9980))); r.status != 409 {
		t.Errorf("second receipt: %d, want 409", r.status)
	}
	if r := h.api("GET", "/order-management/v2/ECOM/"+ref, nil, nil); r.status != 200 || !strings.Contains(string(r.body), "Winter jacket") {
		t.Errorf("get order: %d %s", r.status, r.body)
	}
	if e, _ := h.sim.LedgerFor(ref); e.ReceiptsAttached != 1 {
		t.Errorf("ledger %+v", e)
	}
}

func TestWebhookRegistrations(t *testing.T) {
	h := newHarness(t, nil)
	id, secret := h.register("https://example.com/hook", "epayments.payment.authorized.v1")
	if secret == "" {
		t.Fatal("no secret")
	}
	r := h.api("GET", "/webhooks/v1/webhooks", nil, nil)
	if r.status != 200 || strings.Contains(string(r.body), secret) || !strings.Contains(string(r.body), id) {
		t.Errorf("list: %d %s (must list the id, never the secret)", r.status, r.body)
	}
	for i := 1; i < sim.MaxRegistrationsPerEvent; i++ {
		h.register("https://example.com/hook/"+strconv.Itoa(i), "epayments.payment.authorized.v1")
	}
	r = h.api("POST", "/webhooks/v1/webhooks", nil, map[string]any{"url": "https://example.com/26", "events": []string{"epayments.payment.authorized.v1"}})
	if r.status != 400 {
		t.Errorf("26th registration: %d, want 400", r.status)
	}
	if r := h.api("DELETE", "/webhooks/v1/webhooks/"+id, nil, nil); r.status != 204 {
		t.Errorf("delete: %d", r.status)
	}
	h.register("https://example.com/again", "epayments.payment.authorized.v1")
}

func TestWebhooksRetryInOrder(t *testing.T) {
	h := newHarness(t, nil)
	sink := newSink(t, "/hook")
	sink.fail = 2
	_, secret := h.register(sink.url, "epayments.payment.created.v1", "epayments.payment.authorized.v1")
	const ref = "pos1-retry-0001"
	h.createPush(ref, "4791234567", 1000, "k1")
	_ = h.sim.Answer(h.pendingPush("4791234567").ID, true)
	var names []string
	for range 4 { // created fails twice, then created, authorized
		d := sink.next(t)
		if !verifyWebhook(secret, sink.url, d) {
			t.Error("signature does not verify")
		}
		var ev hookEvent
		_ = jsonUnmarshal(d.body, &ev)
		names = append(names, ev.Name)
	}
	if want := []string{"CREATED", "CREATED", "CREATED", "AUTHORIZED"}; !equal(names, want) {
		t.Errorf("deliveries %v, want %v (retried, and held back until acknowledged)", names, want)
	}
}

func TestLoginCIBA(t *testing.T) {
	h := newHarness(t, nil)
	basic := map[string]string{"Authorization": "Basic " + basicAuth(h.cfg.ClientID, h.cfg.ClientSecret)}
	r := h.do("GET", "/access-management-1.0/access/.well-known/openid-configuration", nil, nil)
	var disc map[string]any
	r.json(t, &disc)
	back, _ := disc["backchannel_authentication_endpoint"].(string)
	tokenURL, _ := disc["token_endpoint"].(string)
	if back != h.url+"/vipps-login-ciba/api/backchannel/authentication" {
		t.Fatalf("discovery %d: backchannel endpoint %q is not an absolute URL of this server", r.status, back)
	}
	if tokenURL != h.url+"/access-management-1.0/access/oauth2/token" {
		t.Errorf("token endpoint %q", tokenURL)
	}

	start := func(msisdn, scope string) (string, resp) {
		r := h.do("POST", "/vipps-login-ciba/api/backchannel/authentication", basic, url.Values{
			"login_hint": {"urn:msisdn:" + msisdn}, "scope": {scope}, "binding_message": {"4MZ-CQ3"}})
		var out struct {
			ID       string `json:"auth_req_id"`
			Expires  int    `json:"expires_in"`
			Interval int    `json:"interval"`
		}
		r.json(t, &out)
		return out.ID, r
	}
	poll := func(id string) (string, map[string]any) {
		r := h.do("POST", "/access-management-1.0/access/oauth2/token", basic, url.Values{
			"grant_type": {"urn:openid:params:grant-type:ciba"}, "auth_req_id": {id}})
		var out map[string]any
		r.json(t, &out)
		if e, ok := out["error"].(string); ok {
			return e, out
		}
		return strconv.Itoa(r.status), out
	}

	id, r := start("4791234567", "openid name phoneNumber")
	if r.status != 200 || !strings.Contains(string(r.body), `"interval":5`) || !strings.Contains(string(r.body), `"expires_in":600`) {
		t.Fatalf("backchannel: %d %s", r.status, r.body)
	}
	p := h.pendingPush("4791234567")
	if p.Kind != sim.PushLogin || p.BindingMessage != "4MZ-CQ3" {
		t.Errorf("phone shows %+v", p)
	}
	if got, _ := poll(id); got != "authorization_pending" {
		t.Errorf("first poll: %s", got)
	}
	if got, _ := poll(id); got != "slow_down" {
		t.Errorf("immediate second poll: %s, want slow_down", got)
	}
	h.clock.Advance(5 * time.Second)
	if got, _ := poll(id); got != "slow_down" {
		t.Errorf("poll 5 s after a slow_down: %s; the interval grows to 10 s", got)
	}
	h.clock.Advance(10 * time.Second)
	if r := h.do("POST", "/sim/pushes/"+p.ID+"/approve", nil, nil); r.status != 200 {
		t.Fatalf("approve over HTTP: %d %s", r.status, r.body)
	}
	got, tok := poll(id)
	if got != "200" || tok["id_token"] == nil {
		t.Fatalf("poll after approval: %s %v", got, tok)
	}
	if again, _ := poll(id); again != "invalid_grant" {
		t.Errorf("tokens issued twice: %s", again)
	}
	r = h.do("GET", "/vipps-userinfo-api/userinfo", map[string]string{"Authorization": "Bearer " + tok["access_token"].(string)}, nil)
	var info map[string]any
	r.json(t, &info)
	if r.status != 200 || info["name"] != "Kari Nordmann" || info["phone_number"] != "4791234567" || info["sub"] == nil {
		t.Errorf("userinfo: %d %s", r.status, r.body)
	}
	if _, ok := info["email"]; ok {
		t.Error("email returned without the email scope")
	}

	id, _ = start("4798765432", "openid email")
	_ = h.sim.Answer(h.pendingPush("4798765432").ID, false)
	if got, _ := poll(id); got != "access_denied" {
		t.Errorf("declined login: %s", got)
	}
	id, _ = start("4512345678", "openid")
	h.clock.Advance(601 * time.Second)
	if got, _ := poll(id); got != "expired_token" {
		t.Errorf("abandoned login: %s", got)
	}
	if _, r := start("4790000000", "openid"); r.status != 400 {
		t.Errorf("unknown user: %d", r.status)
	}
}

func TestAutoApprove(t *testing.T) {
	h := newHarness(t, func(c *sim.Config) { c.Auto, c.AutoDelay = "approve", 3*time.Second })
	const ref = "pos1-auto-0001"
	h.createPush(ref, "4791234567", 1000, "k1")
	h.clock.Advance(2 * time.Second)
	if s := h.get(ref).State; s != "CREATED" {
		t.Fatalf("answered early: %s", s)
	}
	h.clock.Advance(time.Second)
	if s := h.get(ref).State; s != "AUTHORIZED" {
		t.Errorf("after the auto delay: %s", s)
	}
}

// What Vipps refuses, the simulator refuses: a QR format it does not know
// or a PNG smaller than 100 pixels, a profile scope outside the userinfo
// claims, airline data without its required fields.
func TestCreateRefusesWhatVippsRefuses(t *testing.T) {
	h := newHarness(t, nil)
	qr := func(extra map[string]any) map[string]any {
		b := map[string]any{"amount": amount{"NOK", 1000}, "paymentMethod": map[string]string{"type": "WALLET"},
			"userFlow": "QR", "customerInteraction": "CUSTOMER_PRESENT"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	airline := map[string]any{"agencyInvoiceNumber": "123456", "airlineCode": "074", "airlineDesignatorCode": "KL", "passengerName": "FLYER / MARY MS."}
	without := func(k string) map[string]any {
		out := map[string]any{}
		for key, v := range airline {
			if key != k {
				out[key] = v
			}
		}
		return out
	}
	cases := []struct {
		name  string
		extra map[string]any
		field string // a validation error on this field, or
		code  string // this error code; neither: accepted
	}{
		{"PNG of 99 pixels", map[string]any{"qrFormat": map[string]any{"format": "IMAGE/PNG", "size": 99}}, "qrFormat.size", ""},
		{"PNG of 2001 pixels", map[string]any{"qrFormat": map[string]any{"format": "IMAGE/PNG", "size": 2001}}, "qrFormat.size", ""},
		{"PNG of 100 pixels", map[string]any{"qrFormat": map[string]any{"format": "IMAGE/PNG", "size": 100}}, "", ""},
		{"unknown format", map[string]any{"qrFormat": map[string]any{"format": "IMAGE/GIF"}}, "qrFormat.format", ""},
		{"format missing", map[string]any{"qrFormat": map[string]any{"size": 400}}, "qrFormat.format", ""},
		{"target URL", map[string]any{"qrFormat": map[string]any{"format": "TEXT/TARGETURL"}}, "", ""},
		{"unknown profile scope", map[string]any{"profile": map[string]string{"scope": "name shoeSize"}}, "", "4080"},
		{"empty profile scope", map[string]any{"profile": map[string]string{"scope": " "}}, "", "4080"},
		{"known profile scope", map[string]any{"profile": map[string]string{"scope": "name phoneNumber birthDate"}}, "", ""},
		{"airline data without passenger", map[string]any{"industryData": map[string]any{"airlineData": without("passengerName")}}, "industryData.airlineData.passengerName", ""},
		{"airline data without invoice", map[string]any{"industryData": map[string]any{"airlineData": without("agencyInvoiceNumber")}}, "industryData.airlineData.agencyInvoiceNumber", ""},
		{"airline code of 2", map[string]any{"industryData": map[string]any{"airlineData": func() map[string]any {
			a := without("")
			a["airlineCode"] = "74"
			return a
		}()}}, "industryData.airlineData.airlineCode", ""},
		{"complete airline data", map[string]any{"industryData": map[string]any{"airlineData": airline}}, "", ""},
	}
	for i, c := range cases {
		ref := "pos1-refuse-" + strconv.Itoa(100+i)
		body := qr(c.extra)
		body["reference"] = ref
		r := h.api("POST", "/epayment/v1/payments", map[string]string{"Idempotency-Key": ref}, body)
		switch {
		case c.field != "":
			if r.status != 400 || r.errorCode(t) != "" || !strings.Contains(string(r.body), `"name":"`+c.field+`"`) {
				t.Errorf("%s: %d %s, want a field error on %s", c.name, r.status, r.body, c.field)
			}
		case c.code != "":
			if r.status != 400 || r.errorCode(t) != c.code {
				t.Errorf("%s: %d %s, want %s", c.name, r.status, r.body, c.code)
			}
		case r.status != 201:
			t.Errorf("%s: %d %s, want it accepted", c.name, r.status, r.body)
		}
	}
}

// Vipps sends webhooks to https:// only; http:// is for a till on this
// machine and needs the simulator told so.
func TestWebhooksNeedHTTPSUnlessLocalUseIsOn(t *testing.T) {
	h := newHarness(t, func(c *sim.Config) { c.HTTPWebhooks = false })
	body := map[string]any{"url": "http://127.0.0.1:8080/vipps", "events": []string{"epayments.payment.authorized.v1"}}
	if r := h.api("POST", "/webhooks/v1/webhooks", nil, body); r.status != 400 || !strings.Contains(string(r.body), `"name":"url"`) {
		t.Errorf("http:// registered without the local-use switch: %d %s", r.status, r.body)
	}
	h.register("https://till.example.com/vipps", "epayments.payment.authorized.v1")

	local := newHarness(t, nil) // the switch is on
	local.register("http://127.0.0.1:8080/vipps", "epayments.payment.authorized.v1")
}
