package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

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

// members is a stand-in for the club's door, one func per method.
type members struct {
	search func(string) ([]flow.Member, error)
	export func(int64) (flow.MemberExport, error)
	save   func(int64) (string, error)
	erase  func(int64) error
}

func (m members) Search(_ context.Context, q string) ([]flow.Member, error) { return m.search(q) }
func (m members) Export(_ context.Context, id int64) (flow.MemberExport, error) {
	return m.export(id)
}
func (m members) SaveExport(_ context.Context, id int64) (string, error) { return m.save(id) }
func (m members) Erase(_ context.Context, id int64) error                { return m.erase(id) }

// The manager finds a member by the last digits of the phone, sees points,
// consent and history, exports the data and erases the member, all with
// big buttons.
func TestMemberScreen(t *testing.T) {
	kariM := flow.Member{ID: 7, Name: "Kari Nordmann", MSISDN: "4791234567", Points: 254}
	var exported, erased int64
	fake := members{
		search: func(q string) ([]flow.Member, error) {
			if q == "567" {
				return []flow.Member{kariM}, nil
			}
			return nil, nil
		},
		export: func(id int64) (flow.MemberExport, error) {
			var x flow.MemberExport
			x.Member.ID, x.Member.Name, x.Member.Phone, x.Points = id, kariM.Name, kariM.MSISDN, 254
			x.Consent.At, x.Consent.Scopes, x.Consent.BindingMessage, x.Consent.Till = t0, []string{"openid", "name", "phoneNumber"}, "KX7-42Q", "pos1"
			x.PointsHistory = []flow.PointsEntry{{At: t0, Points: 254, Reason: "sale 000001"}}
			return x, nil
		},
		save:  func(id int64) (string, error) { exported = id; return "/data/exports/member-7.json", nil },
		erase: func(id int64) error { erased = id; return nil },
	}
	r := newRigWith(t, "en", func(o *Options) { o.Members = fake }, kari)
	c := r.w.cashier
	c.showMembers()
	m := c.members
	test.Type(m.query, "567")
	r.tap(m.buttons["search"])
	b := m.buttons["member.0"]
	if b == nil || !strings.Contains(b.Text, "Kari Nordmann  +47 ••• •• 567") || strings.Contains(b.Text, "91234567") || !strings.Contains(b.Text, "254 points") {
		t.Fatalf("search result: %+v", b)
	}
	if b.MinSize().Height < 64 {
		t.Errorf("a member's button is %v high", b.MinSize())
	}
	r.tap(b)
	var texts []string
	for _, o := range m.body.Objects {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"254 points · 0 bonus cheque(s)", "openid, name, phoneNumber", "KX7-42Q", "+254   sale 000001"} {
		if !strings.Contains(all, want) {
			t.Errorf("member shown lacks %q:\n%s", want, all)
		}
	}
	r.tap(m.buttons["export"])
	if exported != 7 || !strings.Contains(m.status.Text, "/data/exports/member-7.json") {
		t.Errorf("export: %d, %q", exported, m.status.Text)
	}
	r.tap(m.buttons["erase"])
	r.tap(m.buttons["erase.keep"])
	if erased != 0 {
		t.Fatal("erased without confirming")
	}
	r.tap(m.buttons["erase"])
	r.tap(m.buttons["erase.confirm"])
	if erased != 7 || m.status.Text != "The member was erased." {
		t.Errorf("erase: %d, %q", erased, m.status.Text)
	}
}
