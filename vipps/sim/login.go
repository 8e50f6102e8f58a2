package sim

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type loginStatus int

const (
	loginPending loginStatus = iota
	loginApproved
	loginDenied
	loginExpired
	loginConsumed // tokens issued: the auth_req_id / code works once
)

type login struct {
	id          string
	msisdn      string
	scopes      []string
	expires     time.Time
	interval    time.Duration
	lastPoll    time.Time
	status      loginStatus
	redirectURI string // login_to_webpage flow
	code        string
	nonce       string
	pushID      string
}

type loginToken struct {
	msisdn   string
	scopes   []string
	expires  time.Time
	consents map[string]any // the delegatedConsents claim, when answered with this login
}

// ConsentText is one marketing consent of the club and how the simulated
// customer answers it (a required one is always accepted: the app does
// not let the user go on otherwise).
type ConsentText struct {
	ID       string
	Text     string
	Required bool
	Accept   bool
}

// DefaultConsents are the demo club's: its terms, offers by e-mail
// (accepted) and by SMS (declined).
func DefaultConsents() []ConsentText {
	return []ConsentText{
		{ID: "club-terms", Text: "Jeg godtar vilkårene for kundeklubben", Required: true, Accept: true},
		{ID: "email-offers", Text: "Ja takk, send meg tilbud på e-post", Accept: true},
		{ID: "sms-offers", Text: "Ja takk, send meg tilbud på SMS"},
	}
}

// delegatedConsents is the claim for a user answering now, or nil when
// the login did not ask or the user answered before.
func (s *Sim) delegatedConsentsLocked(l *login, now time.Time) map[string]any {
	if !slices.Contains(l.scopes, "delegatedConsents") || s.consented[l.msisdn] || len(s.cfg.Consents) == 0 {
		return nil
	}
	s.consented[l.msisdn] = true
	var cs []map[string]any
	for _, c := range s.cfg.Consents {
		cs = append(cs, map[string]any{"id": c.ID, "accepted": c.Required || c.Accept, "required": c.Required,
			"textDisplayedToUser": c.Text})
	}
	return map[string]any{"language": "nb", "heading": s.cfg.ClubName, "termsDescription": "Vilkår for " + s.cfg.ClubName,
		"confirmConsentButtonText": "Bli medlem", "timeOfConsent": now.UTC().Format(time.RFC3339),
		"links": map[string]string{"termsLinkText": "Vilkår", "termsLinkUrl": "https://example.com/vilkar",
			"privacyStatementLinkText": "Personvern", "privacyStatementLinkUrl": "https://example.com/personvern"},
		"consents": cs}
}

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	ErrorCode        string `json:"error_code,omitempty"`
}

var bindingRe = regexp.MustCompile(`^[A-Z0-9\-]{5,8}$`)

const loginTokenLifetime = 300 * time.Second

func oauthFail(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, oauthError{Error: code, ErrorDescription: desc})
}

// clientAuth accepts client_secret_basic, client_secret_post and the
// partner form: an access token from /accesstoken/get as Bearer plus the
// Merchant-Serial-Number header.
func (s *Sim) clientAuth(w http.ResponseWriter, r *http.Request) bool {
	if tok, ok := bearer(r); ok {
		var c tokenClaims
		if s.parseJWT(tok, &c) && c.Aud == tokenResource && s.now().Unix() < c.Exp &&
			r.Header.Get("Merchant-Serial-Number") == c.MSN {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthFail(w, http.StatusUnauthorized, "invalid_client", "Invalid or expired access token, or Merchant-Serial-Number missing")
		return false
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || !equalSecret(id, s.cfg.ClientID) || !equalSecret(secret, s.cfg.ClientSecret) {
		w.Header().Set("WWW-Authenticate", `Basic realm="vipps-login"`)
		oauthFail(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return false
	}
	return true
}

func msisdnFromHint(hint string) (string, bool) {
	for _, p := range []string{"urn:msisdn:", "urn:mobilenumber:"} {
		if m, ok := strings.CutPrefix(hint, p); ok && accountRe.MatchString(m) {
			return m, true
		}
	}
	return "", false
}

func (s *Sim) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	b := externalBase(r)
	w.Header().Set("Cache-Control", "max-age=3600")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                              b + "/access-management-1.0/access/",
		"authorization_endpoint":              b + "/access-management-1.0/access/oauth2/auth",
		"token_endpoint":                      b + "/access-management-1.0/access/oauth2/token",
		"userinfo_endpoint":                   b + "/vipps-userinfo-api/userinfo",
		"jwks_uri":                            b + "/access-management-1.0/access/.well-known/jwks.json",
		"backchannel_authentication_endpoint": b + "/vipps-login-ciba/api/backchannel/authentication",
		"backchannel_token_delivery_modes_supported": []string{"poll", "ping"},
		"backchannel_user_code_parameter_supported":  false,
		"grant_types_supported": []string{"authorization_code", "urn:openid:params:grant-type:ciba",
			"urn:vipps:params:grant-type:ciba-redirect"},
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"scopes_supported": []string{"openid", "name", "phoneNumber", "nin", "address", "birthDate",
			"delegatedConsents", "email", "gender"},
		"claims_supported": []string{"sub", "name", "given_name", "family_name", "email", "email_verified",
			"phone_number", "address", "birthdate", "nin", "sid"},
		"claims_parameter_supported":       false,
		"request_parameter_supported":      false,
		"request_uri_parameter_supported":  false,
		"require_request_uri_registration": false,
	})
}

func (s *Sim) handleJWKS(w http.ResponseWriter, r *http.Request) {
	key, err := signingKey()
	if err != nil {
		http.Error(w, "no signing key", http.StatusInternalServerError)
		return
	}
	pub := key.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

func (s *Sim) handleUserExists(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if !s.clientAuth(w, r) {
		return
	}
	m, ok := msisdnFromHint(r.PostForm.Get("login_hint"))
	if !ok {
		oauthFail(w, http.StatusBadRequest, "invalid_request", "login_hint must be urn:msisdn:<MSISDN>")
		return
	}
	_, exists := s.lookupUser(m)
	writeJSON(w, http.StatusOK, map[string]bool{"exists": exists})
}

func (s *Sim) handleBackchannel(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthFail(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if !s.clientAuth(w, r) {
		return
	}
	f := r.PostForm
	msisdn, ok := msisdnFromHint(f.Get("login_hint"))
	if !ok {
		oauthFail(w, http.StatusBadRequest, "invalid_request", "login_hint must be urn:msisdn:<MSISDN>")
		return
	}
	scopes := strings.Fields(f.Get("scope"))
	if !slices.Contains(scopes, "openid") {
		oauthFail(w, http.StatusBadRequest, "invalid_scope", "scope must contain openid")
		return
	}
	bm := f.Get("binding_message")
	if bm != "" && !bindingRe.MatchString(bm) {
		oauthFail(w, http.StatusBadRequest, "invalid_binding_message", "binding_message must match ^[A-Z0-9\\-]{5,8}$")
		return
	}
	expiry := s.cfg.LoginExpiry
	if re := f.Get("requested_expiry"); re != "" {
		n, err := strconv.Atoi(re)
		if err != nil || n < 60 || n > 900 {
			oauthFail(w, http.StatusBadRequest, "invalid_request", "requested_expiry must be 60–900 seconds")
			return
		}
		expiry = time.Duration(n) * time.Second
	}
	redirect := ""
	if f.Get("requested_flow") == "login_to_webpage" {
		redirect = f.Get("redirect_uri")
		if u, err := url.Parse(redirect); redirect == "" || err != nil || u.Scheme == "" {
			oauthFail(w, http.StatusBadRequest, "invalid_request", "redirect_uri is required for login_to_webpage")
			return
		}
	}
	user, ok := s.lookupUser(msisdn)
	if !ok || age(user.Birthdate, s.now()) < 15 {
		writeJSON(w, http.StatusBadRequest, oauthError{Error: "unknown_user_id", ErrorCode: "invalid_user",
			ErrorDescription: "The user cannot log in to this merchant"})
		return
	}
	s.mu.Lock()
	pending := 0
	for _, l := range s.logins {
		if l.msisdn == msisdn && l.status == loginPending {
			pending++
		}
	}
	if pending >= 3 {
		s.mu.Unlock()
		w.Header().Set("Retry-After", "10")
		oauthFail(w, http.StatusTooManyRequests, "too_many_requests", "Too many concurrent logins for this user")
		return
	}
	now := s.now()
	l := &login{id: randomToken(), msisdn: msisdn, scopes: scopes, expires: now.Add(expiry),
		interval: time.Duration(s.cfg.LoginInterval) * time.Second, redirectURI: redirect, nonce: f.Get("nonce")}
	s.logins[l.id] = l
	push := &Push{Kind: PushLogin, MSISDN: msisdn, Merchant: s.cfg.MerchantName, BindingMessage: bm,
		Scopes: scopes, Expires: l.expires, CustomerName: user.Name(), loginID: l.id}
	s.addPushLocked(push)
	l.pushID = push.ID
	s.mu.Unlock()
	s.notify()
	writeJSON(w, http.StatusOK, map[string]any{"auth_req_id": l.id, "expires_in": int(expiry / time.Second),
		"interval": s.cfg.LoginInterval})
}

func (s *Sim) answerLoginLocked(l *login, approve bool, p *Push) {
	if !approve {
		l.status = loginDenied
	} else {
		l.status = loginApproved
		if l.redirectURI != "" {
			l.code = randomToken()
			s.codes[l.code] = l.id
			sep := "?"
			if strings.Contains(l.redirectURI, "?") {
				sep = "&"
			}
			p.RedirectURL = l.redirectURI + sep + "code=" + url.QueryEscape(l.code)
		}
	}
	if l.redirectURI == "" {
		s.enqueueLocked("login.merchant-initiated.ping.v1", map[string]string{"auth_req_id": l.id})
	}
}

func (s *Sim) handleLoginToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthFail(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	if !s.clientAuth(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var l *login
	switch r.PostForm.Get("grant_type") {
	case "urn:openid:params:grant-type:ciba":
		l = s.logins[r.PostForm.Get("auth_req_id")]
		if l == nil || l.redirectURI != "" {
			oauthFail(w, http.StatusBadRequest, "invalid_grant", "Unknown auth_req_id")
			return
		}
		if l.status == loginPending && !l.lastPoll.IsZero() && now.Sub(l.lastPoll) < l.interval {
			// CIBA Core §11: the interval grows by 5 s for this and all later polls
			l.lastPoll = now
			l.interval += 5 * time.Second
			oauthFail(w, http.StatusBadRequest, "slow_down", "Polling too fast; wait at least interval seconds (+5)")
			return
		}
		l.lastPoll = now
	case "urn:vipps:params:grant-type:ciba-redirect":
		l = s.logins[s.codes[r.PostForm.Get("code")]]
		if l == nil {
			oauthFail(w, http.StatusBadRequest, "invalid_grant", "Unknown or used code")
			return
		}
		delete(s.codes, r.PostForm.Get("code"))
	default:
		oauthFail(w, http.StatusBadRequest, "unsupported_grant_type", "Use urn:openid:params:grant-type:ciba")
		return
	}
	if l.status == loginPending && !now.Before(l.expires) {
		l.status = loginExpired
		s.closePushLocked(l.pushID, PushExpired)
	}
	switch l.status {
	case loginPending:
		oauthFail(w, http.StatusBadRequest, "authorization_pending", "The authorization request is still pending")
		return
	case loginDenied:
		oauthFail(w, http.StatusBadRequest, "access_denied", "The user declined")
		return
	case loginExpired:
		oauthFail(w, http.StatusBadRequest, "expired_token", "The auth_req_id has expired")
		return
	case loginConsumed:
		oauthFail(w, http.StatusBadRequest, "invalid_grant", "Tokens were already issued for this request")
		return
	}
	l.status = loginConsumed
	tok := "ciba." + randomToken() + randomToken()
	s.loginTok[tok] = &loginToken{msisdn: l.msisdn, scopes: l.scopes, expires: now.Add(loginTokenLifetime),
		consents: s.delegatedConsentsLocked(l, now)}
	claims := map[string]any{"iss": externalBase(r) + "/access-management-1.0/access/", "sub": s.subject(l.msisdn),
		"aud": []string{s.cfg.ClientID}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "auth_time": now.Unix(),
		"sid": randomUUID(), "amr": []string{"pwd"}}
	if l.nonce != "" {
		claims["nonce"] = l.nonce
	}
	if l.redirectURI != "" {
		claims["auth_req_id"] = l.id
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer",
		"expires_in": int(loginTokenLifetime / time.Second), "id_token": s.signIDToken(claims),
		"scope": strings.Join(l.scopes, " ")})
}

func (s *Sim) signIDToken(claims map[string]any) string {
	hb, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": s.kid, "typ": "JWT"})
	cb, _ := json.Marshal(claims)
	msg := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(cb)
	sum := sha256.Sum256([]byte(msg))
	key, err := signingKey()
	if err != nil {
		return msg + "."
	}
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return msg + "."
	}
	return msg + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// subject is the pairwise sub: stable per sales unit and person.
func (s *Sim) subject(msisdn string) string {
	h := sha256.Sum256([]byte(s.cfg.MSN + ":" + msisdn))
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

func (s *Sim) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	unauthorized := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		oauthFail(w, http.StatusUnauthorized, "invalid_token", desc)
	}
	if r.Header.Get("Ocp-Apim-Subscription-Key") != "" {
		unauthorized("Userinfo takes the login access token only; do not send a subscription key")
		return
	}
	tok, ok := bearer(r)
	if !ok {
		unauthorized("Authorization: Bearer <access token> is required")
		return
	}
	s.mu.Lock()
	lt := s.loginTok[tok]
	s.mu.Unlock()
	if lt == nil || !s.now().Before(lt.expires) {
		unauthorized("The access token is invalid or has expired")
		return
	}
	u, _ := s.lookupUser(lt.msisdn)
	out := map[string]any{"sub": s.subject(lt.msisdn), "sid": randomUUID()}
	for _, sc := range lt.scopes {
		switch sc {
		case "name":
			out["name"], out["given_name"], out["family_name"] = u.Name(), u.GivenName, u.FamilyName
		case "phoneNumber":
			out["phone_number"] = u.MSISDN
		case "email":
			out["email"], out["email_verified"] = u.Email, true
		case "birthDate":
			out["birthdate"] = u.Birthdate
		case "nin":
			if u.NIN != "" {
				out["nin"] = u.NIN
			}
		case "delegatedConsents":
			if lt.consents != nil {
				out["delegatedConsents"] = lt.consents
			}
		case "address":
			addr := map[string]string{"address_type": "home", "country": u.Country, "street_address": u.Street,
				"postal_code": u.PostalCode, "region": u.Region, "formatted": ""}
			if u.Street != "" {
				addr["formatted"] = u.Street + "\n" + u.PostalCode + " " + u.Region + "\n" + u.Country
			}
			out["address"] = addr
		}
	}
	writeJSON(w, http.StatusOK, out)
}
