package app

import (
	"strings"
	"testing"

	"github.com/kasse-pos/kasse/flow"
)

// The office puts club rules in force from a JSON file: each change is a
// price change in the journal (13021); bad rules change nothing.
func TestOfficeSetsClubRules(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	o, err := OpenOffice(cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ctx := t.Context()
	changes, err := o.SetClubRules(ctx, strings.NewReader(`{"groupDiscounts":[{"group":"meieri","percent":10}],"points":{"perKrone":1}}`), "test")
	if err != nil || len(changes) != 2 {
		t.Fatalf("changes %q, %v", changes, err)
	}
	if _, err := o.SetClubRules(ctx, strings.NewReader(`{"groupDiscounts":[{"group":"meieri","percent":0}]}`), "test"); err == nil {
		t.Error("a 0 % member discount was accepted")
	}
	if _, err := o.SetClubRules(ctx, strings.NewReader(`{"offer":[]}`), "test"); err == nil {
		t.Error("a misspelt field was accepted")
	}
	recs, err := o.db.JournalRecords(ctx, flow.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.Event == flow.JournalPriceChange && strings.HasPrefix(r.Text, "club: ") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d club rule changes journaled, want 2", n)
	}
	b, err := o.ClubRulesJSON(ctx)
	if err != nil || !strings.Contains(string(b), `"percent": 10`) {
		t.Errorf("rules in force: %s, %v", b, err)
	}
}
