package hardware

import (
	"strings"
	"testing"
)

// A member's receipt says why each line is discounted, what the member
// saved and the points the sale earned.
func TestMemberReceiptShowsSavings(t *testing.T) {
	r := sampleReceipt()
	r.Lines[0].Discount, r.Lines[0].Total, r.Lines[0].DiscountText = 2190, 4380, "3 for 2"
	r.Lines[2].DiscountText = "medlemspris"
	r.MemberSaved, r.Points = 1000, 147
	text := renderESCPOS(t, encodeReceipt(r, 42))
	for _, want := range []string{
		"  3 for 2 -21,90",
		"  medlemspris -10,00",
		"Du sparte som medlem                 10,00",
		"Opptjente poeng                        147",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
	if plain := renderESCPOS(t, encodeReceipt(sampleReceipt(), 42)); strings.Contains(plain, "Du sparte") || strings.Contains(plain, "poeng") {
		t.Errorf("a receipt without club savings mentions them:\n%s", plain)
	}
}
