package sim

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// accessTokenResponse is POST /accesstoken/get: every number is a string.
type accessTokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    string `json:"expires_in"`
	ExtExpiresIn string `json:"ext_expires_in"`
	ExpiresOn    string `json:"expires_on"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	AccessToken  string `json:"access_token"`
}

type tokenClaims struct {
	Aud string `json:"aud"`
	Iss string `json:"iss"`
	Iat int64  `json:"iat"`
	Nbf int64  `json:"nbf"`
	Exp int64  `json:"exp"`
	MSN string `json:"tid"`
	Sub string `json:"sub"`
	Ver string `json:"ver"`
}

const tokenResource = "00000002-0000-0000-c000-000000000000"

func equalSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// handleAccessToken issues an access token for the three credential headers.
func (s *Sim) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	h := r.Header
	if h.Get("client_id") == "" || h.Get("client_secret") == "" || h.Get("Ocp-Apim-Subscription-Key") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request",
			"error_description": "client_id, client_secret and Ocp-Apim-Subscription-Key headers are required"})
		return
	}
	if !equalSecret(h.Get("client_id"), s.cfg.ClientID) || !equalSecret(h.Get("client_secret"), s.cfg.ClientSecret) ||
		!equalSecret(h.Get("Ocp-Apim-Subscription-Key"), s.cfg.SubscriptionKey) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized_client",
			"error_description": "Invalid client credentials or subscription key"})
		return
	}
	if m := h.Get("Merchant-Serial-Number"); m != "" && m != s.cfg.MSN {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unauthorized_client",
			"error_description": "The credentials do not belong to this Merchant-Serial-Number"})
		return
	}
	now := s.now()
	exp := now.Add(s.cfg.TokenLifetime)
	c := tokenClaims{Aud: tokenResource, Iss: "https://sts.windows.net/kasse-sim/", Iat: now.Unix(),
		Nbf: now.Unix(), Exp: exp.Unix(), MSN: s.cfg.MSN, Sub: s.cfg.ClientID, Ver: "1.0"}
	writeTyped(w, "application/json;charset=UTF-8", http.StatusOK, accessTokenResponse{
		TokenType: "Bearer", ExpiresIn: strconv.FormatInt(int64(s.cfg.TokenLifetime/time.Second)-2, 10), ExtExpiresIn: "0",
		ExpiresOn: strconv.FormatInt(exp.Unix(), 10), NotBefore: strconv.FormatInt(now.Unix(), 10),
		Resource: tokenResource, AccessToken: s.signJWT(c),
	})
}

// signJWT makes an HS256 JWT: opaque to clients, checkable by us.
func (s *Sim) signJWT(claims any) string {
	head := base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256","x5t":"kasse-sim"}`))
	body, _ := json.Marshal(claims)
	msg := head + "." + base64.RawURLEncoding.EncodeToString(body)
	mac := hmac.New(sha256.New, s.tokKey)
	mac.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Sim) parseJWT(tok string, claims any) bool {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return false
	}
	mac := hmac.New(sha256.New, s.tokKey)
	mac.Write([]byte(tok[:i]))
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return false
	}
	parts := strings.Split(tok[:i], ".")
	if len(parts) != 2 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	return err == nil && json.Unmarshal(b, claims) == nil
}

// bearer extracts the token of "Authorization: Bearer <token>". The scheme
// is case-insensitive (RFC 7235); a bare token without the word is refused.
func bearer(r *http.Request) (string, bool) {
	a := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, tok, ok := strings.Cut(a, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// apiAuth is how an API wants the gateway's checks done.
type apiAuth struct {
	needMSN bool
	// problemJSON: the API answers errors as application/problem+json (ePayment, Webhooks).
	problemJSON bool
}

// authorize enforces Bearer token, subscription key and MSN. It writes the
// error and returns false when the request may not proceed.
func (s *Sim) authorize(w http.ResponseWriter, r *http.Request, a apiAuth) bool {
	fail := func(status int, title, detail string) bool {
		p := newProblem(r, status, title, detail)
		if a.problemJSON {
			writeProblem(w, p)
		} else {
			writeJSON(w, status, p)
		}
		return false
	}
	key := r.Header.Get("Ocp-Apim-Subscription-Key")
	if key == "" {
		return fail(http.StatusUnauthorized, "Unauthorized", "Access denied due to missing subscription key.")
	}
	if !equalSecret(key, s.cfg.SubscriptionKey) {
		return fail(http.StatusUnauthorized, "Unauthorized", "Access denied due to invalid subscription key.")
	}
	tok, ok := bearer(r)
	if !ok {
		return fail(http.StatusUnauthorized, "Unauthorized", "Authorization header must be 'Bearer <access token>'.")
	}
	var c tokenClaims
	if !s.parseJWT(tok, &c) || c.Aud != tokenResource {
		return fail(http.StatusUnauthorized, "Unauthorized", "Invalid access token.")
	}
	if s.now().Unix() >= c.Exp {
		return fail(http.StatusUnauthorized, "Unauthorized", "The access token has expired.")
	}
	msn := r.Header.Get("Merchant-Serial-Number")
	if msn == "" && a.needMSN {
		return fail(http.StatusBadRequest, "Bad Request", "The Merchant-Serial-Number header is required.")
	}
	if msn != "" && msn != c.MSN {
		return fail(http.StatusForbidden, "Forbidden", "The access token does not give access to this Merchant-Serial-Number.")
	}
	return true
}
