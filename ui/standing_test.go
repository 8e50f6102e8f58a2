package ui

import (
	"strings"
	"testing"

	"github.com/kasse-pos/kasse/flow"
)

// A standing notice (keys Vipps refused at start) shows while no notice
// of a sale does, gives way to one, and comes back when it is gone.
func TestStandingNoticeStaysUntilTheRestart(t *testing.T) {
	r := newRig(t, "nb")
	c := r.w.cashier
	r.w.StandingNotice("notice.vipps_keys.wrong_keys", flow.NoticeError)
	standing := c.notice.Text
	if !strings.HasPrefix(standing, "Vipps MobilePay avviste kassens nøkler") || !strings.Contains(standing, "innstillingene") {
		t.Fatalf("standing notice %q", standing)
	}
	r.keypad("7000000000003\n") // not in the catalogue: a notice of the sale
	if c.notice.Text == standing || !strings.HasPrefix(c.notice.Text, "Ukjent vare") {
		t.Fatalf("the sale's notice did not show: %q", c.notice.Text)
	}
	r.keypad("7038010069307\n")
	r.await("the milk in the cart", func(v flow.View) bool { return len(v.Lines) == 1 })
	if c.notice.Text != standing {
		t.Errorf("once the sale's notice went, the till shows %q", c.notice.Text)
	}
}
