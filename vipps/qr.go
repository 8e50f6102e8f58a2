package vipps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kasse-pos/kasse/internal/msisdn"
)

// Country is a market Vipps MobilePay serves.
type Country string

const (
	Norway    Country = "NO" // +47, 8 digits
	Denmark   Country = "DK" // +45, 8 digits
	Finland   Country = "FI" // +358, national number without the leading 0
	Greenland Country = "GL" // +299, 6 digits; MobilePay as in Denmark
)

var countryCodes = map[Country]string{Norway: "47", Denmark: "45", Finland: "358", Greenland: "299"}

// ErrBadMSISDN is returned by ParseMSISDN for numbers it cannot accept.
var ErrBadMSISDN = errors.New("not a Norwegian, Danish, Greenlandic or Finnish phone number")

var (
	noDK = regexp.MustCompile(`^(47|45)\d{8}$`)
	// Finnish national significant numbers are 5–12 digits; mobile ones
	// (4x, 50) 8–10. Subscriber numbers never start with 0 once the trunk
	// prefix is gone. ePayment wants 10–15 digits in all.
	fi = regexp.MustCompile(`^358[1-9]\d{6,11}$`)
	// Greenland's numbers have six digits: nine in all, one short of what
	// ePayment takes as a phoneNumber (flow asks such a customer by their
	// scanned personal QR instead).
	gl = regexp.MustCompile(`^299\d{6}$`)
)

func validMSISDN(d string) bool { return noDK.MatchString(d) || fi.MatchString(d) || gl.MatchString(d) }

// ParseMSISDN normalises a phone number as typed, scanned or stored
// ("+47 912 34 567", "0047 91234567", "91234567" with home Norway,
// "040 1234567" with home Finland) into an MSISDN ("4791234567": country
// code and subscriber number, digits only) and checks it belongs to NO, DK
// or FI. home is the country assumed for numbers without a country code;
// "" means a country code is required.
func ParseMSISDN(s string, home Country) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0: // only in front: "+47", "(+47)"
			b.WriteString("00")
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", ErrBadMSISDN
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "00") {
		d = d[2:]
	} else if home != "" && !validMSISDN(d) {
		// A number that is not already a full MSISDN is a national one.
		cc, ok := countryCodes[home]
		if !ok {
			return "", fmt.Errorf("vipps: unknown country %q", home)
		}
		d = cc + strings.TrimPrefix(d, "0") // Finnish trunk prefix
	}
	if validMSISDN(d) {
		return d, nil
	}
	return "", ErrBadMSISDN
}

// CountryOf returns the market of a normalised MSISDN, or "".
func CountryOf(msisdn string) Country {
	switch {
	case noDK.MatchString(msisdn) && strings.HasPrefix(msisdn, "47"):
		return Norway
	case noDK.MatchString(msisdn):
		return Denmark
	case fi.MatchString(msisdn):
		return Finland
	case gl.MatchString(msisdn):
		return Greenland
	}
	return ""
}

// MaskMSISDN is how a phone number shows in logs and error texts
// (internal/msisdn, the one rule): "4791234567" → "+47 ••• •• 567".
func MaskMSISDN(s string) string { return msisdn.Mask(s) }

var legacyQR = regexp.MustCompile(`^https://qr\.vipps\.no/28/2/01/031/(\d{10,15})\?v=1$`)

// ParseLegacyQR reads the MSISDN out of the old clear-text Vipps personal
// QR. Only a fallback: the content "can change at any time" and MobilePay
// codes are tokens; always try ExchangeQR first.
func ParseLegacyQR(qr string) (string, bool) {
	m := legacyQR.FindStringSubmatch(strings.TrimSpace(qr))
	if m == nil {
		return "", false
	}
	msisdn, err := ParseMSISDN(m[1], "")
	return msisdn, err == nil
}

// QRExchange is the answer of POST /qr/v1/exchange.
type QRExchange struct {
	MSISDN      string
	Version     string    // "1.0" clear-text Vipps code, "2.0" tokenized
	GeneratedAt time.Time // only for version 2.0 codes
}

// ExchangeQR turns a scanned personal QR, passed on unchanged, into the
// customer's MSISDN.
func (c *Client) ExchangeQR(ctx context.Context, qr string) (QRExchange, error) {
	const op = "qr.exchange"
	if strings.TrimSpace(qr) == "" {
		return QRExchange{}, invalid(op, "empty QR code")
	}
	resp, err := c.do(ctx, request{op: op, method: "POST", path: "/qr/v1/exchange",
		json: map[string]any{"qrCode": qr, "requestedData": []string{"MSISDN"}}, retry: true})
	if err != nil {
		return QRExchange{}, err
	}
	var out struct {
		MSISDN    string `json:"msisdn"`
		Timestamp int64  `json:"timestamp"`
		Version   string `json:"version"`
	}
	if err := decode(op, resp, &out); err != nil {
		return QRExchange{}, err
	}
	msisdn, perr := ParseMSISDN(out.MSISDN, "")
	if perr != nil {
		return QRExchange{}, &Error{Op: op, Status: resp.status, Kind: Permanent, Detail: "exchange gave an MSISDN outside NO/DK/FI"}
	}
	x := QRExchange{MSISDN: msisdn, Version: out.Version}
	if out.Timestamp > 0 {
		x.GeneratedAt = time.Unix(out.Timestamp, 0).UTC()
	}
	return x, nil
}

// MSISDNFromQR exchanges qr and, only if that fails and qr is a legacy
// clear-text Vipps code, falls back to reading the number locally.
func (c *Client) MSISDNFromQR(ctx context.Context, qr string) (string, error) {
	x, err := c.ExchangeQR(ctx, qr)
	if err == nil {
		return x.MSISDN, nil
	}
	if msisdn, ok := ParseLegacyQR(qr); ok {
		c.log.Warn("vipps QR exchange failed; read legacy QR locally",
			"kind", KindOf(err).String(), "msisdn", MaskMSISDN(msisdn))
		return msisdn, nil
	}
	return "", err
}
