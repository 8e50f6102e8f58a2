package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// clubRules reads the club rules for a paper receipt (the offers' names);
// without them the receipt still prints, saying "Rabatt".
func (t *Till) clubRules() flow.ClubRules {
	if t.db == nil {
		return flow.ClubRules{} // a receipt laid out without a database
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := t.db.ClubRules(ctx)
	if err != nil {
		t.log.Warn("reading the club rules for a receipt failed", "err", err)
	}
	return r
}

// DemoClubRules are the demo store's club: 10 % off dairy for members (the
// milk has a member price of its own), coffee 2 for kr 120 for everyone,
// 1 point per krone and a kr 50 bonus cheque at 500 points.
var DemoClubRules = flow.ClubRules{
	GroupDiscounts: []flow.GroupDiscount{{Group: "meieri", Percent: 10}},
	Offers:         []flow.Offer{{ID: "kaffe-2for120", Name: "2 for kr 120", Group: "kaffe", Buy: 2, Price: 12000}},
	Points:         flow.PointsRule{PerKrone: 1, ChequeAt: 500, ChequeValue: 5000},
}

// loadDemoClub gives a demo till the demo club rules, unless it has some.
func loadDemoClub(ctx context.Context, db clubRuleStore) error {
	r, err := db.ClubRules(ctx)
	if err != nil {
		return err
	}
	if len(r.GroupDiscounts) > 0 || len(r.Offers) > 0 || r.Points.PerKrone > 0 {
		return nil
	}
	return db.SetClubRules(ctx, DemoClubRules, "demo")
}

type clubRuleStore = flow.ClubRuleStore

// clubAdmin is the manager's member screen's door: the club, and the
// data directory's exports folder for a member's copy of their data.
type clubAdmin struct {
	*flow.Club
	dir string
}

func (t *Till) clubAdmin() clubAdmin {
	return clubAdmin{Club: &flow.Club{Members: t.db, Points: t.db, Journal: t.journal}, dir: filepath.Join(t.cfg.DataDir, "exports")}
}

// SaveExport writes the member's data as JSON, readable by the owner only
// (it is personal data), and returns the file's path.
func (c clubAdmin) SaveExport(ctx context.Context, id int64) (string, error) {
	b, err := c.ExportJSON(ctx, id)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(c.dir, fmt.Sprintf("member-%d-%s.json", id, time.Now().Format("20060102-150405")))
	return path, os.WriteFile(path, b, 0o600)
}

// SetClubRules reads club rules (flow.ClubRules as JSON) and puts them in
// force through flow.ChangeClubRules: checked, stored, and every change
// journaled as a price change (13021). It returns the changes.
func (o *Office) SetClubRules(ctx context.Context, r io.Reader, by string) ([]string, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var rules flow.ClubRules
	if err := dec.Decode(&rules); err != nil {
		return nil, fmt.Errorf("not club rules: %w", err)
	}
	return flow.ChangeClubRules(ctx, o.db, o.journal, rules, by)
}

// ClubRulesJSON prints the club rules in force, as SetClubRules reads them.
func (o *Office) ClubRulesJSON(ctx context.Context) ([]byte, error) {
	r, err := o.db.ClubRules(ctx)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(r, "", "  ")
}
