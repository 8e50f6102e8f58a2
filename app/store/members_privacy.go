package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kasse-pos/kasse/flow"
)

var _ flow.MemberStore = (*DB)(nil)

// erasedPhone is what an erased member's phone number becomes: unique
// (the column is) and never a real number.
func erasedPhone(id int64) string { return fmt.Sprintf("x%d", id) }

// SearchMembers finds members by name, any case, or by the last digits of
// their phone; erased members are not found.
func (db *DB) SearchMembers(ctx context.Context, query string, limit int) ([]flow.Member, error) {
	query = strings.TrimSpace(query)
	if limit <= 0 {
		limit = 20
	}
	g := db.gorm.WithContext(ctx).Where("erased_at IS NULL")
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, query)
	switch {
	case query == "":
	case digits != "" && strings.Trim(query, "0123456789 +•") == "":
		g = g.Where("msisdn LIKE ?", "%"+digits)
	default:
		g = g.Where("LOWER(name) LIKE ? OR LOWER(given_name) LIKE ?", "%"+escapeLike(strings.ToLower(query))+"%", "%"+escapeLike(strings.ToLower(query))+"%")
	}
	var rows []memberRow
	if err := g.Order("name, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.Member, len(rows))
	for i, r := range rows {
		out[i] = *rowToMember(r)
	}
	return out, nil
}

// MemberByID reads one member.
func (db *DB) MemberByID(ctx context.Context, id int64) (*flow.Member, error) {
	var r memberRow
	err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, flow.ErrNoRecord
	}
	if err != nil {
		return nil, err
	}
	return db.withConsents(ctx, rowToMember(r))
}

// MemberSales lists a member's paid sales, newest first.
func (db *DB) MemberSales(ctx context.Context, memberID int64, limit int) ([]flow.SaleSummary, error) {
	var rows []saleRow
	if err := db.gorm.WithContext(ctx).Where("member_id = ? AND stage = ?", memberID, string(flow.StagePaid)).
		Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.SaleSummary, len(rows))
	for i, r := range rows {
		out[i] = flow.SaleSummary{SaleID: r.ID, ReceiptNumber: r.ReceiptNumber, At: timeVal(r.ClosedAt), Total: flow.Money(r.Total), Member: true}
	}
	return out, nil
}

// EraseMember blanks the member's personal data in one transaction. The
// row stays, under a number, as the anonymous reference of their sales
// and points history; the journal never held more than a masked phone.
func (db *DB) EraseMember(ctx context.Context, id int64, at time.Time) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m memberRow
		if err := tx.Where("id = ?", id).Take(&m).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return flow.ErrNoRecord
		} else if err != nil {
			return err
		}
		phone := m.MSISDN
		if err := tx.Model(&memberRow{}).Where("id = ?", id).Updates(map[string]any{
			"msisdn": erasedPhone(id), "sub": nil, "name": "", "given_name": "", "email": "", "birth_date": "", "lang": "",
			"scopes": "", "consent_binding": "", "erased_at": at.UTC(), "updated_at": db.now(),
		}).Error; err != nil {
			return err
		}
		// The phone and personal QR on the member's sales, and on any sale
		// where that phone was scanned before they joined.
		sales := tx.Model(&saleRow{}).Where("member_id = ? OR customer_msisdn = ? OR enrol_msisdn = ?", id, phone, phone)
		var ids []int64
		if err := sales.Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) > 0 {
			if err := tx.Model(&saleRow{}).Where("id IN ?", ids).Updates(map[string]any{"customer_qr": "", "customer_msisdn": "", "enrol_msisdn": ""}).Error; err != nil {
				return err
			}
			if err := tx.Model(&paymentRow{}).Where("sale_id IN ?", ids).Updates(map[string]any{"push_msisdn": "", "push_qr": ""}).Error; err != nil {
				return err
			}
		}
		// What they answered to the club's marketing goes with them.
		if err := tx.Where("member_id = ?", id).Delete(&memberConsentRow{}).Error; err != nil {
			return err
		}
		// Unused cheques lapse with the membership.
		return tx.Where("member_id = ? AND used_sale = 0", id).Delete(&chequeRow{}).Error
	})
}
