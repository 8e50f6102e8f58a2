package vipps

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The published example of API.md §8.4.
const (
	vecSecret = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A=="
	vecURL    = "https://webhook.site/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63"
	vecBody   = `{"some-unique-content":"ee6e441b-cc4a-46f8-895d-a5af79bcc233/hello-world"}`
	vecDate   = "Thu, 30 Mar 2023 08:38:32 GMT"
	vecHash   = "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4="
	vecSig    = "agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U="
)

func vecHeader() http.Header {
	h := http.Header{}
	h.Set("x-ms-date", vecDate)
	h.Set("x-ms-content-sha256", vecHash)
	h.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+vecSig)
	return h
}

var vecNow = time.Date(2023, 3, 30, 8, 39, 0, 0, time.UTC)

func TestPublishedWebhookVectorReproduces(t *testing.T) {
	sts, err := webhookStringToSign(vecURL, vecDate, vecHash)
	if err != nil {
		t.Fatal(err)
	}
	if want := "POST\n/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63\n" + vecDate + ";webhook.site;" + vecHash; sts != want {
		t.Fatalf("string to sign %q, want %q", sts, want)
	}
	date, _ := http.ParseTime(vecDate)
	h, err := SignWebhook(vecURL, vecSecret, []byte(vecBody), date)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"x-ms-date", "x-ms-content-sha256", "Authorization"} {
		if h.Get(k) != vecHeader().Get(k) {
			t.Errorf("%s = %q, want %q", k, h.Get(k), vecHeader().Get(k))
		}
	}
	if err := VerifyWebhook(vecURL, vecSecret, []byte(vecBody), vecHeader(), vecNow, 5*time.Minute); err != nil {
		t.Fatalf("published example rejected: %v", err)
	}
}

func TestWebhookVerificationRejects(t *testing.T) {
	tampered := vecHeader()
	tampered.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=T3+NXHMmhNVEjW5PeJ4Gql70nf0MOXCAY9CoZDxuVQw=")
	cases := []struct {
		name   string
		url    string
		secret string
		body   string
		header http.Header
		now    time.Time
		want   error
	}{
		{"signature made with the base64-decoded secret", vecURL, vecSecret, vecBody, tampered, vecNow, ErrWebhookSignature},
		{"wrong secret", vecURL, "090a478d-37ff-4e77-970e-d457aeb26a3a", vecBody, vecHeader(), vecNow, ErrWebhookSignature},
		{"other registered path", vecURL + "x", vecSecret, vecBody, vecHeader(), vecNow, ErrWebhookSignature},
		{"other registered host", "https://webhook.site:8443/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63", vecSecret, vecBody, vecHeader(), vecNow, ErrWebhookSignature},
		{"body changed", vecURL, vecSecret, vecBody + " ", vecHeader(), vecNow, ErrWebhookContentHash},
		{"stale date", vecURL, vecSecret, vecBody, vecHeader(), vecNow.Add(10 * time.Minute), ErrWebhookStale},
		{"date from the future", vecURL, vecSecret, vecBody, vecHeader(), vecNow.Add(-10 * time.Minute), ErrWebhookStale},
		{"no date", vecURL, vecSecret, vecBody, http.Header{}, vecNow, ErrWebhookStale},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := VerifyWebhook(c.url, c.secret, []byte(c.body), c.header, c.now, 5*time.Minute)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestSignedDeliveryWithPortAndQueryVerifies(t *testing.T) {
	url := "https://till.example.com:8443/vipps/hook?store=12"
	body := []byte(`{"msn":"123456","reference":"pos1-sale-000042","pspReference":"p","name":"AUTHORIZED",` +
		`"amount":{"currency":"NOK","value":49900},"timestamp":"2026-01-19T16:26:32.099Z","success":true}`)
	at := time.Date(2026, 1, 19, 16, 26, 33, 0, time.UTC)
	h, err := SignWebhook(url, "090a478d-37ff-4e77-970e-d457aeb26a3a", body, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyWebhook(url, "090a478d-37ff-4e77-970e-d457aeb26a3a", body, h, at.Add(time.Second), time.Minute); err != nil {
		t.Fatal(err)
	}
	sts, _ := webhookStringToSign(url, h.Get("x-ms-date"), h.Get("x-ms-content-sha256"))
	if want := "POST\n/vipps/hook?store=12\n" + h.Get("x-ms-date") + ";till.example.com:8443;" + h.Get("x-ms-content-sha256"); sts != want {
		t.Fatalf("string to sign %q", sts)
	}
	ev, err := ParsePaymentEvent(body)
	if err != nil || ev.Name != "AUTHORIZED" || ev.MSN != "123456" || ev.Amount.Value != 49900 || !ev.Success {
		t.Fatalf("%+v %v", ev, err)
	}
}

func TestVerifyWebhookRequestInAHandler(t *testing.T) {
	var got PaymentEvent
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := VerifyWebhookRequest(r, vecURL, vecSecret, vecNow, 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		got.Name = string(body)
	})
	// Behind a proxy the request arrives on another host and path; the
	// registered URL is what counts.
	for _, tc := range []struct {
		body string
		code int
	}{{vecBody, 200}, {vecBody + "x", 401}} {
		req := httptest.NewRequest("POST", "http://10.0.0.5:8080/internal/hook", strings.NewReader(tc.body))
		req.Header = vecHeader()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.code {
			t.Errorf("body %q: status %d, want %d", tc.body, rec.Code, tc.code)
		}
	}
	if got.Name != vecBody {
		t.Errorf("handler did not get the raw body")
	}
}
