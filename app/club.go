package app

import (
	"context"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// clubRules reads the club rules for a paper receipt (the offers' names);
// without them the receipt still prints, saying "Rabatt".
func (t *Till) clubRules() flow.ClubRules {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := t.DB.ClubRules(ctx)
	if err != nil {
		t.Log.Warn("reading the club rules for a receipt failed", "err", err)
	}
	return r
}
