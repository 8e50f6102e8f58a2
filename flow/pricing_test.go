package flow_test

import (
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// The club's wares in the pricing tests.
const (
	ost      = "7040000000016" // 89.90, member price 69.90, dairy
	yoghurt  = "7040000000023" // 19.90, dairy: 10 % off for members
	kaffe    = "7040000000030" // 59.90, member price 49.90, 3 for 2 for everyone
	sjokolad = "7040000000047" // 29.90, 2 for kr 50 for members
)

func clubCatalogue() []flow.Product {
	return []flow.Product{
		{GTIN: ost, Name: "Norvegia", Price: 8990, MemberPrice: 6990, Group: "meieri", VATRate: 15, Active: true},
		{GTIN: yoghurt, Name: "Yoghurt", Price: 1990, Group: "meieri", VATRate: 15, Active: true},
		{GTIN: kaffe, Name: "Kaffe 250 g", Price: 5990, MemberPrice: 4990, Group: "kaffe", VATRate: 15, Active: true},
		{GTIN: sjokolad, Name: "Sjokolade", Price: 2990, Group: "godteri", VATRate: 25, Active: true},
	}
}

func clubRules() flow.ClubRules {
	return flow.ClubRules{
		GroupDiscounts: []flow.GroupDiscount{{Group: "meieri", Percent: 10}},
		Offers: []flow.Offer{
			{ID: "kaffe-3for2", Name: "3 for 2", GTINs: []string{kaffe}, Buy: 3, Pay: 2},
			{ID: "sjoko-2for50", Name: "2 for kr 50", Group: "godteri", Buy: 2, Price: 5000, MembersOnly: true},
		},
		Points: flow.PointsRule{PerKrone: 1, ChequeAt: 200, ChequeValue: 5000},
	}
}

func line(p flow.Product, qty int) flow.SaleLine {
	return flow.SaleLine{GTIN: p.GTIN, Name: p.Name, Quantity: qty, UnitPrice: p.Price, VATRate: p.VATRate, MemberPrice: p.MemberPrice, Group: p.Group}
}

func TestPriceLines(t *testing.T) {
	cat := map[string]flow.Product{}
	for _, p := range clubCatalogue() {
		cat[p.GTIN] = p
	}
	type want struct {
		discount, member flow.Money
		offerUnits       int
		rules            string
	}
	cases := []struct {
		name   string
		gtin   string
		qty    int
		member bool
		want   want
	}{
		{"member price, not a member", ost, 1, false, want{}},
		{"member price, member", ost, 2, true, want{4000, 4000, 0, "member-price"}},
		{"group discount, member", yoghurt, 3, true, want{3 * 199, 3 * 199, 0, "member-group:meieri"}},
		{"group discount, not a member", yoghurt, 3, false, want{}},
		{"3 for 2, not a member", kaffe, 3, false, want{5990, 0, 3, "offer:kaffe-3for2"}},
		{"3 for 2 on the member price", kaffe, 3, true, want{3*1000 + 4990, 3*1000 + 4990 - 5990, 3, "member-price,offer:kaffe-3for2"}},
		{"3 for 2, two units only", kaffe, 2, false, want{}},
		{"3 for 2, seven units: two bundles", kaffe, 7, false, want{2 * 5990, 0, 6, "offer:kaffe-3for2"}},
		{"members' 2 for kr 50, not a member", sjokolad, 2, false, want{}},
		{"members' 2 for kr 50, member", sjokolad, 2, true, want{980, 980, 2, "offer:sjoko-2for50"}},
		{"members' 2 for kr 50, three units", sjokolad, 3, true, want{980, 980, 2, "offer:sjoko-2for50"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := flow.PriceLines([]flow.SaleLine{line(cat[tc.gtin], tc.qty)}, tc.member, clubRules(), 0)[0]
			if g := (want{got.Discount, got.MemberSaving, got.OfferUnits, got.Rules}); g != tc.want {
				t.Errorf("priced %+v, want %+v", g, tc.want)
			}
			if got.VAT() != flow.VATOf(got.Total(), got.VATRate) || got.Net()+got.VAT() != got.Total() {
				t.Errorf("line VAT %d net %d of total %d", got.VAT(), got.Net(), got.Total())
			}
		})
	}
}

// A mixed cart: the offer's free unit is the cheapest of the bundle, a
// bonus cheque is spread over every line without making one negative, and
// each line's VAT is the VAT of its own total.
func TestPriceLinesMixedCartAndCheque(t *testing.T) {
	ps := clubCatalogue()
	cart := []flow.SaleLine{line(ps[0], 1), line(ps[1], 2), line(ps[2], 3), line(ps[3], 2)}
	plain := flow.PriceLines(cart, false, clubRules(), 0)
	member := flow.PriceLines(cart, true, clubRules(), 0)
	disc, saving := flow.Savings(member)
	plainDisc, _ := flow.Savings(plain)
	if saving != disc-plainDisc || saving != flow.JoinSavings(cart, clubRules()) {
		t.Errorf("member saving %d, discounts %d vs %d, join savings %d", saving, disc, plainDisc, flow.JoinSavings(cart, clubRules()))
	}
	var before flow.Money
	for _, l := range member {
		before += l.Total()
	}
	withCheque := flow.PriceLines(cart, true, clubRules(), 5000)
	var after, cheque flow.Money
	for _, l := range withCheque {
		if l.Total() < 0 || l.ChequeDiscount < 0 {
			t.Errorf("line %s: total %d, cheque %d", l.Name, l.Total(), l.ChequeDiscount)
		}
		if l.VAT() != flow.VATOf(l.Total(), l.VATRate) {
			t.Errorf("line %s VAT %d", l.Name, l.VAT())
		}
		after += l.Total()
		cheque += l.ChequeDiscount
	}
	if cheque != 5000 || after != before-5000 {
		t.Errorf("cheque spread %d, total %d → %d", cheque, before, after)
	}
	if huge := flow.PriceLines(cart, true, clubRules(), 1_000_000); huge[0].Total() != 0 || huge[3].Total() != 0 {
		t.Errorf("a cheque above the sale left %d, %d", huge[0].Total(), huge[3].Total())
	}
}

func TestClubRulesValidate(t *testing.T) {
	if err := clubRules().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []flow.ClubRules{
		{GroupDiscounts: []flow.GroupDiscount{{Group: "meieri", Percent: 120}}},
		{Offers: []flow.Offer{{ID: "x", GTINs: []string{kaffe}, Buy: 3, Pay: 3}}},
		{Offers: []flow.Offer{{ID: "x", Buy: 3, Pay: 2}}},
		{Offers: []flow.Offer{{ID: "a,b", GTINs: []string{kaffe}, Buy: 2, Price: 100}}},
		{Points: flow.PointsRule{ChequeAt: 100}},
	}
	for i, r := range bad {
		if r.Validate() == nil {
			t.Errorf("rules %d accepted: %+v", i, r)
		}
	}
}

// clubRig is a rig whose store has the club's wares and rules.
func clubRig(t *testing.T, r *rig) {
	t.Helper()
	r.must(r.db.UpsertProducts(r.ctx, clubCatalogue()))
	r.must(r.db.SetClubRules(r.ctx, clubRules(), "test"))
}

func TestMemberPricesFollowTheCustomer(t *testing.T) {
	discounted := func(d flow.Money) func(flow.View) bool {
		return func(v flow.View) bool { return v.Discount == d }
	}
	cases := []struct {
		name string
		play func(t *testing.T, r *rig) flow.View
		// what the sale ends with
		discount, member, join flow.Money
		firstName              string
	}{
		{name: "QR before the wares", play: func(t *testing.T, r *rig) flow.View {
			r.customer(qrKari)
			r.product(ost)
			r.product(yoghurt)
			return r.waitFor("member prices", discounted(2000+199))
		}, discount: 2199, member: 2199, firstName: "Kari"},
		{name: "QR after the wares", play: func(t *testing.T, r *rig) flow.View {
			r.product(ost)
			r.product(yoghurt)
			if v := r.till.View(); v.Discount != 0 {
				t.Errorf("discount %d before the member is known", v.Discount)
			}
			r.customer(qrKari)
			return r.waitFor("member prices", discounted(2199))
		}, discount: 2199, member: 2199, firstName: "Kari"},
		{name: "QR between the wares", play: func(t *testing.T, r *rig) flow.View {
			r.product(ost)
			r.customer(qrKari)
			r.product(yoghurt)
			return r.waitFor("member prices", discounted(2199))
		}, discount: 2199, member: 2199, firstName: "Kari"},
		{name: "member replaced by a non-member", play: func(t *testing.T, r *rig) flow.View {
			r.customer(qrKari)
			r.product(ost)
			r.waitFor("member prices", discounted(2000))
			r.product(yoghurt)
			r.customer(qrOla)
			return r.waitFor("ordinary prices", func(v flow.View) bool { return v.Customer != nil && !v.Customer.Member && v.Discount == 0 })
		}, join: 2199},
		{name: "customer leaves the sale", play: func(t *testing.T, r *rig) flow.View {
			r.customer(qrKari)
			r.product(ost)
			r.product(yoghurt)
			r.waitFor("member prices", discounted(2199))
			r.must(r.till.RemoveCustomer(r.ctx))
			return r.waitFor("ordinary prices", func(v flow.View) bool { return v.Customer == nil && v.Discount == 0 })
		}},
		{name: "offers with member prices", play: func(t *testing.T, r *rig) flow.View {
			r.must(r.till.AddProduct(r.ctx, kaffe, 3))
			r.must(r.till.AddProduct(r.ctx, sjokolad, 2))
			if v := r.till.View(); v.Discount != 5990 {
				t.Errorf("3 for 2 for everyone: discount %d", v.Discount)
			}
			r.customer(qrKari)
			return r.waitFor("member prices and offers", discounted(3*1000+4990+980))
		}, discount: 3*1000 + 4990 + 980, member: 3*1000 + 4990 - 5990 + 980, firstName: "Kari"},
		{name: "enrolment mid-sale", play: func(t *testing.T, r *rig) flow.View {
			r.product(ost)
			r.customer(qrOla)
			r.product(yoghurt)
			if v := r.waitFor("join savings", func(v flow.View) bool { return v.JoinSavings == 2199 }); v.Discount != 0 {
				t.Errorf("a non-member had %d off", v.Discount)
			}
			r.must(r.till.Enrol(r.ctx))
			r.waitFor("login started", func(flow.View) bool { return len(r.vipps.LoginCalls()) == 1 })
			r.vipps.AnswerLogin(r.vipps.LoginCalls()[0].AuthReqID, flow.MemberClaims{Sub: "sub-ola", GivenName: "Ola", Phone: ola}, nil)
			return r.waitFor("member prices after enrolment", discounted(2199))
		}, discount: 2199, member: 2199, firstName: "Ola"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			each(t, func(t *testing.T, r *rig) {
				clubRig(t, r)
				v := tc.play(t, r)
				if v.Discount != tc.discount || v.MemberSavings != tc.member || v.JoinSavings != tc.join {
					t.Errorf("discount %d, member savings %d, join savings %d; want %d, %d, %d", v.Discount, v.MemberSavings, v.JoinSavings, tc.discount, tc.member, tc.join)
				}
				if tc.firstName != "" && (v.Customer == nil || v.Customer.FirstName != tc.firstName) {
					t.Errorf("customer %+v, want %s", v.Customer, tc.firstName)
				}
				var gross flow.Money
				for _, l := range v.Lines {
					gross += l.UnitPrice * flow.Money(l.Quantity)
				}
				if v.Total != gross-tc.discount {
					t.Errorf("total %d, want %d − %d", v.Total, gross, tc.discount)
				}
				// What is stored is what was shown, and what is asked for.
				s, err := r.db.Sale(r.ctx, v.SaleID)
				r.must(err)
				if s.Total() != v.Total {
					t.Errorf("stored total %d, shown %d", s.Total(), v.Total)
				}
				var pv flow.View
				if v.Customer == nil {
					r.must(r.till.PayByQR(r.ctx))
					pv = r.status(flow.PaymentWaiting)
				} else {
					pv = r.paying()
				}
				if pv.Payment.Amount != v.Total {
					t.Errorf("payment of %d for a total of %d", pv.Payment.Amount, v.Total)
				}
				r.vipps.Approve(pv.Payment.Reference)
				r.clock.Advance(time.Second)
				paid := r.status(flow.PaymentAuthorized)
				if paid.Total != v.Total || paid.Discount != tc.discount {
					t.Errorf("paid total %d discount %d", paid.Total, paid.Discount)
				}
			})
		})
	}
}
