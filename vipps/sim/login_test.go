package sim_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/url"
	"strings"
	"testing"
)

// verifyIDToken checks an RS256 id_token against the published JWKS and
// returns its claims.
func verifyIDToken(t *testing.T, h *harness, tok string) map[string]any {
	t.Helper()
	var jwks struct {
		Keys []struct{ Kid, N, E, Alg string }
	}
	h.do("GET", "/access-management-1.0/access/.well-known/jwks.json", nil, nil).json(t, &jwks)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(jwks.Keys) == 0 {
		t.Fatalf("id_token %q, jwks %+v", tok, jwks)
	}
	var head struct{ Alg, Kid string }
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(hb, &head)
	for _, k := range jwks.Keys {
		if k.Kid != head.Kid {
			continue
		}
		n, _ := base64.RawURLEncoding.DecodeString(k.N)
		e, _ := base64.RawURLEncoding.DecodeString(k.E)
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			t.Fatalf("id_token signature: %v", err)
		}
		var claims map[string]any
		cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(cb, &claims)
		return claims
	}
	t.Fatalf("no JWKS key %q", head.Kid)
	return nil
}

func TestLoginToWebPage(t *testing.T) {
	h := newHarness(t, nil)
	basic := map[string]string{"Authorization": "Basic " + basicAuth(h.cfg.ClientID, h.cfg.ClientSecret)}
	r := h.do("POST", "/vipps-login-ciba/api/backchannel/authentication", basic, url.Values{
		"login_hint": {"urn:msisdn:4791234567"}, "scope": {"openid name"}, "requested_flow": {"login_to_webpage"},
		"redirect_uri": {"https://till.example/enrol"}})
	var started struct {
		ID string `json:"auth_req_id"`
	}
	r.json(t, &started)
	p := h.pendingPush("4791234567")
	if err := h.sim.Answer(p.ID, true); err != nil {
		t.Fatal(err)
	}
	redirect := h.sim.Pushes("4791234567")[0].RedirectURL
	u, err := url.Parse(redirect)
	if err != nil || !strings.HasPrefix(redirect, "https://till.example/enrol?code=") {
		t.Fatalf("the phone's browser goes to %q", redirect)
	}
	exchange := func() resp {
		return h.do("POST", "/access-management-1.0/access/oauth2/token", basic, url.Values{
			"grant_type": {"urn:vipps:params:grant-type:ciba-redirect"}, "code": {u.Query().Get("code")}})
	}
	r = exchange()
	var tok map[string]any
	r.json(t, &tok)
	if r.status != 200 {
		t.Fatalf("code exchange: %d %s", r.status, r.body)
	}
	claims := verifyIDToken(t, h, tok["id_token"].(string))
	if claims["auth_req_id"] != started.ID || claims["sub"] == nil {
		t.Errorf("id_token claims %v, want auth_req_id %s", claims, started.ID)
	}
	if r := exchange(); r.status != 400 {
		t.Errorf("code used twice: %d", r.status)
	}
}

func TestUserExistsAndClientAuth(t *testing.T) {
	h := newHarness(t, nil)
	post := url.Values{"client_id": {h.cfg.ClientID}, "client_secret": {h.cfg.ClientSecret}, "login_hint": {"urn:msisdn:4791234567"}}
	r := h.do("POST", "/vipps-login-ciba/api/v1/user-exists", nil, post)
	if r.status != 200 || string(r.body) != `{"exists":true}` {
		t.Errorf("client_secret_post: %d %s", r.status, r.body)
	}
	post.Set("login_hint", "urn:msisdn:4790000000")
	if r := h.do("POST", "/vipps-login-ciba/api/v1/user-exists", nil, post); string(r.body) != `{"exists":false}` {
		t.Errorf("unknown number: %s", r.body)
	}
	post.Set("client_secret", "wrong")
	if r := h.do("POST", "/vipps-login-ciba/api/v1/user-exists", nil, post); r.status != 401 {
		t.Errorf("wrong secret: %d", r.status)
	}
	hint := url.Values{"login_hint": {"urn:msisdn:4791234567"}}
	partner := map[string]string{"Authorization": "Bearer " + h.accessToken(), "Merchant-Serial-Number": h.cfg.MSN}
	if r := h.do("POST", "/vipps-login-ciba/api/v1/user-exists", partner, hint); r.status != 200 {
		t.Errorf("access token as Bearer with MSN: %d %s", r.status, r.body)
	}
	partner["Merchant-Serial-Number"] = ""
	if r := h.do("POST", "/vipps-login-ciba/api/v1/user-exists", partner, hint); r.status != 401 {
		t.Errorf("Bearer without MSN: %d", r.status)
	}
}
