package vipps

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var msnPattern = regexp.MustCompile(`^[0-9]{4,7}$`)

// flexInt reads a number the Access Token API sends as a JSON string
// ("86398"), and tolerates a plain number (API.md §12).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*f = flexInt(n)
	return nil
}

type accessTokenResponse struct {
	TokenType   string  `json:"token_type"`
	ExpiresIn   flexInt `json:"expires_in"`
	AccessToken string  `json:"access_token"`
}

// accessToken returns the cached access token, fetching a new one when
// there is none or it is about to expire. Concurrent callers wait for one
// fetch rather than each asking Vipps.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	now := c.cfg.Now()
	if c.tok != "" && now.Before(c.tokExp) {
		return c.tok, nil
	}
	const op = "accesstoken.get"
	resp, err := c.do(ctx, request{op: op, method: "POST", path: "/accesstoken/get", auth: authCredentials, retry: true})
	if err != nil {
		return "", err
	}
	var tr accessTokenResponse
	if err := decode(op, resp, &tr); err != nil {
		return "", err
	}
	if tr.AccessToken == "" || tr.ExpiresIn <= 0 {
		return "", &Error{Op: op, Status: resp.status, Kind: KindUnknown, Detail: "answer without access_token or expires_in"}
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	// Renew a little early so a token never expires in flight: 5 minutes,
	// or a tenth of the lifetime for short-lived tokens.
	margin := min(5*time.Minute, life/10)
	c.tok, c.tokExp = tr.AccessToken, now.Add(life-margin)
	c.log.Debug("vipps access token fetched", "valid_for", (life - margin).String())
	return c.tok, nil
}

// dropToken forgets tok after Vipps refused it, unless another caller has
// already replaced it.
func (c *Client) dropToken(tok string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.tok == tok {
		c.tok = ""
	}
}
