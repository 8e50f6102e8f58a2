package flow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// JournalEvent is what happened at a till, as the electronic journal
// (kassasystemforskriften) records it. The SAF-T export maps each to a
// predefined event code (PredefinedBasicID-13).
type JournalEvent string

const (
	JournalAppStart    JournalEvent = "app-start"     // 13001
	JournalAppStop     JournalEvent = "app-stop"      // 13002
	JournalLogin       JournalEvent = "login"         // 13003
	JournalLogout      JournalEvent = "logout"        // 13004
	JournalDrawerOpen  JournalEvent = "drawer-open"   // 13005
	JournalXReport     JournalEvent = "x-report"      // 13008
	JournalZReport     JournalEvent = "z-report"      // 13009
	JournalSale        JournalEvent = "sale"          // 13012, and a cash transaction
	JournalReturn      JournalEvent = "return"        // 13013, and a cash transaction
	JournalCopyReceipt JournalEvent = "copy-receipt"  // 13014
	JournalExport      JournalEvent = "export"        // 13020: journal exported (SAF-T)
	JournalPriceLookup JournalEvent = "price-lookup"  // 13022
	JournalVoid        JournalEvent = "void"          // 13028: a sale abandoned before payment
	JournalLineDeleted JournalEvent = "line-deleted"  // 13999: a scanned line removed (a correction)
	JournalPayCancel   JournalEvent = "pay-cancelled" // 13999: a payment request withdrawn or refused

	JournalReceiptPrinted   JournalEvent = "receipt-printed"    // 13012: a paper Salgskvittering (no Vipps receipt)
	JournalNoReceiptPrinted JournalEvent = "no-receipt-printed" // 13030: sale concluded without a printed receipt
	JournalSoftwareUpdate   JournalEvent = "software-update"    // 13007: the till runs a new version
	JournalPriceChange      JournalEvent = "price-change"       // 13021: a product's price changed
	JournalSaleParked       JournalEvent = "sale-parked"        // 13010: a sale put aside
	JournalSaleResumed      JournalEvent = "sale-resumed"       // 13011: a parked sale taken up again
)

// JournalGenesis is the previous hash of a till's first record.
const JournalGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// JournalRecord is one entry of the electronic journal. Records form a
// chain per till: Hash covers PrevHash and every other field, so an edited,
// deleted or reordered record breaks the chain from that point on.
type JournalRecord struct {
	TillID      string // the register id (the POS id); one chain per till
	Seq         int64  // 1, 2, 3 … per till, without gaps
	At          time.Time
	Day         string // business day, YYYY-MM-DD in the store's time zone
	Event       JournalEvent
	CashierID   int64 // 0 for system events before anyone logged in
	CashierName string
	SaleID      int64  // the sale concerned, 0 if none
	Receipt     string // receipt number concerned, "" if none
	Amount      Money  // the amount concerned (sale total, voided amount, price looked up …)
	Text        string // human-readable detail
	// Data is canonical JSON with the event's details: a JournalSale for
	// sales and returns, a Report for X and Z reports. It is hashed exactly
	// as stored.
	Data string
	// Signature and KeyVersion are the SAF-T signature of a sale or return
	// (see SignatureText) and the version of the till's key that made it;
	// empty on other records and on sales journaled before signing began.
	Signature  string
	KeyVersion string
	PrevHash   string // hex SHA-256
	Hash       string // hex SHA-256
}

// JournalHead is the last record of a till's chain.
type JournalHead struct {
	TillID string
	Seq    int64
	Hash   string
}

// JournalQuery selects records; zero fields do not filter.
type JournalQuery struct {
	TillID   string // "" means every till
	AfterSeq int64  // records with Seq > AfterSeq (with TillID)
	From, To time.Time
	Events   []JournalEvent
	Limit    int
}

// JournalStore keeps the chained records; app/store implements it. Append
// must be atomic per till: it assigns Seq = head+1 and PrevHash = head's
// hash, computes Hash with JournalHash, stores the record and moves the head,
// so concurrent appends (several goroutines, or tills on one PostgreSQL)
// never fork or leave a gap.
type JournalStore interface {
	AppendJournal(ctx context.Context, r JournalRecord) (JournalRecord, error)
	// JournalRecords returns the selected records ordered by till, then Seq.
	JournalRecords(ctx context.Context, q JournalQuery) ([]JournalRecord, error)
	// LastJournalRecord returns the till's newest record of one of events;
	// ErrNoRecord when there is none.
	LastJournalRecord(ctx context.Context, tillID string, events ...JournalEvent) (JournalRecord, error)
	// JournalHeads returns every till's head, ordered by till.
	JournalHeads(ctx context.Context) ([]JournalHead, error)
}

// ErrZReportTaken is returned when a till already closed this business day.
var ErrZReportTaken = errors.New("the Z report for today has already been taken on this till")

// canonicalJournal is the hashed form of a record: a fixed field order, time
// in microseconds (what both SQLite and PostgreSQL keep exactly).
type canonicalJournal struct {
	V           int    `json:"v"`
	TillID      string `json:"till"`
	Seq         int64  `json:"seq"`
	AtMicros    int64  `json:"at"`
	Day         string `json:"day"`
	Event       string `json:"event"`
	CashierID   int64  `json:"cashier"`
	CashierName string `json:"cashierName"`
	SaleID      int64  `json:"sale"`
	Receipt     string `json:"receipt"`
	Amount      int64  `json:"amount"`
	Text        string `json:"text"`
	Data        string `json:"data"`
	// Left out when empty, so records from before signing keep their hash.
	Signature  string `json:"sig,omitempty"`
	KeyVersion string `json:"keyVersion,omitempty"`
}

// JournalHash is hex(SHA-256(PrevHash ‖ canonical JSON of the record)).
func JournalHash(r JournalRecord) string {
	c := canonicalJournal{
		V: 1, TillID: r.TillID, Seq: r.Seq, AtMicros: r.At.UnixMicro(), Day: r.Day,
		Event: string(r.Event), CashierID: r.CashierID, CashierName: r.CashierName,
		SaleID: r.SaleID, Receipt: r.Receipt, Amount: int64(r.Amount), Text: r.Text, Data: r.Data,
		Signature: r.Signature, KeyVersion: r.KeyVersion,
	}
	b, err := json.Marshal(c)
	if err != nil { // cannot happen: plain strings and integers
		panic(err)
	}
	h := sha256.New()
	h.Write([]byte(r.PrevHash))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// ChainNext prepares r to follow head: it sets Seq, PrevHash and Hash.
// A zero head (no records yet) starts the chain at Seq 1 after JournalGenesis.
func ChainNext(head JournalHead, r JournalRecord) JournalRecord {
	r.TillID = head.TillID
	r.Seq = head.Seq + 1
	r.PrevHash = head.Hash
	if head.Seq == 0 {
		r.PrevHash = JournalGenesis
	}
	r.At = r.At.Truncate(time.Microsecond)
	r.Hash = JournalHash(r)
	return r
}

// JournalBreak says where and why a chain does not verify.
type JournalBreak struct {
	TillID string
	Seq    int64 // the first record that does not fit (or the head's Seq)
	Reason string
}

func (b *JournalBreak) Error() string {
	return fmt.Sprintf("journal of till %s broken at record %d: %s", b.TillID, b.Seq, b.Reason)
}

// JournalVerifier checks one till's records in order, in as many batches as
// the caller likes, then the stored head.
type JournalVerifier struct {
	TillID string
	seq    int64
	hash   string
}

// Next checks the next batch of records (in Seq order).
func (v *JournalVerifier) Next(records []JournalRecord) error {
	for _, r := range records {
		want := v.seq + 1
		prev := v.hash
		if v.seq == 0 {
			prev = JournalGenesis
		}
		switch {
		case r.TillID != v.TillID:
			return &JournalBreak{v.TillID, r.Seq, fmt.Sprintf("record belongs to till %q", r.TillID)}
		case r.Seq != want:
			return &JournalBreak{v.TillID, want, fmt.Sprintf("record %d is missing (found %d next): deleted or reordered", want, r.Seq)}
		case r.PrevHash != prev:
			return &JournalBreak{v.TillID, r.Seq, "previous hash does not match the record before: a record before it was changed, deleted or moved"}
		case JournalHash(r) != r.Hash:
			return &JournalBreak{v.TillID, r.Seq, "content does not match its hash: the record was edited"}
		}
		v.seq, v.hash = r.Seq, r.Hash
	}
	return nil
}

// Done compares the last record checked with the till's stored head, which
// catches records deleted from the end.
func (v *JournalVerifier) Done(head JournalHead) error {
	if head.Seq != v.seq || (head.Seq > 0 && head.Hash != v.hash) {
		return &JournalBreak{v.TillID, v.seq + 1, fmt.Sprintf("the chain ends at record %d but the head says %d: records were removed from the end or the head was changed", v.seq, head.Seq)}
	}
	return nil
}

// VerifyJournal checks every till's chain in the store, in batches, and
// returns the number of records checked and the first break (a
// *JournalBreak) or a storage error.
func VerifyJournal(ctx context.Context, s JournalStore) (checked int, err error) {
	heads, err := s.JournalHeads(ctx)
	if err != nil {
		return 0, err
	}
	const batch = 5000
	for _, h := range heads {
		v := &JournalVerifier{TillID: h.TillID}
		for {
			recs, err := s.JournalRecords(ctx, JournalQuery{TillID: h.TillID, AfterSeq: v.seq, Limit: batch})
			if err != nil {
				return checked, err
			}
			if err := v.Next(recs); err != nil {
				return checked, err
			}
			checked += len(recs)
			if len(recs) < batch {
				break
			}
		}
		if err := v.Done(h); err != nil {
			return checked, err
		}
	}
	return checked, nil
}
