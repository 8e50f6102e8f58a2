package sim_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/vipps/sim"
)

func TestSignWebhookReproducesPublishedVector(t *testing.T) {
	const secret = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="
	hash, auth, err := sim.SignWebhook(secret, "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63",
		"Thu, 30 Mar 2023 08:38:32 GMT", []byte(`{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`))
	if err != nil {
		t.Fatal(err)
	}
	if hash != "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4=" {
		t.Errorf("content hash %s", hash)
	}
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U="
	if auth != want {
		t.Errorf("Authorization\n got %s\nwant %s", auth, want)
	}
}

type hookEvent struct {
	MSN            string  `json:"msn"`
	Reference      string  `json:"reference"`
	PSPReference   string  `json:"pspReference"`
	Name           string  `json:"name"`
	Amount         amount  `json:"amount"`
	IdempotencyKey *string `json:"idempotencyKey"`
	Success        bool    `json:"success"`
}

func TestWholeSaleOverHTTP(t *testing.T) {
	h := newHarness(t, nil)
	sink := newSink(t, "/vipps/webhook?till=1")
	_, secret := h.register(sink.url, "epayments.payment.created.v1", "epayments.payment.authorized.v1",
		"epayments.payment.captured.v1", "epayments.payment.refunded.v1")
	const ref = "pos1-20261123-0001"

	r := h.createPush(ref, "4791234567", 49900, "sale-1-create")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created map[string]any
	r.json(t, &created)
	if created["reference"] != ref || created["redirectUrl"] != nil {
		t.Errorf("create answered %v; PUSH_MESSAGE has no redirectUrl", created)
	}

	push := h.pendingPush("4791234567")
	if push.Kind != sim.PushPayment || push.Amount != 49900 || push.Currency != "NOK" || push.Description != "Winter jacket" {
		t.Errorf("phone shows %+v", push)
	}
	if got := h.get(ref).State; got != "CREATED" {
		t.Errorf("before approval state %s", got)
	}
	if err := h.sim.Answer(push.ID, true); err != nil {
		t.Fatal(err)
	}

	for _, want := range []string{"CREATED", "AUTHORIZED"} {
		d := sink.next(t)
		if !verifyWebhook(secret, sink.url, d) {
			t.Fatalf("%s webhook signature does not verify: %v", want, d.header)
		}
		if d.path != "/vipps/webhook?till=1" {
			t.Errorf("delivered to %s", d.path)
		}
		var ev hookEvent
		if err := json.Unmarshal(d.body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Name != want || ev.Reference != ref || ev.MSN != h.cfg.MSN || !ev.Success || ev.Amount != (amount{"NOK", 49900}) {
			t.Errorf("webhook %+v, want %s", ev, want)
		}
		if _, err := time.Parse(time.RFC1123, d.header.Get("x-ms-date")); err != nil {
			t.Errorf("x-ms-date %q: %v", d.header.Get("x-ms-date"), err)
		}
	}

	p := h.get(ref)
	if p.State != "AUTHORIZED" || p.Aggregate.AuthorizedAmount.Value != 49900 {
		t.Fatalf("after approval %+v", p)
	}

	r = h.modify(ref, "capture", 49900, "sale-1-capture")
	if r.status != 200 {
		t.Fatalf("capture: %d %s", r.status, r.body)
	}
	var mod payment
	r.json(t, &mod)
	if mod.State != "AUTHORIZED" || mod.Aggregate.CapturedAmount.Value != 49900 {
		t.Errorf("capture answered %+v; state stays AUTHORIZED, captured 49900", mod)
	}

	r = h.modify(ref, "refund", 10000, "sale-1-refund-1")
	if r.status != 200 {
		t.Fatalf("refund: %d %s", r.status, r.body)
	}
	r.json(t, &mod)
	if mod.State != "AUTHORIZED" || mod.Aggregate.CapturedAmount.Value != 49900 || mod.Aggregate.RefundedAmount.Value != 10000 {
		t.Errorf("refund answered %+v; captured is not decremented by refunds", mod)
	}
	for _, want := range []string{"CAPTURED", "REFUNDED"} {
		d := sink.next(t)
		var ev hookEvent
		_ = json.Unmarshal(d.body, &ev)
		if ev.Name != want || !verifyWebhook(secret, sink.url, d) {
			t.Errorf("webhook %s (verifies: %v), want %s", ev.Name, verifyWebhook(secret, sink.url, d), want)
		}
		if ev.IdempotencyKey == nil || *ev.IdempotencyKey == "" {
			t.Errorf("%s webhook lacks the idempotency key", want)
		}
	}

	r = h.api("GET", "/epayment/v1/payments/"+ref+"/events", nil, nil)
	var events []hookEvent
	r.json(t, &events)
	var names []string
	psp := map[string]bool{}
	for _, e := range events {
		names = append(names, e.Name)
		psp[e.PSPReference] = true
	}
	if want := []string{"CREATED", "AUTHORIZED", "CAPTURED", "REFUNDED"}; !equal(names, want) || len(psp) != 4 {
		t.Errorf("event log %v with %d pspReferences, want %v each with its own", names, len(psp), want)
	}

	e, ok := h.sim.LedgerFor(ref)
	if !ok || e.Captures != 1 || e.Captured != 49900 || e.Refunded != 10000 || e.Refunds != 1 {
		t.Errorf("ledger %+v", e)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCustomerDeclines(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-decline-0001"
	h.createPush(ref, "4798765432", 2500, "k1")
	if err := h.sim.Answer(h.pendingPush("4798765432").ID, false); err != nil {
		t.Fatal(err)
	}
	if s := h.get(ref).State; s != "ABORTED" {
		t.Fatalf("state %s, want ABORTED", s)
	}
	if r := h.modify(ref, "capture", 2500, "k2"); r.status != 400 || r.errorCode(t) != "6200" {
		t.Errorf("capture of an aborted payment: %d %s", r.status, r.body)
	}
	if err := h.sim.Answer(h.sim.Pushes("4798765432")[0].ID, true); err == nil {
		t.Error("a declined push could be approved afterwards")
	}
}

func TestPushPaymentExpiresAfterTenMinutes(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-expire-0001"
	h.createPush(ref, "4791234567", 10000, "k1")
	h.clock.Advance(10*time.Minute - time.Second)
	if s := h.get(ref).State; s != "CREATED" {
		t.Fatalf("after 9:59 state %s", s)
	}
	h.clock.Advance(time.Second)
	if s := h.get(ref).State; s != "EXPIRED" {
		t.Fatalf("after 10:00 state %s, want EXPIRED", s)
	}
	if ps := h.sim.Pushes("4791234567"); ps[0].State != sim.PushExpired {
		t.Errorf("the phone still shows %s", ps[0].State)
	}
	if err := h.sim.Answer(h.sim.Pushes("4791234567")[0].ID, true); err == nil {
		t.Error("an expired payment could be approved")
	}
}

func TestCancelRacingApproval(t *testing.T) {
	h := newHarness(t, func(c *sim.Config) { c.AuthorizingWindow = 2 * time.Second })
	const ref = "pos1-race-0001"
	h.createPush(ref, "4791234567", 49900, "k1")
	_ = h.sim.Answer(h.pendingPush("4791234567").ID, true)

	cancelOnly := map[string]bool{"cancelTransactionOnly": true}
	r := h.api("POST", "/epayment/v1/payments/"+ref+"/cancel", map[string]string{"Idempotency-Key": "c1"}, cancelOnly)
	if r.status != 400 || r.errorCode(t) != "6250" {
		t.Errorf("cancel while the customer is authorizing: %d %s, want 6250", r.status, r.body)
	}
	h.clock.Advance(2 * time.Second)
	r = h.api("POST", "/epayment/v1/payments/"+ref+"/cancel", map[string]string{"Idempotency-Key": "c2"}, cancelOnly)
	if r.status != 400 || r.errorCode(t) != "6060" {
		t.Errorf("cancelTransactionOnly after approval: %d %s, want 6060", r.status, r.body)
	}
	if p := h.get(ref); p.State != "AUTHORIZED" || p.Aggregate.CancelledAmount.Value != 0 {
		t.Errorf("the refused cancel changed the payment: %+v", p)
	}
	// a plain cancel after authorization releases the reservation (§6.5)
	r = h.api("POST", "/epayment/v1/payments/"+ref+"/cancel", map[string]string{"Idempotency-Key": "c3"}, map[string]bool{})
	var p payment
	r.json(t, &p)
	if r.status != 200 || p.State != "AUTHORIZED" || p.Aggregate.AuthorizedAmount.Value != 49900 || p.Aggregate.CancelledAmount.Value != 49900 {
		t.Errorf("cancel after auth: %d %+v", r.status, p)
	}
}

func TestCancelBeforeApprovalTerminates(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-void-0001"
	h.createPush(ref, "4791234567", 1000, "k1")
	r := h.api("POST", "/epayment/v1/payments/"+ref+"/cancel", nil, map[string]bool{"cancelTransactionOnly": true})
	var p payment
	r.json(t, &p)
	want := aggregate{amount{"NOK", 0}, amount{"NOK", 1000}, amount{"NOK", 0}, amount{"NOK", 0}}
	if r.status != 200 || p.State != "TERMINATED" || p.Aggregate != want {
		t.Errorf("cancel before auth: %d %+v, want TERMINATED %+v", r.status, p, want)
	}
	if ps := h.sim.Pushes("4791234567"); ps[0].State != sim.PushWithdrawn {
		t.Errorf("phone still shows the payment as %s", ps[0].State)
	}
	r = h.api("GET", "/epayment/v1/payments/"+ref+"/events", nil, nil)
	var events []hookEvent
	r.json(t, &events)
	if len(events) != 2 || events[1].Name != "TERMINATED" {
		t.Errorf("event log %s", r.body)
	}
}

func TestCaptureRules(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-capture-0001"
	h.createPush(ref, "4791234567", 1000, "k1")
	if r := h.modify(ref, "capture", 1000, "cap-early"); r.status != 400 || r.errorCode(t) != "6080" {
		t.Errorf("capture before reservation: %d %s", r.status, r.body)
	}
	_ = h.sim.Answer(h.pendingPush("4791234567").ID, true)
	if r := h.modify(ref, "capture", 1001, "cap-too-much"); r.status != 400 || r.errorCode(t) != "6090" {
		t.Errorf("capture over the authorized amount: %d %s, want 6090", r.status, r.body)
	}
	if r := h.modify(ref, "refund", 1, "ref-early"); r.status != 400 || r.errorCode(t) != "6150" {
		t.Errorf("refund before capture: %d %s, want 6150", r.status, r.body)
	}
	if r := h.modify(ref, "capture", 250, "cap-250"); r.status != 200 {
		t.Fatalf("partial capture: %d %s", r.status, r.body)
	}
	r := h.api("POST", "/epayment/v1/payments/"+ref+"/cancel", nil, map[string]bool{})
	var p payment
	r.json(t, &p)
	if p.Aggregate.CapturedAmount.Value != 250 || p.Aggregate.CancelledAmount.Value != 750 {
		t.Errorf("auth 1000, capture 250, cancel: %+v, want captured 250 cancelled 750", p.Aggregate)
	}
	if r := h.modify(ref, "capture", 1, "cap-after-cancel"); r.status != 400 || r.errorCode(t) != "6070" {
		t.Errorf("capture after cancel: %d %s, want 6070", r.status, r.body)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-idem-0001"
	first := h.createPush(ref, "4791234567", 49900, "create-1")
	again := h.createPush(ref, "4791234567", 49900, "create-1")
	if first.status != 201 || again.status != 201 || string(first.body) != string(again.body) {
		t.Errorf("create retried with the same key: %d %s then %d %s", first.status, first.body, again.status, again.body)
	}
	if n := len(h.sim.Pushes("4791234567")); n != 1 {
		t.Errorf("a retried create pushed %d times", n)
	}
	if r := h.createPush(ref, "4791234567", 49900, "create-2"); r.status != 409 || r.errorCode(t) != "4150" {
		t.Errorf("reference reused with a new key: %d %s, want 409 4150", r.status, r.body)
	}
	_ = h.sim.Answer(h.pendingPush("4791234567").ID, true)

	c1 := h.modify(ref, "capture", 10000, "cap-1")
	c2 := h.modify(ref, "capture", 10000, "cap-1")
	if c1.status != 200 || c2.status != 200 || string(c1.body) != string(c2.body) {
		t.Errorf("capture replay: %d %s / %d %s", c1.status, c1.body, c2.status, c2.body)
	}
	if r := h.modify(ref, "capture", 20000, "cap-1"); r.status != 409 || r.errorCode(t) != "4010" {
		t.Errorf("same key, other body: %d %s, want 409 4010", r.status, r.body)
	}
	if e, _ := h.sim.LedgerFor(ref); e.Captures != 1 || e.Captured != 10000 {
		t.Errorf("ledger after retries %+v, want one capture of 10000", e)
	}
	// a rejected request stays rejected for its key
	bad := h.modify(ref, "capture", 99999, "cap-2")
	if r := h.modify(ref, "capture", 99999, "cap-2"); r.status != bad.status || string(r.body) != string(bad.body) {
		t.Errorf("replayed rejection differs: %s vs %s", bad.body, r.body)
	}
}

func TestForceApproveAndRedirectFlows(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-force-0001"
	h.createPush(ref, "4791234567", 1000, "k1")
	if r := h.api("POST", "/epayment/v1/test/payments/"+ref+"/approve", nil, map[string]any{"customer": map[string]string{"phoneNumber": "4791234567"}}); r.status != 200 {
		t.Fatalf("force approve: %d %s", r.status, r.body)
	}
	if s := h.get(ref).State; s != "AUTHORIZED" {
		t.Errorf("after force approve: %s", s)
	}
	if r := h.api("POST", "/epayment/v1/test/payments/"+ref+"/approve", nil, map[string]any{"customer": map[string]string{"phoneNumber": "4791234567"}}); r.status != 400 || r.errorCode(t) != "10020" {
		t.Errorf("approving twice: %d %s", r.status, r.body)
	}

	const web = "pos1-web-0001"
	r := h.api("POST", "/epayment/v1/payments", map[string]string{"Idempotency-Key": "w1"}, map[string]any{
		"amount": amount{"NOK", 1000}, "paymentMethod": map[string]string{"type": "WALLET"},
		"reference": web, "userFlow": "WEB_REDIRECT", "returnUrl": "https://shop.example/done"})
	var created struct{ RedirectURL string }
	r.json(t, &created)
	if r.status != 201 || !strings.Contains(created.RedirectURL, "token=") {
		t.Fatalf("web redirect create: %d %s", r.status, r.body)
	}
	u, _ := url.Parse(created.RedirectURL)
	if r := h.api("POST", "/epayment/v1/test/payments/"+web+"/approve", nil, map[string]string{"token": u.Query().Get("token")}); r.status != 200 {
		t.Errorf("force approve by token: %d %s", r.status, r.body)
	}
	page := h.do("GET", strings.TrimPrefix(created.RedirectURL, h.url), nil, nil)
	if page.status != 200 || !strings.Contains(string(page.body), "AUTHORIZED") {
		t.Errorf("landing page: %d %.300s", page.status, page.body)
	}
}
