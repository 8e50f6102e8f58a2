package hardware

import "testing"

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
