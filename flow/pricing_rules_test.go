package flow

import (
	"context"
	"strings"
	"testing"
	"time"
)

type memoryRules struct{ r ClubRules }

func (m *memoryRules) ClubRules(context.Context) (ClubRules, error) { return m.r, nil }
func (m *memoryRules) SetClubRules(_ context.Context, r ClubRules, _ string) error {
	m.r = r
	return nil
}

// Every club rule change is a price change in the journal (13021), and a
// member price changed by an import is too.
func TestClubRuleChangesAreJournaled(t *testing.T) {
	ctx := context.Background()
	clk := &stepClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	mj := NewMemoryJournal()
	j := NewElectronicJournal(mj, "pos1", time.UTC, clk.Now)
	st := &memoryRules{}
	first := ClubRules{GroupDiscounts: []GroupDiscount{{Group: "meieri", Percent: 10}},
		Offers: []Offer{{ID: "kaffe", Name: "3 for 2", GTINs: []string{"7040000000030"}, Buy: 3, Pay: 2}},
		Points: PointsRule{PerKrone: 1, ChequeAt: 500, ChequeValue: 5000}}
	if _, err := ChangeClubRules(ctx, st, j, first, "Kari"); err != nil {
		t.Fatal(err)
	}
	second := first
	second.GroupDiscounts = []GroupDiscount{{Group: "meieri", Percent: 15}}
	second.Offers = nil
	if _, err := ChangeClubRules(ctx, st, j, second, "Kari"); err != nil {
		t.Fatal(err)
	}
	if ch, err := ChangeClubRules(ctx, st, j, second, "Kari"); err != nil || ch != nil {
		t.Errorf("unchanged rules: %q %v", ch, err)
	}
	if _, err := ChangeClubRules(ctx, st, j, ClubRules{GroupDiscounts: []GroupDiscount{{Group: "x", Percent: 0}}}, "Kari"); err == nil {
		t.Error("invalid rules were stored")
	}
	changes, _ := PriceChanges(ctx, productsByGTIN{"1": {GTIN: "1", Price: 2490}}, []Product{{GTIN: "1", Name: "Melk", Price: 2490, MemberPrice: 1990}})
	if err := j.RecordPriceChanges(ctx, changes); err != nil {
		t.Fatal(err)
	}
	recs, _ := mj.JournalRecords(ctx, JournalQuery{})
	var got []string
	for _, r := range recs {
		if r.Event != JournalPriceChange {
			t.Errorf("event %s", r.Event)
		}
		got = append(got, r.Text)
	}
	want := []string{
		"club: member discount on group meieri: 0 % → 10 %",
		`club: offer kaffe added: "3 for 2" 3 for 2 on products 7040000000030 for everyone`,
		"club: points: 0 point(s) per krone on every line, cheque of 0.00 at 0 points → 1 point(s) per krone on every line, cheque of 50.00 at 500 points",
		"club: member discount on group meieri: 10 % → 15 %",
		`club: offer kaffe ended: "3 for 2" 3 for 2 on products 7040000000030 for everyone`,
		"GTIN 1 Melk: 24.90 → 24.90, member price none → 19.90",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("journal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
