package flow

import (
	"strings"
	"time"

	"github.com/kasse-pos/kasse/internal/msisdn"
)

// Member is a customer-club member, enrolled through Vipps Login (CIBA).
// Only what the customer consented to share is kept.
type Member struct {
	ID         int64
	MSISDN     string // "4791234567"
	Sub        string // Login subject, stable per sales unit
	Name       string
	GivenName  string
	Email      string
	BirthDate  string // YYYY-MM-DD, only when consented
	Lang       string // preferred language for the customer display, "" if unknown
	ConsentAt  time.Time
	Scopes     []string // the consented scopes
	EnrolledAt string   // POS id of the till that enrolled the member
	CreatedAt  time.Time
	Points     int64 // the club points balance when read
	// ConsentBinding is the binding message the member confirmed on their
	// phone when they consented (with ConsentAt and Scopes, the record of
	// what they agreed to share).
	ConsentBinding string
	// Consents are the club's marketing consents the member answered in
	// the app at enrolment (Login's delegatedConsents): what they were
	// shown and what they said. Kept as answered; empty when the sales
	// unit has none.
	Consents []MemberConsent
}

// MemberConsent is one marketing consent: its text as shown in the app and
// the member's answer.
type MemberConsent struct {
	ID       string    `json:"id"`
	Text     string    `json:"text"`
	Accepted bool      `json:"accepted"`
	Required bool      `json:"required"`
	At       time.Time `json:"at"` // when the member answered
}

// Accepted lists the texts of the consents the member said yes to.
func (m *Member) Accepted() []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, c := range m.Consents {
		if c.Accepted {
			out = append(out, c.Text)
		}
	}
	return out
}

// FirstName is what the customer display may greet the member with.
func (m *Member) FirstName() string {
	if m == nil {
		return ""
	}
	if m.GivenName != "" {
		return m.GivenName
	}
	if f := strings.Fields(m.Name); len(f) > 0 {
		return f[0]
	}
	return ""
}

// Enrolment is a club enrolment started for the sale's customer.
type Enrolment struct {
	Status         EnrolmentStatus
	MSISDN         string
	BindingMessage string
	AuthReqID      string // "" until StartLogin answered
	ExpiresAt      time.Time
	Interval       time.Duration
}

// MaskMSISDN is how a phone number shows on the screen and in the log
// (internal/msisdn, the one rule): "4791234567" → "+47 ••• •• 567".
func MaskMSISDN(number string) string { return msisdn.Mask(number) }

// IsNorwegianMSISDN reports whether the Check-in API accepts the number
// (^47[0-9]{8}$).
func IsNorwegianMSISDN(msisdn string) bool {
	if len(msisdn) != 10 || !strings.HasPrefix(msisdn, "47") {
		return false
	}
	for _, c := range msisdn {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// LangOfMSISDN is the language a customer display speaks to the holder of
// a phone number until they say otherwise: Norwegian for +47, Danish for
// +45 and Greenland's +299, Finnish for +358; "" for any other.
func LangOfMSISDN(msisdn string) string {
	switch {
	case strings.HasPrefix(msisdn, "47"):
		return "nb"
	case strings.HasPrefix(msisdn, "45"), strings.HasPrefix(msisdn, "299"):
		return "da"
	case strings.HasPrefix(msisdn, "358"):
		return "fi"
	}
	return ""
}
