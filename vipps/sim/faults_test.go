package sim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/vipps/internal/openapitest"
	"github.com/kasse-pos/kasse/vipps/sim"
)

func TestFaultsChangeAtRunTime(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-fault-0001"
	h.createPush(ref, "4791234567", 1000, "k1")
	r := h.do("PUT", "/sim/admin/faults", nil, `{"endpoints":{"epayment.get":{"burst429":2}}}`)
	if r.status != 200 {
		t.Fatalf("PUT faults: %d %s", r.status, r.body)
	}
	for i := range 2 {
		r := h.api("GET", "/epayment/v1/payments/"+ref, nil, nil)
		if r.status != 429 || r.header.Get("Retry-After") == "" {
			t.Errorf("burst request %d: %d", i+1, r.status)
		}
	}
	if r := h.api("GET", "/epayment/v1/payments/"+ref, nil, nil); r.status != 200 {
		t.Errorf("after the burst: %d", r.status)
	}
	if r := h.api("POST", "/epayment/v1/payments/"+ref+"/cancel", nil, map[string]bool{}); r.status == 429 {
		t.Error("the burst leaked to another endpoint")
	}
	var f sim.Faults
	r = h.do("GET", "/sim/admin/faults", nil, nil)
	r.json(t, &f)
	if f.Endpoints["epayment.get"].Burst429 != 0 {
		t.Errorf("faults report %+v, want the burst used up", f)
	}
}

func TestServerErrorAfterCaptureIsSafeToRetry(t *testing.T) {
	h := newHarness(t, nil)
	const ref = "pos1-fault-0002"
	h.createPush(ref, "4791234567", 5000, "k1")
	_ = h.sim.Answer(h.pendingPush("4791234567").ID, true)
	h.sim.SetFaults(sim.Faults{Endpoints: map[string]sim.EndpointFaults{"epayment.capture": {Error5xxAfter: 1}}})
	if r := h.modify(ref, "capture", 5000, "cap-1"); r.status != 500 {
		t.Fatalf("faulty capture answered %d", r.status)
	}
	if e, _ := h.sim.LedgerFor(ref); e.Captures != 1 {
		t.Fatalf("the capture behind the 500 was not carried out: %+v", e)
	}
	h.sim.SetFaults(sim.Faults{})
	r := h.modify(ref, "capture", 5000, "cap-1")
	var p payment
	r.json(t, &p)
	if r.status != 200 || p.Aggregate.CapturedAmount.Value != 5000 {
		t.Errorf("retry with the same key: %d %s", r.status, r.body)
	}
	if e, _ := h.sim.LedgerFor(ref); e.Captures != 1 || e.Captured != 5000 {
		t.Errorf("retry captured again: %+v", e)
	}
}

func TestFaultsAreDeterministicForASeed(t *testing.T) {
	run := func() string {
		h := newHarness(t, func(c *sim.Config) {
			c.Faults = sim.Faults{Seed: 42, Endpoints: map[string]sim.EndpointFaults{"qr": {Error5xx: 0.5}}}
		})
		var b strings.Builder
		for range 24 {
			r := h.api("POST", "/qr/v1/exchange", nil, map[string]string{"qrCode": "https://qr.vipps.no/28/2/01/031/4791234567?v=1"})
			b.WriteString(map[bool]string{true: "x", false: "."}[r.status == 500])
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("same seed gave %s and %s", a, b)
	}
}

func TestWebhookFaults(t *testing.T) {
	h := newHarness(t, nil)
	sink := newSink(t, "/hook")
	h.register(sink.url, "epayments.payment.created.v1", "epayments.payment.authorized.v1", "epayments.payment.captured.v1")
	h.sim.SetFaults(sim.Faults{Webhooks: sim.WebhookFaults{Drop: 1}})
	const ref = "pos1-hookfault-01"
	h.createPush(ref, "4791234567", 1000, "k1")
	h.sim.SetFaults(sim.Faults{Webhooks: sim.WebhookFaults{Duplicate: 1}})
	_ = h.sim.Answer(h.pendingPush("4791234567").ID, true)
	h.sim.SetFaults(sim.Faults{})
	h.modify(ref, "capture", 1000, "c1")
	var names []string
	for range 3 {
		var ev hookEvent
		_ = json.Unmarshal(sink.next(t).body, &ev)
		names = append(names, ev.Name)
	}
	if want := []string{"AUTHORIZED", "AUTHORIZED", "CAPTURED"}; !equal(names, want) {
		t.Errorf("deliveries %v, want %v (created dropped, authorized twice)", names, want)
	}
}

func TestStartServesAndDropsConnections(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.Faults = sim.Faults{Endpoints: map[string]sim.EndpointFaults{"token": {Drop: 1}}}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	res, err := http.Get(base + "/access-management-1.0/access/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if err := openapitest.CheckResponse(res.Request, res.StatusCode, res.Header, body); err != nil {
		t.Errorf("discovery breaks the contract: %v", err)
	}
	if !strings.Contains(string(body), `"issuer":"`+base+`/access-management-1.0/access/"`) {
		t.Errorf("discovery does not name this server: %s", body)
	}
	req, _ := http.NewRequest("POST", base+"/accesstoken/get", nil)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Errorf("dropped connection answered %d", res.StatusCode)
	}
}

func TestPhoneOverHTTP(t *testing.T) {
	h := newHarness(t, nil)
	var changes atomic.Int32
	h.sim.OnChange(func() { changes.Add(1) })
	h.createPush("pos1-phone-0001", "4512345678", 100, "k1")
	if changes.Load() == 0 {
		t.Error("no change notification for a new push")
	}
	r := h.do("GET", "/sim/phones/4512345678/pushes", nil, nil)
	var list struct{ Pushes []sim.Push }
	r.json(t, &list)
	if len(list.Pushes) != 1 || list.Pushes[0].State != sim.PushPending || list.Pushes[0].Amount != 100 {
		t.Fatalf("pushes: %s", r.body)
	}
	id := list.Pushes[0].ID
	before := changes.Load()
	if r := h.do("POST", "/sim/pushes/"+id+"/decline", nil, nil); r.status != 200 {
		t.Errorf("decline: %d", r.status)
	}
	if changes.Load() == before {
		t.Error("no change notification for an answer")
	}
	if r := h.do("POST", "/sim/pushes/"+id+"/approve", nil, nil); r.status != 409 {
		t.Errorf("answering twice: %d, want 409", r.status)
	}
	if r := h.do("POST", "/sim/pushes/push-999/approve", nil, nil); r.status != 404 {
		t.Errorf("unknown push: %d", r.status)
	}
	page := h.do("GET", "/sim/phone/4512345678", nil, nil)
	html := string(page.body)
	if page.status != 200 || !strings.Contains(html, "Mette Jensen") || !strings.Contains(page.header.Get("Content-Type"), "text/html") {
		t.Errorf("phone page: %d %.200s", page.status, html)
	}
	for _, external := range []string{`src="http`, `href="http`, "<link", "@import"} {
		if strings.Contains(html, external) {
			t.Errorf("phone page loads an external asset (%s)", external)
		}
	}
}

func TestWebhookReorder(t *testing.T) {
	h := newHarness(t, nil)
	gate := make(chan struct{})
	got := make(chan string, 10)
	first := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev hookEvent
		_ = json.NewDecoder(r.Body).Decode(&ev)
		if first { // hold the first delivery so the later events queue up behind it
			first = false
			<-gate
		}
		got <- ev.Name
	}))
	defer srv.Close()
	h.register(srv.URL, "epayments.payment.created.v1", "epayments.payment.authorized.v1", "epayments.payment.captured.v1")
	const ref = "pos1-reorder-001"
	h.createPush(ref, "4791234567", 1000, "k1")
	_ = h.sim.Answer(h.pendingPush("4791234567").ID, true)
	h.sim.SetFaults(sim.Faults{Webhooks: sim.WebhookFaults{Reorder: 1}})
	h.modify(ref, "capture", 1000, "c1")
	close(gate)
	var names []string
	for range 3 {
		select {
		case n := <-got:
			names = append(names, n)
		case <-time.After(10 * time.Second):
			t.Fatalf("only %v delivered", names)
		}
	}
	if want := []string{"CREATED", "CAPTURED", "AUTHORIZED"}; !equal(names, want) {
		t.Errorf("deliveries %v, want %v (captured overtakes authorized, never the one in flight)", names, want)
	}
}
