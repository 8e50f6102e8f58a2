package app

import (
	"context"

	"github.com/kasse-pos/kasse/flow"
)

// cashDrawer is the drawer as the cashier's session uses it: the float and
// the count go to the journal; an opening without a sale opens the drawer
// and is journaled (13005 without a sale, counted apart on X and Z).
type cashDrawer struct{ t *Till }

func (d cashDrawer) RecordCashFloat(ctx context.Context, m flow.Money) error {
	return d.t.journal.RecordCashFloat(ctx, m)
}

func (d cashDrawer) RecordCashCount(ctx context.Context, m flow.Money) error {
	return d.t.journal.RecordCashCount(ctx, m)
}

func (d cashDrawer) DrawerOpened(ctx context.Context, reason string) error {
	if err := d.t.drawer.OpenDrawer(ctx); err != nil {
		d.t.log.Warn("the cash drawer did not open", "err", err)
	}
	return d.t.journal.DrawerOpened(ctx, reason)
}
