package hardware

import (
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func TestCooldownSuppressesRereadsOfTheSameCodeFromTheSameSource(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	c := &Cooldown{Window: 2 * time.Second, ProductWindow: 300 * time.Millisecond, Now: clock.Now}
	qr := Scan{Kind: ScanCustomerQR, Code: "https://qr.vipps.no/p/abc", Source: SourceCustomer}
	milk := Scan{Kind: ScanProduct, Code: "7038010055683", Source: SourceCashier}

	steps := []struct {
		advance time.Duration
		scan    Scan
		want    bool
		why     string
	}{
		{0, qr, true, "first read"},
		{500 * time.Millisecond, qr, false, "phone still held in front"},
		{1500 * time.Millisecond, qr, false, "window slides from the last read"},
		{0, Scan{Kind: ScanCustomerQR, Code: qr.Code, Source: SourceCashier}, true, "same code from another scanner"},
		{0, milk, true, "a product"},
		{200 * time.Millisecond, milk, false, "product re-read within its short window"},
		{300 * time.Millisecond, milk, true, "second carton of milk"},
		{2 * time.Second, qr, true, "phone taken away and shown again"},
		{0, Scan{Kind: ScanUnknown, Raw: "junk", Source: SourceCashier}, true, "unknown scan"},
		{time.Second, Scan{Kind: ScanUnknown, Raw: "junk", Source: SourceCashier}, false, "the same junk again"},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if got := c.Allow(s.scan); got != s.want {
			t.Errorf("step %d (%s): Allow = %v, want %v", i, s.why, got, s.want)
		}
	}
}

func TestNilCooldownAllowsEverything(t *testing.T) {
	var c *Cooldown
	first, second := c.Allow(Scan{Code: "x"}), c.Allow(Scan{Code: "x"})
	if !first || !second {
		t.Fatal("a till without a cooldown must pass every scan")
	}
}
