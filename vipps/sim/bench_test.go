package sim_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kasse-pos/kasse/vipps/sim"
)

// BenchmarkSale measures one sale (create, approve, capture) over HTTP.
func BenchmarkSale(b *testing.B) {
	cfg := sim.DefaultConfig()
	cfg.AuthorizingWindow = 0
	s, err := sim.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	post := func(path, key, body string, hdr http.Header) int {
		req, _ := http.NewRequest("POST", srv.URL+path, bytes.NewBufferString(body))
		req.Header = hdr.Clone()
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	tokReq := http.Header{"Client_id": {cfg.ClientID}, "Client_secret": {cfg.ClientSecret}, "Ocp-Apim-Subscription-Key": {cfg.SubscriptionKey}}
	req, _ := http.NewRequest("POST", srv.URL+"/accesstoken/get", nil)
	req.Header = tokReq
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = jsonDecode(res.Body, &tok)
	res.Body.Close()
	hdr := http.Header{"Authorization": {"Bearer " + tok.AccessToken}, "Ocp-Apim-Subscription-Key": {cfg.SubscriptionKey},
		"Merchant-Serial-Number": {cfg.MSN}}
	b.ResetTimer()
	for i := range b.N {
		ref := fmt.Sprintf("bench-%08d", i)
		if st := post("/epayment/v1/payments", ref+"-c", `{"amount":{"currency":"NOK","value":1000},"paymentMethod":{"type":"WALLET"},"customer":{"phoneNumber":"4791234567"},"reference":"`+ref+`","userFlow":"PUSH_MESSAGE"}`, hdr); st != 201 {
			b.Fatalf("create %d", st)
		}
		if st := post("/epayment/v1/test/payments/"+ref+"/approve", "", `{"customer":{"phoneNumber":"4791234567"}}`, hdr); st != 200 {
			b.Fatalf("approve %d", st)
		}
		if st := post("/epayment/v1/payments/"+ref+"/capture", ref+"-k", `{"modificationAmount":{"currency":"NOK","value":1000}}`, hdr); st != 200 {
			b.Fatalf("capture %d", st)
		}
	}
}
