package vipps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Outcomes of a login by phone number that did not give us claims. They
// wrap nothing from Vipps: the customer (or the cashier) decided.
var (
	ErrLoginDeclined  = errors.New("vipps login: the customer declined")
	ErrLoginExpired   = errors.New("vipps login: the request expired before the customer answered")
	ErrLoginCancelled = errors.New("vipps login: cancelled at the till")
)

// Discovery is the part of the OpenID configuration the till uses.
type Discovery struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	BackchannelAuthenticationEndpoint string   `json:"backchannel_authentication_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

// Documented endpoint paths, used when discovery does not name one
// (discovery of some environments omits the CIBA endpoint).
const (
	discoveryPath   = "/access-management-1.0/access/.well-known/openid-configuration"
	tokenPath       = "/access-management-1.0/access/oauth2/token"
	userinfoPath    = "/vipps-userinfo-api/userinfo"
	backchannelPath = "/vipps-login-ciba/api/backchannel/authentication"
	userExistsPath  = "/vipps-login-ciba/api/v1/user-exists"
)

// Discover returns the OpenID configuration, cached for an hour as Vipps'
// Cache-Control says. Endpoints on another host than BaseURL are ignored
// in favour of the documented paths, so client credentials never leave
// for a host we were not configured with.
func (c *Client) Discover(ctx context.Context) (*Discovery, error) {
	c.discMu.Lock()
	defer c.discMu.Unlock()
	if c.disc != nil && c.cfg.Now().Before(c.discExp) {
		return c.disc, nil
	}
	const op = "login.discovery"
	resp, err := c.do(ctx, request{op: op, method: "GET", path: discoveryPath, auth: authNone, retry: true})
	if err != nil {
		return nil, err
	}
	var d Discovery
	if err := decode(op, resp, &d); err != nil {
		return nil, err
	}
	d.TokenEndpoint = c.sameHost(d.TokenEndpoint, tokenPath)
	d.UserinfoEndpoint = c.sameHost(d.UserinfoEndpoint, userinfoPath)
	d.BackchannelAuthenticationEndpoint = c.sameHost(d.BackchannelAuthenticationEndpoint, backchannelPath)
	c.disc, c.discExp = &d, c.cfg.Now().Add(time.Hour)
	return c.disc, nil
}

func (c *Client) sameHost(endpoint, fallback string) string {
	u, err := url.Parse(endpoint)
	if err != nil || endpoint == "" || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		if endpoint != "" {
			c.log.Warn("vipps discovery names a foreign endpoint; using the documented path", "path", fallback)
		}
		return fallback
	}
	return endpoint
}

var bindingPattern = regexp.MustCompile(`^[A-Z0-9-]{5,8}$`)

// LoginRequest is a started CIBA login.
type LoginRequest struct {
	AuthReqID string
	ExpiresAt time.Time
	Interval  time.Duration // minimum time between token polls
	Scopes    []string
}

// StartLogin pushes a login/consent request to the phone (CIBA,
// login_hint urn:msisdn:…). bindingMessage, shown on the phone and the
// till, must match ^[A-Z0-9-]{5,8}$ or be empty. "openid" is added to
// scopes when missing.
func (c *Client) StartLogin(ctx context.Context, msisdn, bindingMessage string, scopes []string) (LoginRequest, error) {
	const op = "login.start"
	if _, err := ParseMSISDN(msisdn, ""); err != nil || strings.ContainsAny(msisdn, "+ ") {
		return LoginRequest{}, invalid(op, "login_hint needs a normalised MSISDN")
	}
	if bindingMessage != "" && !bindingPattern.MatchString(bindingMessage) {
		return LoginRequest{}, invalid(op, "binding_message must match ^[A-Z0-9-]{5,8}$")
	}
	if !slices.Contains(scopes, "openid") {
		scopes = append([]string{"openid"}, scopes...)
	}
	d, err := c.Discover(ctx)
	if err != nil {
		return LoginRequest{}, err
	}
	form := url.Values{"login_hint": {"urn:msisdn:" + msisdn}, "scope": {strings.Join(scopes, " ")}}
	if bindingMessage != "" {
		form.Set("binding_message", bindingMessage)
	}
	// No retries: a repeated backchannel call would push a second request
	// to the customer's phone.
	resp, err := c.do(ctx, request{op: op, method: "POST", path: d.BackchannelAuthenticationEndpoint, form: form, auth: authBasic})
	if err != nil {
		return LoginRequest{}, err
	}
	var out struct {
		AuthReqID string  `json:"auth_req_id"`
		ExpiresIn flexInt `json:"expires_in"`
		Interval  flexInt `json:"interval"`
	}
	if err := decode(op, resp, &out); err != nil {
		return LoginRequest{}, err
	}
	if out.AuthReqID == "" {
		return LoginRequest{}, &Error{Op: op, Status: resp.status, Kind: KindUnknown, Detail: "answer without auth_req_id"}
	}
	if out.Interval <= 0 {
		out.Interval = 5 // CIBA Core §7.3 default
	}
	if out.ExpiresIn <= 0 {
		out.ExpiresIn = 600
	}
	c.log.Info("vipps login started", "msisdn", MaskMSISDN(msisdn), "expires_in", int64(out.ExpiresIn))
	return LoginRequest{
		AuthReqID: out.AuthReqID,
		ExpiresAt: c.cfg.Now().Add(time.Duration(out.ExpiresIn) * time.Second),
		Interval:  time.Duration(out.Interval) * time.Second,
		Scopes:    scopes,
	}, nil
}

// Claims are the consented userinfo claims of a member.
type Claims struct {
	Sub                 string   `json:"sub"`
	Name                string   `json:"name,omitempty"`
	GivenName           string   `json:"given_name,omitempty"`
	FamilyName          string   `json:"family_name,omitempty"`
	Email               string   `json:"email,omitempty"`
	EmailVerified       bool     `json:"email_verified,omitempty"`
	PhoneNumber         string   `json:"phone_number,omitempty"` // MSISDN
	PhoneNumberVerified bool     `json:"phone_number_verified,omitempty"`
	BirthDate           string   `json:"birthdate,omitempty"` // YYYY-MM-DD
	Address             *Address `json:"address,omitempty"`
	// DelegatedConsents are the club's marketing consents configured in
	// the business portal and answered in the app (scope
	// delegatedConsents); present only the first time the user consents.
	DelegatedConsents *DelegatedConsents `json:"delegatedConsents,omitempty"`
	Scopes            []string           `json:"-"` // what was asked for; consent is all-or-nothing
}

// DelegatedConsents is what the user was shown and answered (API.md §5.6).
type DelegatedConsents struct {
	Language                 string    `json:"language,omitempty"`
	Heading                  string    `json:"heading,omitempty"`
	TermsDescription         string    `json:"termsDescription,omitempty"`
	ConfirmConsentButtonText string    `json:"confirmConsentButtonText,omitempty"`
	TimeOfConsent            string    `json:"timeOfConsent,omitempty"` // RFC 3339
	Consents                 []Consent `json:"consents"`
}

// Consent is one marketing consent and the user's answer.
type Consent struct {
	ID                  string `json:"id"`
	Accepted            bool   `json:"accepted"`
	Required            bool   `json:"required"`
	TextDisplayedToUser string `json:"textDisplayedToUser"`
}

// Address is the userinfo address claim.
type Address struct {
	AddressType   string `json:"address_type,omitempty"`
	Country       string `json:"country,omitempty"`
	Formatted     string `json:"formatted,omitempty"`
	PostalCode    string `json:"postal_code,omitempty"`
	Region        string `json:"region,omitempty"`
	StreetAddress string `json:"street_address,omitempty"`
}

// FinishLogin polls the token endpoint no faster than the interval (5 s
// more after each slow_down) until the customer answers, then fetches the
// claims. It returns ErrLoginDeclined, ErrLoginExpired, or
// ErrLoginCancelled (wrapping ctx's error) when ctx ends first.
func (c *Client) FinishLogin(ctx context.Context, lr LoginRequest) (Claims, error) {
	interval := lr.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	for {
		if !c.cfg.Now().Before(lr.ExpiresAt) {
			return Claims{}, ErrLoginExpired
		}
		if err := c.cfg.Sleep(ctx, interval); err != nil {
			return Claims{}, fmt.Errorf("%w: %w", ErrLoginCancelled, err)
		}
		token, err := c.pollToken(ctx, lr.AuthReqID)
		var ve *Error
		switch {
		case err == nil:
			claims, err := c.Userinfo(ctx, token)
			if err != nil {
				return Claims{}, err
			}
			claims.Scopes = lr.Scopes
			c.log.Info("vipps login approved")
			return claims, nil
		case ctx.Err() != nil:
			return Claims{}, fmt.Errorf("%w: %w", ErrLoginCancelled, ctx.Err())
		case !errors.As(err, &ve):
			return Claims{}, err
		case ve.Code == "authorization_pending":
		case ve.Code == "slow_down":
			interval += 5 * time.Second
		case ve.Code == "access_denied":
			c.log.Info("vipps login declined")
			return Claims{}, ErrLoginDeclined
		case ve.Code == "expired_token":
			return Claims{}, ErrLoginExpired
		default:
			return Claims{}, err
		}
	}
}

// LoginByPhone is StartLogin followed by FinishLogin.
func (c *Client) LoginByPhone(ctx context.Context, msisdn, bindingMessage string, scopes []string) (Claims, error) {
	lr, err := c.StartLogin(ctx, msisdn, bindingMessage, scopes)
	if err != nil {
		return Claims{}, err
	}
	return c.FinishLogin(ctx, lr)
}

func (c *Client) pollToken(ctx context.Context, authReqID string) (string, error) {
	const op = "login.token"
	d, err := c.Discover(ctx)
	if err != nil {
		return "", err
	}
	form := url.Values{"grant_type": {"urn:openid:params:grant-type:ciba"}, "auth_req_id": {authReqID}}
	resp, err := c.do(ctx, request{op: op, method: "POST", path: d.TokenEndpoint, form: form, auth: authBasic, retry: true})
	if err != nil {
		return "", err
	}
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	if err := decode(op, resp, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", &Error{Op: op, Status: resp.status, Kind: KindUnknown, Detail: "answer without access_token"}
	}
	return out.AccessToken, nil
}

// Userinfo fetches the claims the customer consented to, with the login
// access token as the only credential (API.md §5.6).
func (c *Client) Userinfo(ctx context.Context, loginToken string) (Claims, error) {
	const op = "login.userinfo"
	d, err := c.Discover(ctx)
	if err != nil {
		return Claims{}, err
	}
	resp, err := c.do(ctx, request{op: op, method: "GET", path: d.UserinfoEndpoint, auth: authLoginBearer, bearer: loginToken, retry: true})
	if err != nil {
		return Claims{}, err
	}
	var cl Claims
	if err := decode(op, resp, &cl); err != nil {
		return Claims{}, err
	}
	if cl.Sub == "" {
		return Claims{}, &Error{Op: op, Status: resp.status, Kind: KindUnknown, Detail: "userinfo without sub"}
	}
	return cl, nil
}

// UserExists asks whether msisdn has a Vipps account that can log in.
func (c *Client) UserExists(ctx context.Context, msisdn string) (bool, error) {
	const op = "login.user-exists"
	resp, err := c.do(ctx, request{op: op, method: "POST", path: userExistsPath, auth: authBasic, retry: true,
		form: url.Values{"login_hint": {"urn:msisdn:" + msisdn}}})
	if err != nil {
		return false, err
	}
	var out struct {
		Exists bool `json:"exists"`
	}
	if err := decode(op, resp, &out); err != nil {
		return false, err
	}
	return out.Exists, nil
}
