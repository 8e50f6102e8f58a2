package flow

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// RefundRequest is a return: which quantities of which lines (nil: all not
// yet returned), and whether the customer takes a credit note instead of
// the money back through the tenders.
type RefundRequest struct {
	Lines      map[int]int
	CreditNote bool
}

// RefundResult says what went back and how: the parts per tender as the
// return record's payments (negative), the cash rounding of the cash part,
// and the credit note issued, if one was.
type RefundResult struct {
	Amount     Money
	Parts      []TenderRefund
	Rounding   Money // return record rounding: Amount's negative plus Rounding is what the parts add up to
	CreditNote *Voucher
}

// Payments are the parts as the journal's return record keeps them.
func (r RefundResult) Payments() []SaleRecordPayment {
	out := make([]SaleRecordPayment, 0, len(r.Parts))
	for _, p := range r.Parts {
		out = append(out, SaleRecordPayment{Method: string(p.Kind), Amount: -p.Amount, Reference: p.Reference})
	}
	return out
}

// PlanRefund shares amount out over the tenders that paid s, the latest
// first (Vipps, being always the last, gives back first), each never more
// than it has left. Cash is given back rounded to what the drawer can pay
// out; rounding is what that adds to the return (negative: more paid out).
// A credit note takes the whole amount.
func PlanRefund(s *Sale, amount Money, creditNote bool) (parts []TenderRefund, rounding Money, err error) {
	if creditNote {
		return []TenderRefund{{Seq: -1, Kind: TenderCreditNote, Amount: amount}}, 0, nil
	}
	tenders := s.PaidBy()
	left := amount
	for i := len(tenders) - 1; i >= 0 && left > 0; i-- {
		t := tenders[i]
		room := t.Amount - t.Refunded
		if room <= 0 {
			continue
		}
		take := min(room, left)
		out := take
		if t.Kind == TenderCash {
			out = min(RoundCash(s.Currency, take), room)
		}
		rounding -= out - take
		left -= take
		parts = append(parts, TenderRefund{Seq: t.Seq, Kind: t.Kind, Amount: out, Reference: t.Reference})
	}
	if left > 0 {
		return nil, 0, fmt.Errorf("%d øre more than the tenders have left: %w", left, ErrRefundTooLarge)
	}
	return parts, rounding, nil
}

// RefundTo returns qty of each given line of a paid sale: Vipps by refund
// through the settlement worker, cash from the drawer (it opens), card by
// the cashier on the terminal, a voucher back onto its balance — or all of
// it as a new credit note. Everything is stored in one transaction.
func (c *Checkout) RefundTo(ctx context.Context, saleID int64, req RefundRequest) (RefundResult, error) {
	var res RefundResult
	s, err := c.opt.Store.Sale(ctx, saleID)
	if err != nil {
		c.log.Error("reading a sale to refund failed", "sale", saleID, "err", err)
		return res, c.refuse(NoticeError, "store.failed", storeFailed, nil)
	}
	if s.Stage != StagePaid || len(s.PaidBy()) == 0 {
		return res, c.refuse(NoticeWarning, "refund.not_paid", "Only a paid sale can be refunded: choose another receipt.", nil)
	}
	returned := map[int]int{}
	if req.Lines == nil {
		for i, l := range s.Lines {
			if q := l.Quantity - l.RefundedQty; q > 0 {
				returned[i] = q
			}
		}
	} else {
		for i, q := range req.Lines {
			if i < 0 || i >= len(s.Lines) || q < 0 || q > s.Lines[i].Quantity-s.Lines[i].RefundedQty {
				return res, c.refuse(NoticeWarning, "refund.bad_line", fmt.Sprintf("Line %d: cannot return %d. Check the quantities.", i+1, q), nil)
			}
			if q > 0 {
				returned[i] = q
			}
		}
	}
	amount, count := ReturnAmount(s, returned)
	if amount <= 0 {
		return res, c.refuse(NoticeWarning, "refund.nothing_left", "Everything on this receipt has been refunded already.", nil)
	}
	if req.CreditNote && c.opt.Vouchers == nil {
		return res, c.refuse(NoticeWarning, "tender.no_credit_notes", "This till cannot issue credit notes: give the money back instead.", nil)
	}
	parts, rounding, err := PlanRefund(s, amount, req.CreditNote)
	if err != nil {
		c.log.Error("a return does not fit the sale's tenders", "sale", saleID, "err", err)
		return res, c.refuse(NoticeWarning, "refund.nothing_left", "Everything on this receipt has been refunded already.", nil)
	}
	// The key counts every item returned so far, so each refund of a
	// sale has its own key and a retry of the same one does not.
	done := 0
	for _, l := range s.Lines {
		done += l.RefundedQty
	}
	now := c.now()
	ret := Return{SaleID: saleID, Returned: returned, Tenders: parts}
	var how []string
	ref := ""
	for i, p := range parts {
		switch p.Kind {
		case TenderVipps:
			ref = p.Reference
			ret.Jobs = append(ret.Jobs, OutboxJob{SaleID: saleID, Reference: p.Reference, Kind: JobRefund, Amount: p.Amount,
				IdempotencyKey: IdempotencyKey(p.Reference, fmt.Sprintf("refund-%d", done+count)), State: JobQueued,
				NextAt: now, CreatedAt: now, UpdatedAt: now})
		case TenderVoucher, TenderCreditNote:
			if p.Seq < 0 {
				v := &Voucher{Code: NewVoucherCode(), Kind: TenderCreditNote, Currency: s.Currency, Amount: p.Amount, Balance: p.Amount, SaleID: saleID, IssuedBy: c.opt.POSID}
				ret.Issue, parts[i].Reference = v, v.Code
				p.Reference = v.Code
			} else {
				ret.Redeem = append(ret.Redeem, VoucherRedemption{Code: p.Reference, Amount: -p.Amount})
			}
		}
		how = append(how, fmt.Sprintf("%s %d", p.Kind, p.Amount))
	}
	if len(s.Tenders) == 0 {
		// Paid by Vipps before tenders were stored: the refund job and the
		// returned quantities are the whole record, as they always were.
		ret.Tenders = nil
	}
	ret.Journal = JournalEntry{SaleID: saleID, Reference: ref, From: "paid", To: "paid/refund-queued", At: now,
		Detail: fmt.Sprintf("refund of %d item(s), %d øre: %s", count, amount, strings.Join(how, ", "))}
	if err := c.opt.Store.AddReturn(ctx, ret); err != nil {
		c.log.Error("recording a return failed", "sale", saleID, "err", err)
		if errors.Is(err, ErrRefundTooLarge) {
			return res, c.refuse(NoticeWarning, "refund.nothing_left", "Everything on this receipt has been refunded already.", nil)
		}
		return res, c.refuse(NoticeError, "store.failed", storeFailed, nil)
	}
	// The points of the returned items go back with the same key however
	// the money does: the Vipps refund's, or one made from the sale alike.
	pointsKey := fmt.Sprintf("sale-%d-refund-%d", saleID, done+count)
	if len(ret.Jobs) > 0 {
		pointsKey = ret.Jobs[0].IdempotencyKey
	}
	c.reversePoints(ctx, s, returned, pointsKey)
	res = RefundResult{Amount: amount, Parts: parts, Rounding: rounding, CreditNote: ret.Issue}
	for _, p := range parts {
		if p.Kind == TenderCash {
			c.mu.Lock()
			c.openDrawerLocked(s)
			c.mu.Unlock()
			break
		}
	}
	c.tell(NoticeInfo, "refund.queued", "The refund of receipt "+s.ReceiptNumber+" is on its way to the customer.", map[string]string{"receipt": s.ReceiptNumber})
	c.RefreshSettlement(ctx)
	return res, nil
}

// NewVoucherCode makes a code for a credit note: "CN" and 12 characters
// that are read aloud without confusion, printed as a barcode on paper.
func NewVoucherCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	out := []byte("CN")
	for _, x := range b {
		out = append(out, alphabet[int(x)%len(alphabet)])
	}
	return string(out)
}
