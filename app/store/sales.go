package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kasse-pos/kasse/flow"
)

// CreateSale stores a new sale, giving it the till's next receipt number.
func (db *DB) CreateSale(ctx context.Context, s *flow.Sale, j flow.JournalEntry) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var last int64
		// The unique (pos_id, receipt_seq) index settles a race between two
		// processes claiming the same number: one of them fails and retries.
		if err := tx.Model(&saleRow{}).Where("pos_id = ?", s.POSID).
			Select("COALESCE(MAX(receipt_seq), 0)").Scan(&last).Error; err != nil {
			return err
		}
		s.ReceiptSeq = last + 1
		s.ReceiptNumber = flow.FormatReceiptNumber(s.ReceiptSeq)
		now := db.now()
		if s.CreatedAt.IsZero() {
			s.CreatedAt = now
		}
		s.UpdatedAt = s.CreatedAt
		row := saleToRow(s)
		if err := tx.Omit(clause.Associations).Create(&row).Error; err != nil {
			return err
		}
		s.ID = row.ID
		if err := db.writeLines(tx, s); err != nil {
			return err
		}
		j.SaleID = s.ID
		return tx.Create(journalToRow(j)).Error
	})
}

// SaveSale stores one transition atomically.
func (db *DB) SaveSale(ctx context.Context, c flow.SaleChange) error {
	s := c.Sale
	if s == nil || s.ID == 0 {
		return errors.New("store: SaveSale of a sale that was never created")
	}
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if c.EventsOnly {
			if err := db.writeEventsAndJournal(tx, c); err != nil {
				return err
			}
			return db.writeJobs(tx, c)
		}
		if c.NewMember != nil {
			if err := db.upsertMember(tx, c.NewMember); err != nil {
				return fmt.Errorf("enrolling member: %w", err)
			}
			s.Customer.Member = c.NewMember
		}
		row := saleToRow(s)
		row.Version = s.Version + 1
		res := tx.Omit(clause.Associations, "created_at").Where("id = ? AND version = ?", s.ID, s.Version).Select("*").Updates(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			var n int64
			if err := tx.Model(&saleRow{}).Where("id = ?", s.ID).Count(&n).Error; err != nil {
				return err
			}
			if n == 1 {
				return fmt.Errorf("store: sale %d at version %d: %w", s.ID, s.Version, flow.ErrStaleSale)
			}
			return fmt.Errorf("store: sale %d: %w", s.ID, flow.ErrNoRecord)
		}
		if c.Points != nil {
			if err := db.awardPoints(tx, c.Points); err != nil {
				return fmt.Errorf("club points: %w", err)
			}
		}
		if c.LinesChanged {
			if err := tx.Where("sale_id = ?", s.ID).Delete(&saleLineRow{}).Error; err != nil {
				return err
			}
			if err := db.writeLines(tx, s); err != nil {
				return err
			}
		}
		if s.Payment != nil {
			if err := db.savePayment(tx, s); err != nil {
				return err
			}
		}
		if err := db.writeTenders(tx, c); err != nil {
			return err
		}
		if err := db.writeEventsAndJournal(tx, c); err != nil {
			return err
		}
		return db.writeJobs(tx, c)
	})
	if err == nil && !c.EventsOnly {
		s.Version++
	}
	return err
}

// writeJobs queues a change's settlement jobs. A job is identified by its
// idempotency key: storing the same authorization twice must not queue a
// second capture.
func (db *DB) writeJobs(tx *gorm.DB, c flow.SaleChange) error {
	for i := range c.Jobs {
		c.Jobs[i].SaleID = c.Sale.ID
		r := JobRow(c.Jobs[i])
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "idempotency_key"}}, DoNothing: true}).Create(&r)
		if res.Error != nil {
			return res.Error
		}
		c.Jobs[i].ID = r.ID
	}
	return nil
}

func (db *DB) savePayment(tx *gorm.DB, s *flow.Sale) error {
	p := s.Payment
	p.SaleID = s.ID
	r := paymentRow{ID: p.ID, SaleID: s.ID, Reference: p.Reference, Attempt: p.Attempt,
		IdempotencyKey: p.IdempotencyKey, Status: string(p.Status), VippsState: p.VippsState,
		Push: p.Push, PushMSISDN: p.PushMSISDN, PushQR: p.PushQR, QR: p.QR, Amount: int64(p.Amount), Authorized: int64(p.Authorized),
		CancelRequested: p.CancelRequested, FallbackToQR: p.FallbackToQR, NotOurs: p.NotOurs,
		CreatedAt: p.CreatedAt.UTC(), ExpiresAt: timePtr(p.ExpiresAt), UpdatedAt: db.now()}
	if p.ID == 0 {
		// A payment stored before (the same transition replayed after a
		// crash) is updated, never duplicated.
		var existing []paymentRow
		if err := tx.Where("reference = ?", p.Reference).Limit(1).Find(&existing).Error; err != nil {
			return err
		}
		if len(existing) == 1 && existing[0].SaleID == s.ID {
			p.ID, r.ID = existing[0].ID, existing[0].ID
			return tx.Omit(clause.Associations, "created_at").Where("id = ?", p.ID).Select("*").Updates(&r).Error
		}
		if err := tx.Omit(clause.Associations).Create(&r).Error; err != nil {
			return err
		}
		p.ID = r.ID
		return nil
	}
	return tx.Omit(clause.Associations, "created_at").Where("id = ?", p.ID).Select("*").Updates(&r).Error
}

func (db *DB) writeLines(tx *gorm.DB, s *flow.Sale) error {
	if len(s.Lines) == 0 {
		return nil
	}
	rows := make([]saleLineRow, len(s.Lines))
	for i, l := range s.Lines {
		rows[i] = saleLineRow{SaleID: s.ID, Position: i, GTIN: l.GTIN, Name: l.Name, Quantity: l.Quantity,
			UnitPrice: int64(l.UnitPrice), Discount: int64(l.Discount), VATRate: l.VATRate,
			Total: int64(l.Total()), VAT: int64(l.VAT()), Net: int64(l.Net()), RefundedQty: l.RefundedQty, MinimumAge: l.MinimumAge,
			MemberPrice: int64(l.MemberPrice), ArtGroup: l.Group, MemberSaving: int64(l.MemberSaving), OfferUnits: l.OfferUnits,
			ChequeDiscount: int64(l.ChequeDiscount), Rules: l.Rules, Points: l.Points}
	}
	return tx.Omit(clause.Associations).Create(&rows).Error
}

// OpenSales returns a till's sales that are neither paid nor voided, oldest first.
func (db *DB) OpenSales(ctx context.Context, posID string) ([]*flow.Sale, error) {
	var ids []int64
	err := db.gorm.WithContext(ctx).Model(&saleRow{}).
		Where("pos_id = ? AND stage IN ?", posID, []string{string(flow.StageOpen), string(flow.StagePaying)}).
		Order("id").Pluck("id", &ids).Error
	if err != nil {
		return nil, err
	}
	return db.salesByID(ctx, ids)
}

// salesByID reads whole sales, in the order of ids.
func (db *DB) salesByID(ctx context.Context, ids []int64) ([]*flow.Sale, error) {
	out := make([]*flow.Sale, 0, len(ids))
	for _, id := range ids {
		s, err := db.Sale(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// Sale loads a sale with its lines, member and latest payment.
func (db *DB) Sale(ctx context.Context, id int64) (*flow.Sale, error) {
	g := db.gorm.WithContext(ctx)
	var row saleRow
	if err := g.Preload("Member").First(&row, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("sale %d: %w", id, flow.ErrNoRecord)
		}
		return nil, err
	}
	s := rowToSale(row)
	var lines []saleLineRow
	if err := g.Where("sale_id = ?", id).Order("position").Find(&lines).Error; err != nil {
		return nil, err
	}
	for _, l := range lines {
		s.Lines = append(s.Lines, flow.SaleLine{GTIN: l.GTIN, Name: l.Name, Quantity: l.Quantity,
			UnitPrice: flow.Money(l.UnitPrice), Discount: flow.Money(l.Discount), VATRate: l.VATRate,
			RefundedQty: l.RefundedQty, MinimumAge: l.MinimumAge,
			MemberPrice: flow.Money(l.MemberPrice), Group: l.ArtGroup, MemberSaving: flow.Money(l.MemberSaving), OfferUnits: l.OfferUnits,
			ChequeDiscount: flow.Money(l.ChequeDiscount), Rules: l.Rules, Points: l.Points})
	}
	var pays []paymentRow
	if err := g.Where("sale_id = ?", id).Order("attempt DESC, id DESC").Limit(1).Find(&pays).Error; err != nil {
		return nil, err
	}
	if len(pays) == 1 {
		p := pays[0]
		s.Payment = &flow.Payment{ID: p.ID, SaleID: p.SaleID, Reference: p.Reference, Attempt: p.Attempt,
			IdempotencyKey: p.IdempotencyKey, Status: flow.PaymentStatus(p.Status), VippsState: p.VippsState,
			Push: p.Push, PushMSISDN: p.PushMSISDN, PushQR: p.PushQR, QR: p.QR, Amount: flow.Money(p.Amount), Authorized: flow.Money(p.Authorized),
			CancelRequested: p.CancelRequested, FallbackToQR: p.FallbackToQR, NotOurs: p.NotOurs,
			CreatedAt: p.CreatedAt, ExpiresAt: timeVal(p.ExpiresAt), UpdatedAt: p.UpdatedAt}
	}
	tenders, err := loadTenders(g, id)
	if err != nil {
		return nil, err
	}
	s.Tenders = tenders
	return s, nil
}

// RecentSales lists a till's newest finished sales.
func (db *DB) RecentSales(ctx context.Context, posID string, n int) ([]flow.SaleSummary, error) {
	var rows []saleRow
	err := db.gorm.WithContext(ctx).Where("pos_id = ? AND stage IN ?", posID,
		[]string{string(flow.StagePaid), string(flow.StageCancelled)}).
		Order("id DESC").Limit(n).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]flow.SaleSummary, 0, len(rows))
	for _, r := range rows {
		sum := flow.SaleSummary{SaleID: r.ID, ReceiptNumber: r.ReceiptNumber, At: timeVal(r.ClosedAt),
			Total: flow.Money(r.Total), Member: r.MemberID != nil}
		var p paymentRow
		if err := db.gorm.WithContext(ctx).Where("sale_id = ?", r.ID).Order("attempt DESC").Limit(1).Find(&p).Error; err != nil {
			return nil, err
		}
		sum.Payment = flow.PaymentStatus(p.Status)
		if r.Stage == string(flow.StagePaid) {
			if sum.Settlement, err = db.SettlementStatus(ctx, r.ID); err != nil {
				return nil, err
			}
			var refunded int64
			if err := db.gorm.WithContext(ctx).Model(&OutboxJobRow{}).
				Where("sale_id = ? AND kind = ?", r.ID, flow.JobRefund).
				Select("COALESCE(SUM(amount), 0)").Scan(&refunded).Error; err != nil {
				return nil, err
			}
			sum.Refunded = flow.Money(refunded)
			// What cash, card and vouchers gave back (Vipps' is its refund jobs).
			var other int64
			if err := db.gorm.WithContext(ctx).Model(&tenderRow{}).Where("sale_id = ? AND kind <> ?", r.ID, string(flow.TenderVipps)).
				Select("COALESCE(SUM(refunded), 0)").Scan(&other).Error; err != nil {
				return nil, err
			}
			sum.Refunded += flow.Money(other)
		}
		sum.Stage = flow.Stage(r.Stage)
		out = append(out, sum)
	}
	return out, nil
}

// Journal returns the audit trail of a sale, oldest first.
func (db *DB) Journal(ctx context.Context, saleID int64) ([]flow.JournalEntry, error) {
	var rows []journalRow
	if err := db.gorm.WithContext(ctx).Where("sale_id = ?", saleID).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.JournalEntry, len(rows))
	for i, r := range rows {
		out[i] = flow.JournalEntry{ID: r.ID, SaleID: r.SaleID, Reference: r.Reference, From: r.FromState,
			To: r.ToState, At: r.At, Detail: r.Detail}
	}
	return out, nil
}

// PaymentEvents returns the Vipps events kept for a reference, in order.
func (db *DB) PaymentEvents(ctx context.Context, reference string) ([]flow.PaymentEvent, error) {
	var rows []paymentEventRow
	if err := db.gorm.WithContext(ctx).Where("reference = ?", reference).Order("at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]flow.PaymentEvent, len(rows))
	for i, r := range rows {
		out[i] = flow.PaymentEvent{Reference: r.Reference, Name: r.Name, Amount: flow.Money(r.Amount),
			PSPReference: r.PSPReference, IdempotencyKey: r.IdempotencyKey, Success: r.Success, At: r.At}
	}
	return out, nil
}

func saleToRow(s *flow.Sale) saleRow {
	r := saleRow{ID: s.ID, POSID: s.POSID, ReceiptSeq: s.ReceiptSeq, ReceiptNumber: s.ReceiptNumber,
		Currency: s.Currency, Stage: string(s.Stage), Total: int64(s.Total()),
		CustomerQR: s.Customer.QR, CustomerMSISDN: s.Customer.MSISDN, CheckedIn: s.Customer.CheckedIn,
		Attempt: s.Attempt, Version: s.Version, CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(), ClosedAt: timePtr(s.ClosedAt)}
	if m := s.Customer.Member; m != nil && m.ID != 0 {
		id := m.ID
		r.MemberID = &id
	}
	if q := s.Cheque; q != nil {
		r.ChequeID, r.ChequeAmount = q.ID, int64(q.Amount)
	}
	if e := s.Enrolment; e != nil {
		r.EnrolStatus, r.EnrolMSISDN, r.EnrolBinding, r.EnrolAuthReqID = string(e.Status), e.MSISDN, e.BindingMessage, e.AuthReqID
		r.EnrolExpiresAt, r.EnrolInterval = timePtr(e.ExpiresAt), e.Interval.Milliseconds()
	}
	return r
}

func rowToSale(r saleRow) *flow.Sale {
	s := &flow.Sale{ID: r.ID, POSID: r.POSID, ReceiptSeq: r.ReceiptSeq, ReceiptNumber: r.ReceiptNumber,
		Currency: r.Currency, Stage: flow.Stage(r.Stage), Attempt: r.Attempt, Version: r.Version,
		Customer:  flow.Customer{QR: r.CustomerQR, MSISDN: r.CustomerMSISDN, CheckedIn: r.CheckedIn},
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ClosedAt: timeVal(r.ClosedAt)}
	if r.Member != nil {
		s.Customer.Member = rowToMember(*r.Member)
	}
	if r.ChequeID != 0 {
		s.Cheque = &flow.BonusCheque{ID: r.ChequeID, Amount: flow.Money(r.ChequeAmount), UsedSale: r.ID}
		if r.MemberID != nil {
			s.Cheque.MemberID = *r.MemberID
		}
	}
	if r.EnrolStatus != "" {
		s.Enrolment = &flow.Enrolment{Status: flow.EnrolmentStatus(r.EnrolStatus), MSISDN: r.EnrolMSISDN,
			BindingMessage: r.EnrolBinding, AuthReqID: r.EnrolAuthReqID, ExpiresAt: timeVal(r.EnrolExpiresAt),
			Interval: time.Duration(r.EnrolInterval) * time.Millisecond}
	}
	return s
}

func journalToRow(j flow.JournalEntry) *journalRow {
	return &journalRow{SaleID: j.SaleID, Reference: j.Reference, FromState: j.From, ToState: j.To,
		At: j.At.UTC(), Detail: j.Detail}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeVal(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// SaleIDByReference finds the sale a payment reference of ours belongs to.
// A reference found to be another installation's payment (NotOurs) is not.
func (db *DB) SaleIDByReference(ctx context.Context, reference string) (int64, error) {
	var ids []int64
	if err := db.gorm.WithContext(ctx).Model(&paymentRow{}).Where("reference = ? AND NOT not_ours", reference).Limit(1).Pluck("sale_id", &ids).Error; err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, flow.ErrNoRecord
	}
	return ids[0], nil
}

// writeEventsAndJournal keeps new Vipps events (a duplicate delivery hits
// the unique index and is skipped) and the journal entries of a change.
func (db *DB) writeEventsAndJournal(tx *gorm.DB, c flow.SaleChange) error {
	for _, e := range c.Events {
		r := paymentEventRow{Reference: e.Reference, Name: e.Name, PSPReference: e.PSPReference,
			Success: e.Success, Amount: int64(e.Amount), IdempotencyKey: e.IdempotencyKey,
			At: e.At.UTC(), ReceivedAt: db.now()}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
			return err
		}
	}
	for _, j := range c.Journal {
		j.SaleID = c.Sale.ID
		if err := tx.Create(journalToRow(j)).Error; err != nil {
			return err
		}
	}
	return nil
}
