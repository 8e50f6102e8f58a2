package flow

import "time"

// JournalEntry records one state change of a sale, for the audit trail.
// From/To are "stage/payment" strings such as "open" → "paying/requesting".
type JournalEntry struct {
	ID        int64
	SaleID    int64
	Reference string // the Vipps reference involved, "" if none
	From      string
	To        string
	At        time.Time
	Detail    string // what happened, never a full phone number or a secret
}
