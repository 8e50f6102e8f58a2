package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/kasse-pos/kasse/flow"
)

// clubShop gives the rig's shop a member price on coffee and 3 for 2 on
// milk for members.
func clubShop(t *testing.T, r *rig) {
	t.Helper()
	ctx := context.Background()
	if err := r.shop.Store.UpsertProducts(ctx, []flow.Product{{GTIN: "7311041013663", Name: "Kaffe 500 g", Price: 8990, MemberPrice: 6990, VATRate: 15, Active: true}}); err != nil {
		t.Fatal(err)
	}
	if err := r.shop.Store.SetClubRules(ctx, flow.ClubRules{Offers: []flow.Offer{{ID: "melk", Name: "3 for 2", GTINs: []string{"7038010069307"}, Buy: 3, Pay: 2, MembersOnly: true}}}, "test"); err != nil {
		t.Fatal(err)
	}
}

// A member sees what they save on both screens, each line saying why; a
// guest sees what joining would save beside the Enrol button, and on the
// customer display.
func TestClubSavingsOnBothScreens(t *testing.T) {
	r := newRig(t, "en", kari, ola)
	clubShop(t, r)
	r.keypad("3*7038010069307\n7311041013663\n")
	r.scan(ola.QR)
	r.await("guest known", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
	join := "Join now and save kr 44,90 today"
	if c := r.w.cashier.club.join; !c.Visible() || c.Text != join || !r.w.cashier.enrol.Visible() {
		t.Errorf("cashier beside Enrol: %q (shown %v)", c.Text, c.Visible())
	}
	if !strings.Contains(r.displayText(), join) {
		t.Errorf("customer display for a guest: %q", r.displayText())
	}
	r.snap("club/1-guest")

	r.scan(kari.QR)
	r.await("member prices", func(v flow.View) bool { return v.MemberSavings == 4490 })
	save := "You save kr 44,90 as a member"
	if c := r.w.cashier.club.savings; !c.Visible() || c.Text != save || r.w.cashier.club.join.Visible() {
		t.Errorf("cashier savings %q (shown %v)", c.Text, c.Visible())
	}
	if d := r.displayText(); !strings.Contains(d, save) || !strings.Contains(d, "3 for 2 −kr 24,90") || !strings.Contains(d, "member price −kr 20,00") {
		t.Errorf("customer display for a member: %q", d)
	}
	r.snap("club/2-member")
	r.request()
	r.answer("payment", true)
	if d := r.displayText(); !strings.Contains(d, save) {
		t.Errorf("thank-you screen: %q", d)
	}
	if got := r.till.View().Total; got != 2*2490+6990 {
		t.Errorf("paid %d", got)
	}
}
