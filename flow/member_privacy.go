package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// JournalMemberErased is a member's personal data erased at their request
// (13999: other). The record names the member by number only.
const JournalMemberErased JournalEvent = "member-erased"

// MemberStore is what the club's manager screen needs of the store.
type MemberStore interface {
	// SearchMembers finds members whose name contains query (any case) or,
	// for digits, whose phone number ends with them; erased members never.
	SearchMembers(ctx context.Context, query string, limit int) ([]Member, error)
	MemberByID(ctx context.Context, id int64) (*Member, error)
	// MemberSales lists the member's paid sales, newest first.
	MemberSales(ctx context.Context, memberID int64, limit int) ([]SaleSummary, error)
	// EraseMember removes the member's personal data: name, phone, e-mail,
	// birth date, Login subject and consent, and the phone and QR on their
	// sales and payments. The member's number stays as the anonymous
	// reference of their sales and points; unused bonus cheques lapse.
	EraseMember(ctx context.Context, id int64, at time.Time) error
}

// MemberExport is everything the club keeps about a member, as the
// member may ask to see it (GDPR art. 15, 20).
type MemberExport struct {
	ExportedAt time.Time `json:"exportedAt"`
	Member     struct {
		ID        int64     `json:"id"`
		Phone     string    `json:"phone"`
		Name      string    `json:"name,omitempty"`
		GivenName string    `json:"givenName,omitempty"`
		Email     string    `json:"email,omitempty"`
		BirthDate string    `json:"birthDate,omitempty"`
		Language  string    `json:"language,omitempty"`
		CreatedAt time.Time `json:"memberSince"`
	} `json:"member"`
	Consent struct {
		At             time.Time `json:"at"`
		Scopes         []string  `json:"scopes"`
		BindingMessage string    `json:"bindingMessage,omitempty"`
		Till           string    `json:"till,omitempty"`
		// Marketing are the club's marketing consents as answered in the
		// app (delegatedConsents).
		Marketing []MemberConsent `json:"marketing,omitempty"`
	} `json:"consent"`
	Points        int64         `json:"points"`
	PointsHistory []PointsEntry `json:"pointsHistory"`
	BonusCheques  []BonusCheque `json:"bonusCheques"`
	Sales         []SaleSummary `json:"sales"`
}

// Club is the one door to the club's members for a manager: find one,
// show and export what is kept, erase them. The window and any command
// go through it, so the journal sees every erase.
type Club struct {
	Members MemberStore
	Points  PointsStore // nil: no points kept
	Journal *ElectronicJournal
	Now     func() time.Time
}

func (c *Club) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Search finds members by name or the last digits of their phone.
func (c *Club) Search(ctx context.Context, query string) ([]Member, error) {
	return c.Members.SearchMembers(ctx, query, 20)
}

// Export gathers what the club keeps about member id.
func (c *Club) Export(ctx context.Context, id int64) (MemberExport, error) {
	var x MemberExport
	m, err := c.Members.MemberByID(ctx, id)
	if err != nil {
		return x, err
	}
	x.ExportedAt = c.now().UTC()
	x.Member.ID, x.Member.Phone, x.Member.Name, x.Member.GivenName = m.ID, m.MSISDN, m.Name, m.GivenName
	x.Member.Email, x.Member.BirthDate, x.Member.Language, x.Member.CreatedAt = m.Email, m.BirthDate, m.Lang, m.CreatedAt
	x.Consent.At, x.Consent.Scopes, x.Consent.BindingMessage, x.Consent.Till = m.ConsentAt, m.Scopes, m.ConsentBinding, m.EnrolledAt
	x.Consent.Marketing = m.Consents
	if x.Sales, err = c.Members.MemberSales(ctx, id, 1000); err != nil {
		return x, err
	}
	x.PointsHistory, x.BonusCheques = []PointsEntry{}, []BonusCheque{}
	if c.Points != nil {
		mp, err := c.Points.MemberPoints(ctx, id, c.now())
		if err != nil {
			return x, err
		}
		x.Points, x.BonusCheques = mp.Balance, append(x.BonusCheques, mp.Cheques...)
		h, err := c.Points.PointsHistory(ctx, id)
		if err != nil {
			return x, err
		}
		x.PointsHistory = append(x.PointsHistory, h...)
	}
	return x, nil
}

// ExportJSON is Export as indented JSON, for the member's copy.
func (c *Club) ExportJSON(ctx context.Context, id int64) ([]byte, error) {
	x, err := c.Export(ctx, id)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(x, "", "  ")
}

// Erase removes member id's personal data and journals that it was done
// (by member number only). Sales, reports, SAF-T and the journal's chain
// stay as they were: they never held more than a masked phone.
func (c *Club) Erase(ctx context.Context, id int64) error {
	if err := c.Members.EraseMember(ctx, id, c.now()); err != nil {
		return err
	}
	if c.Journal != nil {
		return c.Journal.RecordEvent(ctx, JournalMemberErased, 0, "", 0, fmt.Sprintf("club member %d erased at their request", id))
	}
	return nil
}
