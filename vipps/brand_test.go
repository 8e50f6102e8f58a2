package vipps

import (
	"testing"
	"time"
)

func TestBrandFollowsTheMarketAndTheDay(t *testing.T) {
	cph, hel := time.FixedZone("CET", 3600), time.FixedZone("EET", 2*3600)
	for _, c := range []struct {
		market Country
		at     time.Time
		want   Brand
	}{
		{Norway, time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), Brand{"Vipps", "Vipps MobilePay"}},
		{Denmark, time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), Brand{"MobilePay", "Vipps MobilePay"}},
		{Finland, time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), Brand{"MobilePay", "Vipps MobilePay"}},
		// The last minute before the day, and the first of it, in each market's own time.
		{Denmark, time.Date(2027, 1, 11, 23, 59, 0, 0, cph), Brand{"MobilePay", "Vipps MobilePay"}},
		{Denmark, time.Date(2027, 1, 12, 0, 0, 0, 0, cph), Brand{"Vipps", "Vipps"}},
		{Finland, time.Date(2027, 1, 11, 23, 59, 0, 0, hel), Brand{"MobilePay", "Vipps MobilePay"}},
		{Finland, time.Date(2027, 1, 12, 0, 0, 0, 0, hel), Brand{"Vipps", "Vipps"}},
		// 00:30 in Helsinki is still 11 January in Copenhagen.
		{Denmark, time.Date(2027, 1, 12, 0, 30, 0, 0, hel), Brand{"MobilePay", "Vipps MobilePay"}},
		{Norway, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), Brand{"Vipps", "Vipps"}},
		{"", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Brand{"Vipps", "Vipps MobilePay"}},
	} {
		if got := BrandFor(c.market, c.at); got != c.want {
			t.Errorf("%q at %s: %+v, want %+v", c.market, c.at, got, c.want)
		}
	}
	for cur, want := range map[string]Country{"NOK": Norway, "DKK": Denmark, "EUR": Finland, "SEK": ""} {
		if got := MarketOf(cur); got != want {
			t.Errorf("MarketOf(%s) = %q, want %q", cur, got, want)
		}
	}
}
