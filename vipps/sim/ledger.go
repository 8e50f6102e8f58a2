package sim

import (
	"net/http"
	"sort"
)

// LedgerEntry is what happened to one payment, for verification.
type LedgerEntry struct {
	Reference        string `json:"reference"`
	State            string `json:"state"`
	Currency         string `json:"currency"`
	Amount           int64  `json:"amount"`
	Authorized       int64  `json:"authorized"`
	Captures         int    `json:"captures"` // successful capture operations
	Captured         int64  `json:"captured"`
	Refunds          int    `json:"refunds"`
	Refunded         int64  `json:"refunded"`
	Cancelled        int64  `json:"cancelled"`
	ReceiptsAttached int    `json:"receiptsAttached"` // 0 or 1: a receipt is write-once
}

// Ledger returns one entry per payment reference, sorted by reference.
func (s *Sim) Ledger() []LedgerEntry {
	s.Tick()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LedgerEntry, 0, len(s.payments))
	for _, p := range s.payments {
		e := LedgerEntry{Reference: p.reference, State: p.state, Currency: p.amount.Currency, Amount: p.amount.Value,
			Authorized: p.authorized, Captures: p.captures, Captured: p.captured, Refunds: p.refunds,
			Refunded: p.refunded, Cancelled: p.cancelled}
		if rc := s.receipts[p.reference]; rc != nil && rc.receipt.OrderLines != nil {
			e.ReceiptsAttached = 1
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reference < out[j].Reference })
	return out
}

// LedgerFor returns the entry of one reference.
func (s *Sim) LedgerFor(reference string) (LedgerEntry, bool) {
	for _, e := range s.Ledger() {
		if e.Reference == reference {
			return e, true
		}
	}
	return LedgerEntry{}, false
}

func (s *Sim) handleLedger(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"payments": s.Ledger()})
}
