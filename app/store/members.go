package store

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

// MemberByMSISDN finds the club member with this phone number.
func (db *DB) MemberByMSISDN(ctx context.Context, msisdn string) (*flow.Member, error) {
	var r memberRow
	err := db.gorm.WithContext(ctx).Where("msisdn = ?", msisdn).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, flow.ErrNoRecord
	}
	if err != nil {
		return nil, err
	}
	return db.withConsents(ctx, rowToMember(r))
}

// withConsents reads the marketing consents m answered.
func (db *DB) withConsents(ctx context.Context, m *flow.Member) (*flow.Member, error) {
	var cs []memberConsentRow
	if err := db.gorm.WithContext(ctx).Where("member_id = ?", m.ID).Order("consent_id").Find(&cs).Error; err != nil {
		return nil, err
	}
	for _, c := range cs {
		m.Consents = append(m.Consents, flow.MemberConsent{ID: c.ConsentID, Text: c.Text, Accepted: c.Accepted, Required: c.Required, At: c.At})
	}
	return m, nil
}

// saveConsents keeps the answers given now; Vipps sends them only at the
// first consent, so a member enrolled again without them keeps theirs.
func saveConsents(tx *gorm.DB, m *flow.Member) error {
	for _, c := range m.Consents {
		r := memberConsentRow{MemberID: m.ID, ConsentID: c.ID, Text: c.Text, Accepted: c.Accepted, Required: c.Required, At: c.At.UTC()}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&r).Error; err != nil {
			return err
		}
	}
	return nil
}

// upsertMember enrols m. The Login sub identifies a person across phone
// numbers: a member who comes back with a new number keeps their record.
func (db *DB) upsertMember(tx *gorm.DB, m *flow.Member) error {
	var existing memberRow
	q := tx.Clauses(clause.Locking{Strength: "UPDATE"})
	err := q.Where("sub = ?", m.Sub).Or("msisdn = ?", m.MSISDN).Order("id").Take(&existing).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		r := memberToRow(m)
		r.CreatedAt, r.UpdatedAt = db.now(), db.now()
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		m.ID, m.CreatedAt = r.ID, r.CreatedAt
		return saveConsents(tx, m)
	case err != nil:
		return err
	}
	r := memberToRow(m)
	r.ID, r.CreatedAt, r.UpdatedAt = existing.ID, existing.CreatedAt, db.now()
	// The balance is only ever changed by increments (points.go).
	if err := tx.Model(&memberRow{}).Where("id = ?", existing.ID).Select("*").Omit("created_at", "points", "erased_at").Updates(&r).Error; err != nil {
		return err
	}
	m.ID, m.CreatedAt = existing.ID, existing.CreatedAt
	return saveConsents(tx, m)
}

func memberToRow(m *flow.Member) memberRow {
	r := memberRow{ID: m.ID, MSISDN: m.MSISDN, Name: m.Name, GivenName: m.GivenName, Email: m.Email,
		BirthDate: m.BirthDate, Lang: m.Lang, ConsentAt: m.ConsentAt.UTC(), Scopes: strings.Join(m.Scopes, " "),
		EnrolledAt: m.EnrolledAt, ConsentBinding: m.ConsentBinding}
	if m.Sub != "" {
		sub := m.Sub
		r.Sub = &sub
	}
	return r
}

func rowToMember(r memberRow) *flow.Member {
	m := &flow.Member{ID: r.ID, MSISDN: r.MSISDN, Name: r.Name, GivenName: r.GivenName, Email: r.Email,
		BirthDate: r.BirthDate, Lang: r.Lang, ConsentAt: r.ConsentAt, Scopes: strings.Fields(r.Scopes),
		EnrolledAt: r.EnrolledAt, CreatedAt: r.CreatedAt, Points: r.Points, ConsentBinding: r.ConsentBinding}
	if r.Sub != nil {
		m.Sub = *r.Sub
	}
	return m
}

// AddMember enrols (or updates, by Sub or MSISDN) a member outside a sale:
// a club imported from an earlier system, or a test.
func (db *DB) AddMember(ctx context.Context, m *flow.Member) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return db.upsertMember(tx, m) })
}
