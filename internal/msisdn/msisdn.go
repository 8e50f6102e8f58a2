// Package msisdn holds the one rule for showing a customer's phone number
// (an MSISDN: country code and number, digits only) where it must not be
// read whole: on the cashier's screen, in logs, in error texts. flow, vipps
// and the simulator all mask through it, so the screen and every log show
// the same form. It imports nothing.
package msisdn

import "strings"

// Mask hides all but the country code and the last three digits:
// "4791234567" → "+47 ••• •• 567" ("+358 …" for Finland, "+299 …" for
// Greenland). Anything too short to mask meaningfully is hidden whole.
func Mask(msisdn string) string {
	if len(msisdn) < 6 {
		return "•••"
	}
	cc := 2
	if strings.HasPrefix(msisdn, "358") || strings.HasPrefix(msisdn, "299") {
		cc = 3
	}
	return "+" + msisdn[:cc] + " ••• •• " + msisdn[len(msisdn)-3:]
}

// Pushable reports whether ePayment takes msisdn as a customer's
// phoneNumber (^\d{10,15}$). Greenland's nine-digit numbers (+299) are one
// short: such a customer is asked by their scanned personal QR instead.
func Pushable(msisdn string) bool {
	if len(msisdn) < 10 || len(msisdn) > 15 {
		return false
	}
	for _, r := range msisdn {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
