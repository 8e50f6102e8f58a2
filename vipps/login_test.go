package vipps

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// cibaFixture answers the backchannel call and then the token polls with
// the given OAuth errors in order ("" = success).
func cibaFixture(t *testing.T, answers ...string) *fixture {
	f := newFixture(t)
	f.gw.on("POST "+backchannelPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"auth_req_id": "req-1", "expires_in": 120, "interval": 5})
	})
	f.gw.on("POST "+tokenPath, func(w http.ResponseWriter, r *http.Request) {
		if len(answers) == 0 {
			t.Errorf("polled after the last answer")
			writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
			return
		}
		a := answers[0]
		answers = answers[1:]
		if a != "" {
			writeJSON(w, 400, map[string]string{"error": a, "error_description": a})
			return
		}
		writeJSON(w, 200, map[string]any{"access_token": testLoginToken, "token_type": "Bearer", "expires_in": 300})
	})
	f.gw.on("GET "+userinfoPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"sub": "sub-1", "name": "Ada Lovelace", "phone_number": testMSISDN})
	})
	return f
}

func TestLoginPollsAtTheIntervalAndSlowsDown(t *testing.T) {
	f := cibaFixture(t, "authorization_pending", "slow_down", "authorization_pending", "")
	claims, err := f.c.LoginByPhone(ctx(t), testMSISDN, "", []string{"name", "phoneNumber"})
	if err != nil || claims.Sub != "sub-1" || claims.Name != "Ada Lovelace" {
		t.Fatalf("%+v %v", claims, err)
	}
	want := []time.Duration{5 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second}
	if got := f.clock.Slept(); !reflect.DeepEqual(got, want) {
		t.Fatalf("waits %v, want %v (slow_down adds 5 s for good)", got, want)
	}
	polls := f.gw.CallsTo("POST", tokenPath)
	if len(polls) != 4 {
		t.Fatalf("%d polls", len(polls))
	}
	for _, p := range polls {
		form := p.Form()
		if form.Get("grant_type") != "urn:openid:params:grant-type:ciba" || form.Get("auth_req_id") != "req-1" {
			t.Errorf("poll form %v", form)
		}
	}
	start := f.gw.CallsTo("POST", backchannelPath)[0].Form()
	if start.Get("login_hint") != "urn:msisdn:"+testMSISDN || start.Get("scope") != "openid name phoneNumber" {
		t.Errorf("backchannel form %v", start)
	}
}

func TestLoginOutcomes(t *testing.T) {
	t.Run("declined", func(t *testing.T) {
		f := cibaFixture(t, "authorization_pending", "access_denied")
		_, err := f.c.LoginByPhone(ctx(t), testMSISDN, "AB-123", nil)
		if !errors.Is(err, ErrLoginDeclined) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("expired by Vipps", func(t *testing.T) {
		f := cibaFixture(t, "expired_token")
		_, err := f.c.LoginByPhone(ctx(t), testMSISDN, "", nil)
		if !errors.Is(err, ErrLoginExpired) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("expired by the clock", func(t *testing.T) {
		pending := make([]string, 30)
		for i := range pending {
			pending[i] = "authorization_pending"
		}
		f := cibaFixture(t, pending...)
		_, err := f.c.LoginByPhone(ctx(t), testMSISDN, "", nil)
		if !errors.Is(err, ErrLoginExpired) {
			t.Fatalf("%v", err)
		}
		if n := len(f.gw.CallsTo("POST", tokenPath)); n != 24 { // 120 s / 5 s
			t.Fatalf("%d polls in 120 s at 5 s", n)
		}
	})
	t.Run("cancelled at the till", func(t *testing.T) {
		f := cibaFixture(t, "authorization_pending")
		lr, err := f.c.StartLogin(ctx(t), testMSISDN, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		cx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err = f.c.FinishLogin(cx, lr)
		if !errors.Is(err, ErrLoginCancelled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		f := newFixture(t)
		f.gw.on("POST "+backchannelPath, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 400, map[string]string{"error": "invalid_request", "error_code": "invalid_user"})
		})
		_, err := f.c.StartLogin(ctx(t), testMSISDN, "", nil)
		var ve *Error
		if !errors.As(err, &ve) || ve.Kind != Permanent || ve.Code != "invalid_user" || len(f.gw.CallsTo("POST", backchannelPath)) != 1 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("bad binding message is ours", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.c.StartLogin(ctx(t), testMSISDN, "hello world", nil)
		if KindOf(err) != Invalid || len(f.gw.Calls()) != 0 {
			t.Fatalf("%v", err)
		}
	})
}

func TestDiscoveryNeverSendsCredentialsElsewhere(t *testing.T) {
	f := newFixture(t)
	f.gw.on("GET "+discoveryPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]any{"issuer": "https://evil.example/", "token_endpoint": "https://evil.example/token", "authorization_endpoint": "https://evil.example/auth",
			"userinfo_endpoint": "https://evil.example/userinfo", "jwks_uri": "https://evil.example/jwks",
			"backchannel_authentication_endpoint": "https://evil.example/bc",
			"response_types_supported":            []string{"code"}, "subject_types_supported": []string{"pairwise"},
			"id_token_signing_alg_values_supported": []string{"RS256"}})
	})
	d, err := f.c.Discover(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if d.TokenEndpoint != tokenPath || d.BackchannelAuthenticationEndpoint != backchannelPath || d.UserinfoEndpoint != userinfoPath {
		t.Fatalf("foreign endpoints kept: %+v", d)
	}
	_, _ = f.c.Discover(ctx(t))
	if n := len(f.gw.CallsTo("GET", discoveryPath)); n != 1 {
		t.Fatalf("discovery fetched %d times within the hour", n)
	}
}
