package flow

import (
	"context"
	"slices"
	"sort"
	"sync"
)

// MemoryJournal is a JournalStore in memory, for tests and the demo.
type MemoryJournal struct {
	mu      sync.Mutex
	records map[string][]JournalRecord
}

var _ JournalStore = (*MemoryJournal)(nil)

// NewMemoryJournal returns an empty journal.
func NewMemoryJournal() *MemoryJournal {
	return &MemoryJournal{records: map[string][]JournalRecord{}}
}

// AppendJournal chains r after the till's last record.
func (m *MemoryJournal) AppendJournal(_ context.Context, r JournalRecord) (JournalRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs := m.records[r.TillID]
	head := JournalHead{TillID: r.TillID}
	if n := len(recs); n > 0 {
		head.Seq, head.Hash = recs[n-1].Seq, recs[n-1].Hash
	}
	if r.Event == JournalZReport {
		for _, old := range recs {
			if old.Event == JournalZReport && old.Day == r.Day {
				return JournalRecord{}, ErrZReportTaken
			}
		}
	}
	r = ChainNext(head, r)
	m.records[r.TillID] = append(recs, r)
	return r, nil
}

// JournalRecords returns the selected records ordered by till, then Seq.
func (m *MemoryJournal) JournalRecords(_ context.Context, q JournalQuery) ([]JournalRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []JournalRecord
	for _, till := range m.tills() {
		if q.TillID != "" && q.TillID != till {
			continue
		}
		for _, r := range m.records[till] {
			if r.Seq <= q.AfterSeq || (!q.From.IsZero() && r.At.Before(q.From)) || (!q.To.IsZero() && !r.At.Before(q.To)) {
				continue
			}
			if len(q.Events) > 0 && !slices.Contains(q.Events, r.Event) {
				continue
			}
			out = append(out, r)
			if q.Limit > 0 && len(out) == q.Limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// LastJournalRecord returns the till's newest record of one of events.
func (m *MemoryJournal) LastJournalRecord(_ context.Context, tillID string, events ...JournalEvent) (JournalRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs := m.records[tillID]
	for i := len(recs) - 1; i >= 0; i-- {
		if len(events) == 0 || slices.Contains(events, recs[i].Event) {
			return recs[i], nil
		}
	}
	return JournalRecord{}, ErrNoRecord
}

// JournalHeads returns every till's last record.
func (m *MemoryJournal) JournalHeads(context.Context) ([]JournalHead, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []JournalHead
	for _, till := range m.tills() {
		recs := m.records[till]
		last := recs[len(recs)-1]
		out = append(out, JournalHead{TillID: till, Seq: last.Seq, Hash: last.Hash})
	}
	return out, nil
}

func (m *MemoryJournal) tills() []string {
	var t []string
	for k := range m.records {
		t = append(t, k)
	}
	sort.Strings(t)
	return t
}
