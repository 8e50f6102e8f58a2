package hardware

import (
	"strings"
	"testing"
)

func TestBusDropsRatherThanBlocksWhenNobodyReads(t *testing.T) {
	bus := NewBus(2)
	for i := range 5 {
		bus.Publish(Scan{Code: string(rune('a' + i))})
	}
	if bus.Dropped() != 3 {
		t.Fatalf("dropped %d, want 3", bus.Dropped())
	}
	if s := (<-bus.Events()).(Scan); s.Code != "a" {
		t.Fatalf("oldest event first, got %q", s.Code)
	}
}

func TestEventsPrintWithoutPhoneNumbers(t *testing.T) {
	scan := Scan{Kind: ScanCustomerQR, Code: legacyQR, Raw: legacyQR, Source: SourceCustomer}
	noise := Discarded{Source: SourceCustomer, Device: "/dev/ttyACM0", Bytes: []byte("https://qr.vipps.no/28/2/01/031/47912"), Reason: "an unfinished code"}
	for _, s := range []string{scan.String(), noise.String()} {
		if strings.Contains(s, "4791234567") || strings.Contains(s, "47912") {
			t.Errorf("log line shows a phone number: %s", s)
		}
	}
	if got := (Scan{Kind: ScanProduct, Code: "7038010055683", Source: SourceCashier}).String(); !strings.Contains(got, "7038010055683") {
		t.Errorf("product codes are not personal and must stay readable: %s", got)
	}
}
