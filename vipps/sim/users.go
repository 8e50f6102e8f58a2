package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// User is a simulated Vipps MobilePay user.
type User struct {
	MSISDN     string
	GivenName  string
	FamilyName string
	Email      string
	Birthdate  string // YYYY-MM-DD
	Street     string
	PostalCode string
	Region     string
	Country    string // two letters
	NIN        string
}

// Name is how the app shows the user.
func (u User) Name() string { return u.GivenName + " " + u.FamilyName }

// DemoUsers is the seeded directory. Any other valid MSISDN is an ordinary
// user with a generated name, except the unknown ones (Config.UnknownNumbers
// and numbers ending in 0000).
var DemoUsers = []User{
	{MSISDN: "4791234567", GivenName: "Kari", FamilyName: "Nordmann", Email: "kari.nordmann@example.no", Birthdate: "1985-03-14",
		Street: "Storgata 1", PostalCode: "0155", Region: "Oslo", Country: "NO", NIN: "14038512345"},
	{MSISDN: "4798765432", GivenName: "Ola", FamilyName: "Nordmann", Email: "ola.nordmann@example.no", Birthdate: "1979-11-02",
		Street: "Kongens gate 5", PostalCode: "7011", Region: "Trondheim", Country: "NO", NIN: "02117912345"},
	{MSISDN: "4711223344", GivenName: "Per", FamilyName: "Hansen", Email: "per.hansen@example.no", Birthdate: "2012-06-01",
		Street: "Torget 2", PostalCode: "5014", Region: "Bergen", Country: "NO", NIN: "01061212345"},
	{MSISDN: "4512345678", GivenName: "Mette", FamilyName: "Jensen", Email: "mette.jensen@example.dk", Birthdate: "1990-05-20",
		Street: "Strøget 10", PostalCode: "1160", Region: "København", Country: "DK"},
	{MSISDN: "358401234567", GivenName: "Matti", FamilyName: "Virtanen", Email: "matti.virtanen@example.fi", Birthdate: "1988-09-09",
		Street: "Mannerheimintie 3", PostalCode: "00100", Region: "Helsinki", Country: "FI"},
	{MSISDN: "299123456", GivenName: "Aputsiaq", FamilyName: "Petersen", Email: "aputsiaq.petersen@example.gl", Birthdate: "1992-02-11",
		Street: "Aqqusinersuaq 4", PostalCode: "3900", Region: "Nuuk", Country: "GL"},
}

// DemoQRTokens maps the token of a tokenized personal QR
// (https://qr.vipps.no/p/{token}) to its owner's MSISDN.
var DemoQRTokens = map[string]string{
	"mp-mette-4Kq7Zr2Lx9":    "4512345678",
	"mp-matti-8Hw3Tn5Pb1":    "358401234567",
	"vipps-kari-2Fj6Qm8Ds4":  "4791234567",
	"mp-aputsiaq-6Vn2Xc9Rk3": "299123456",
}

var (
	msisdnRe = regexp.MustCompile(`^\d{10,15}$`) // ePayment's phoneNumber
	// accountRe: the numbers an account can have, Greenland's nine-digit
	// ones (+299, MobilePay as in Denmark) too.
	accountRe   = regexp.MustCompile(`^(\d{10,15}|299\d{6})$`)
	legacyQRRe  = regexp.MustCompile(`^https://qr\.vipps\.no/28/2/01/031/(\d{10,15})\?v=1$`)
	tokenQRRe   = regexp.MustCompile(`^https://qr\.vipps\.no/p/([A-Za-z0-9_-]+)$`)
	norwegianRe = regexp.MustCompile(`^47[0-9]{8}$`)
)

var generatedNames = map[string][2][]string{
	"NO": {{"Ingrid", "Lars", "Sofie", "Jonas", "Emma", "Henrik"}, {"Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen"}},
	"DK": {{"Freja", "Mads", "Ida", "Emil", "Clara", "Oliver"}, {"Nielsen", "Pedersen", "Andersen", "Sørensen", "Rasmussen", "Madsen"}},
	"FI": {{"Aino", "Juha", "Helmi", "Eero", "Venla", "Mikko"}, {"Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen"}},
}

// lookupUser finds the account behind an MSISDN.
func (s *Sim) lookupUser(msisdn string) (User, bool) {
	if !accountRe.MatchString(msisdn) || strings.HasSuffix(msisdn, "0000") || slices.Contains(s.cfg.UnknownNumbers, msisdn) {
		return User{}, false
	}
	for _, u := range DemoUsers {
		if u.MSISDN == msisdn {
			return u, true
		}
	}
	country := "NO"
	switch {
	case strings.HasPrefix(msisdn, "45"):
		country = "DK"
	case strings.HasPrefix(msisdn, "358"):
		country = "FI"
	case strings.HasPrefix(msisdn, "299"):
		country = "DK" // Greenland: Danish names will do for a simulator
	case strings.HasPrefix(msisdn, "47"):
	default:
		return User{}, false // not a Nordic number: no account
	}
	h := sha256.Sum256([]byte(msisdn))
	n := binary.BigEndian.Uint64(h[:8])
	names := generatedNames[country]
	given, family := names[0][n%6], names[1][(n/6)%6]
	year := 1950 + int(n/36%55)
	return User{MSISDN: msisdn, GivenName: given, FamilyName: family, Country: country,
		Email:     strings.ToLower(given+"."+family) + "@example." + strings.ToLower(country),
		Birthdate: fmt.Sprintf("%04d-%02d-%02d", year, 1+n/2000%12, 1+n/30000%28),
		Street:    "", PostalCode: "", Region: ""}, true
}

// exchangeRequest is POST /qr/v1/exchange.
type exchangeRequest struct {
	QRCode        *string  `json:"qrCode"`
	RequestedData []string `json:"requestedData"`
}

type exchangeResponse struct {
	MSISDN    string `json:"msisdn"`
	Timestamp *int64 `json:"timestamp,omitempty"`
	Version   string `json:"version"`
}

type qrProblem struct {
	Title        string        `json:"title"`
	Status       int           `json:"status"`
	Detail       string        `json:"detail"`
	ExtraDetails []extraDetail `json:"extraDetails,omitempty"`
}

func (s *Sim) handleQRExchange(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, apiAuth{}) {
		return
	}
	bad := func(reason string) {
		writeJSON(w, http.StatusBadRequest, qrProblem{Title: "Bad request", Status: 400, Detail: reason,
			ExtraDetails: []extraDetail{{Name: "qrCode", Reason: reason}}})
	}
	var req exchangeRequest
	if err := decodeStrict(r, &req); err != nil {
		bad("The request body is not valid JSON: " + err.Error())
		return
	}
	if req.QRCode == nil || strings.TrimSpace(*req.QRCode) == "" {
		bad("The complete data contained in the QR code is required.")
		return
	}
	for _, d := range req.RequestedData {
		if d != "MSISDN" {
			writeJSON(w, http.StatusBadRequest, qrProblem{Title: "Bad request", Status: 400, Detail: "Unsupported requestedData",
				ExtraDetails: []extraDetail{{Name: "requestedData", Reason: "Only MSISDN can be requested."}}})
			return
		}
	}
	code := strings.TrimSpace(*req.QRCode)
	if m := legacyQRRe.FindStringSubmatch(code); m != nil {
		writeJSON(w, http.StatusOK, exchangeResponse{MSISDN: m[1], Version: "1.0"})
		return
	}
	if m := tokenQRRe.FindStringSubmatch(code); m != nil {
		if msisdn, ok := DemoQRTokens[m[1]]; ok {
			ts := s.now().Add(-30 * 1e9).Unix()
			writeJSON(w, http.StatusOK, exchangeResponse{MSISDN: msisdn, Timestamp: &ts, Version: "2.0"})
			return
		}
	}
	bad("The QR code is not a valid personal QR code.")
}

// checkInRequest is POST /point-of-sale/v1/loyalty-check-in.
type checkInRequest struct {
	PhoneNumber *string `json:"phoneNumber"`
	IsMember    *bool   `json:"isMember"`
}

func (s *Sim) handleCheckIn(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, apiAuth{}) {
		return
	}
	if s.cfg.CheckInMT {
		writeJSON(w, http.StatusInternalServerError, invalidProblem{Type: "https://httpstatuses.io/500",
			Title: "Internal Server Error", Detail: "Check-in is not available in the test environment", Instance: r.URL.Path})
		return
	}
	bad := func(name, reason string) {
		writeJSON(w, http.StatusBadRequest, invalidProblem{Type: "https://httpstatuses.io/400", Title: "Bad Request",
			Detail: "Invalid request", Instance: r.URL.Path, InvalidParams: []extraDetail{{Name: name, Reason: reason}}})
	}
	var req checkInRequest
	if err := decodeLenient(r, &req); err != nil {
		bad("body", "The request body is not valid JSON")
		return
	}
	if req.PhoneNumber == nil || !norwegianRe.MatchString(*req.PhoneNumber) {
		bad("phoneNumber", "The field PhoneNumber must match the regular expression '^47[0-9]{8}$'.")
		return
	}
	if req.IsMember == nil {
		bad("isMember", "The IsMember field is required.")
		return
	}
	if *req.IsMember {
		if _, ok := s.lookupUser(*req.PhoneNumber); ok {
			s.addPush(&Push{Kind: PushCheckIn, MSISDN: *req.PhoneNumber, Merchant: s.cfg.MerchantName, Club: s.cfg.ClubName})
		}
	}
	writeJSON(w, http.StatusOK, randomUUID())
}
