package flow

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// journalClock is a fake clock that moves one second per reading.
type journalClock struct{ t time.Time }

func (c *journalClock) Now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func chainOf(t *testing.T, n int) []JournalRecord {
	t.Helper()
	m := NewMemoryJournal()
	clk := &journalClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	j := NewElectronicJournal(m, "pos1", time.UTC, clk.Now)
	for i := range n {
		if err := j.RecordEvent(context.Background(), JournalPriceLookup, 0, "", Money(100*i), fmt.Sprint("look-up ", i)); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := m.JournalRecords(context.Background(), JournalQuery{TillID: "pos1"})
	if err != nil || len(recs) != n {
		t.Fatalf("records = %d, %v", len(recs), err)
	}
	return recs
}

func TestJournalChainDetectsTampering(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func([]JournalRecord) []JournalRecord
		wantSeq int64
	}{
		{"untouched", func(r []JournalRecord) []JournalRecord { return r }, 0},
		{"amount edited", func(r []JournalRecord) []JournalRecord { r[3].Amount += 100; return r }, 4},
		{"text edited", func(r []JournalRecord) []JournalRecord { r[0].Text = "nothing"; return r }, 1},
		{"edited and rehashed", func(r []JournalRecord) []JournalRecord {
			r[2].Amount = 1
			r[2].Hash = JournalHash(r[2])
			return r
		}, 4},
		{"cashier changed", func(r []JournalRecord) []JournalRecord { r[5].CashierName = "Mallory"; return r }, 6},
		{"middle deleted", func(r []JournalRecord) []JournalRecord { return append(r[:2], r[3:]...) }, 3},
		{"first deleted", func(r []JournalRecord) []JournalRecord { return r[1:] }, 1},
		{"two swapped", func(r []JournalRecord) []JournalRecord { r[4], r[5] = r[5], r[4]; return r }, 5},
		{"swapped with seq renumbered", func(r []JournalRecord) []JournalRecord {
			r[4], r[5] = r[5], r[4]
			r[4].Seq, r[5].Seq = 5, 6
			return r
		}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			recs := tc.tamper(chainOf(t, 8))
			v := &JournalVerifier{TillID: "pos1"}
			err := v.Next(recs)
			if tc.wantSeq == 0 {
				if err != nil {
					t.Fatalf("untouched chain: %v", err)
				}
				return
			}
			var br *JournalBreak
			if !errors.As(err, &br) {
				t.Fatalf("tampering not detected: %v", err)
			}
			if br.Seq != tc.wantSeq {
				t.Errorf("break reported at %d, want %d (%v)", br.Seq, tc.wantSeq, err)
			}
		})
	}
}

func TestJournalVerifierCatchesRecordsRemovedFromTheEnd(t *testing.T) {
	recs := chainOf(t, 5)
	head := JournalHead{TillID: "pos1", Seq: 5, Hash: recs[4].Hash}
	v := &JournalVerifier{TillID: "pos1"}
	if err := v.Next(recs[:4]); err != nil {
		t.Fatal(err)
	}
	if err := v.Done(head); err == nil {
		t.Fatal("a chain missing its last record verified against the head")
	}
	v = &JournalVerifier{TillID: "pos1"}
	if err := v.Next(recs); err != nil {
		t.Fatal(err)
	}
	if err := v.Done(head); err != nil {
		t.Fatalf("complete chain: %v", err)
	}
}

func TestVerifyJournalChecksEveryTillInBatches(t *testing.T) {
	m := NewMemoryJournal()
	clk := &journalClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	for _, till := range []string{"pos1", "pos2"} {
		j := NewElectronicJournal(m, till, time.UTC, clk.Now)
		for range 7 {
			if err := j.RecordEvent(context.Background(), JournalDrawerOpen, 0, "", 0, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := VerifyJournal(context.Background(), m)
	if err != nil || n != 14 {
		t.Fatalf("VerifyJournal = %d, %v; want 14, nil", n, err)
	}
	m.records["pos2"][6].Text = "edited"
	_, err = VerifyJournal(context.Background(), m)
	var br *JournalBreak
	if !errors.As(err, &br) || br.TillID != "pos2" || br.Seq != 7 {
		t.Fatalf("edited pos2 record 7: got %v", err)
	}
}

func TestJournalRecordCarriesCashierDayAndMicroseconds(t *testing.T) {
	m := NewMemoryJournal()
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	// 23:30 UTC on 2 March is already 3 March in Oslo.
	at := time.Date(2026, 3, 2, 23, 30, 0, 123456789, time.UTC)
	j := NewElectronicJournal(m, "pos1", oslo, func() time.Time { return at })
	j.SetCashier(Cashier{ID: 7, Name: "Kari"})
	rec, err := j.Record(context.Background(), JournalRecord{Event: JournalDrawerOpen})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Day != "2026-03-03" || rec.CashierID != 7 || rec.CashierName != "Kari" || rec.At.Nanosecond() != 123456000 {
		t.Errorf("record = day %s cashier %d %q at %v", rec.Day, rec.CashierID, rec.CashierName, rec.At)
	}
	if rec.Seq != 1 || rec.PrevHash != JournalGenesis || rec.Hash != JournalHash(rec) {
		t.Errorf("first record chained wrongly: %+v", rec)
	}
}
