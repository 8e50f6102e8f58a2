package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Started journals the till's start (13001), preceded by a software update
// (13007) when the till's previous start ran another version.
func (j *ElectronicJournal) Started(ctx context.Context, version string) error {
	text := "kasse " + version
	last, err := j.Store.LastJournalRecord(ctx, j.TillID, JournalAppStart)
	switch {
	case err == nil && last.Text != text:
		was := strings.TrimPrefix(last.Text, "kasse ")
		if err := j.RecordEvent(ctx, JournalSoftwareUpdate, 0, "", 0, fmt.Sprintf("updated from %s to %s", was, version)); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, ErrNoRecord):
		return err
	}
	return j.RecordEvent(ctx, JournalAppStart, 0, "", 0, text)
}

// PriceChange is a product whose price (or member price) an import changes.
type PriceChange struct {
	GTIN     string
	Name     string
	Old, New Money
	// OldMember, NewMember are the member prices (0: none).
	OldMember, NewMember Money
}

// ProductLookup finds a product by GTIN (the store has it).
type ProductLookup interface {
	ProductByGTIN(ctx context.Context, gtin string) (Product, error)
}

// PriceChanges lists the products of ps already in the catalogue at
// another price.
func PriceChanges(ctx context.Context, cat ProductLookup, ps []Product) ([]PriceChange, error) {
	var out []PriceChange
	for _, p := range ps {
		old, err := cat.ProductByGTIN(ctx, p.GTIN)
		if errors.Is(err, ErrNoRecord) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if old.Price != p.Price || old.MemberPrice != p.MemberPrice {
			out = append(out, PriceChange{GTIN: p.GTIN, Name: p.Name, Old: old.Price, New: p.Price, OldMember: old.MemberPrice, NewMember: p.MemberPrice})
		}
	}
	return out, nil
}

// RecordPriceChanges journals each change (13021) with the new price as
// its amount.
func (j *ElectronicJournal) RecordPriceChanges(ctx context.Context, changes []PriceChange) error {
	for _, c := range changes {
		text := fmt.Sprintf("GTIN %s %s: %s → %s", c.GTIN, c.Name, SAFTAmount(c.Old), SAFTAmount(c.New))
		if c.OldMember != c.NewMember {
			text += fmt.Sprintf(", member price %s → %s", memberPriceText(c.OldMember), memberPriceText(c.NewMember))
		}
		if err := j.RecordEvent(ctx, JournalPriceChange, 0, "", c.New, text); err != nil {
			return err
		}
	}
	return nil
}

func memberPriceText(m Money) string {
	if m == 0 {
		return "none"
	}
	return SAFTAmount(m)
}
