package vipps_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// The settings' "test the connection" tells right keys, wrong keys, a
// Merchant Serial Number the keys do not cover and no answer apart.
func TestCheckConnectionSaysWhatIsWrong(t *testing.T) {
	good, s := simClient(t, nil)
	cfg := sim.DefaultConfig()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	client := func(url, secret, msn string) *vipps.Client {
		c, err := vipps.New(vipps.Config{BaseURL: url, ClientID: cfg.ClientID, ClientSecret: secret,
			SubscriptionKey: cfg.SubscriptionKey, MSN: msn, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name string
		c    *vipps.Client
		want vipps.Connection
	}{
		{"right keys", good, vipps.ConnectionOK},
		{"wrong secret", client(srv.URL, "not-the-secret", cfg.MSN), vipps.ConnectionWrongKeys},
		{"other MSN", client(srv.URL, cfg.ClientSecret, "654321"), vipps.ConnectionUnknownMSN},
		{"nobody there", client(deadURL, cfg.ClientSecret, cfg.MSN), vipps.ConnectionUnreachable},
	} {
		got, err := tc.c.CheckConnection(simCtx(t))
		if got != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.name, got, err, tc.want)
		}
		if (err == nil) != (tc.want == vipps.ConnectionOK) {
			t.Errorf("%s: error %v", tc.name, err)
		}
	}
}
