package vipps

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
)

var checkInPhone = regexp.MustCompile(`^47[0-9]{8}$`)

// CheckIn asks Vipps to show the loyalty check-in screen in the customer's
// app (Norway only; the screen appears only when the app is open, and only
// for members — isMember false shows nothing, as documented). clubName is
// the seed's loyaltyProgramName: sent when given, though the live contract
// ignores it (Vipps shows the club name configured for the merchant).
// It returns Vipps' trace id. In the test environment Check-in answers 500.
func (c *Client) CheckIn(ctx context.Context, msisdn string, isMember bool, clubName string) (string, error) {
	const op = "checkin"
	if !checkInPhone.MatchString(msisdn) {
		return "", invalid(op, "check-in takes Norwegian numbers only (47 + 8 digits)")
	}
	body := map[string]any{"phoneNumber": msisdn, "isMember": isMember}
	if clubName != "" {
		body["loyaltyProgramName"] = clubName
	}
	// No retries: a check-in screen that shows up late is worse than none.
	resp, err := c.do(ctx, request{op: op, method: "POST", path: "/point-of-sale/v1/loyalty-check-in", json: body})
	if err != nil {
		return "", err
	}
	c.log.Debug("vipps check-in sent", "msisdn", MaskMSISDN(msisdn), "member", isMember)
	return checkInID(resp.body), nil
}

// checkInID reads the answer leniently: the guide says a bare GUID, the
// spec a string with an id property (API.md §12).
func checkInID(body []byte) string {
	var s string
	if json.Unmarshal(body, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &o) == nil && o.ID != "" {
		return o.ID
	}
	return strings.Trim(strings.TrimSpace(string(body)), `"`)
}
