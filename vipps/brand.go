package vipps

import "time"

// Brand is what customers and staff of one market call the app and the
// company on the day: MobilePay in Denmark and Finland, Vipps in Norway —
// until MobilePay becomes Vipps on 12 January 2027 (Vipps MobilePay's
// technical update of October 2026), when both are Vipps everywhere.
// Screens take their brand text from here, by date, so a till installed
// today needs no update on the day. (The payment landing pages move from
// pay.mobilepay.dk/.fi to pay.vipps.dk/.fi the same day; the till never
// builds those addresses, it shows the redirectUrl Vipps returns.)
type Brand struct {
	App     string // the app the customer opens: "Vipps" or "MobilePay"
	Company string // who the store deals with: "Vipps MobilePay", from the day "Vipps"
}

// rebrandDay is midnight of 12 January 2027 in each market's own time.
var rebrandDay = map[Country]time.Time{
	Denmark: time.Date(2027, 1, 12, 0, 0, 0, 0, time.FixedZone("CET", 3600)),
	Finland: time.Date(2027, 1, 12, 0, 0, 0, 0, time.FixedZone("EET", 2*3600)),
}

// Rebranded reports whether MobilePay has become Vipps in market c at t
// (always true in Norway, which never had MobilePay).
func Rebranded(c Country, at time.Time) bool {
	day, ok := rebrandDay[c]
	return !ok || !at.Before(day)
}

// BrandFor returns the brand of market c at t; an unknown market is
// treated as Norway.
func BrandFor(c Country, at time.Time) Brand {
	switch {
	case c == Denmark && !Rebranded(c, at):
		return Brand{App: "MobilePay", Company: "Vipps MobilePay"}
	case c == Finland && !Rebranded(c, at):
		return Brand{App: "MobilePay", Company: "Vipps MobilePay"}
	case c == Denmark:
		return Brand{App: "Vipps", Company: "Vipps"}
	case c == Finland:
		return Brand{App: "Vipps", Company: "Vipps"}
	case Rebranded(Denmark, at):
		return Brand{App: "Vipps", Company: "Vipps"}
	}
	return Brand{App: "Vipps", Company: "Vipps MobilePay"}
}

// MarketOf returns the market of a sales unit by its currency: NOK Norway,
// DKK Denmark, EUR Finland; "" for any other.
func MarketOf(currency string) Country {
	switch currency {
	case "NOK":
		return Norway
	case "DKK":
		return Denmark
	case "EUR":
		return Finland
	}
	return ""
}
