package hardware

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// typeKeys feeds s as key presses gap apart starting at start, then Enter
// if enter, and collects what the decoder returns.
func typeKeys(w *Wedge, s string, start time.Time, gap time.Duration, enter bool) (scans []Scan, typed string, end time.Time) {
	at := start
	collect := func(d Decoded) {
		if d.Scan != nil {
			scans = append(scans, *d.Scan)
		}
		for _, k := range d.Typed {
			if k.Enter {
				typed += "⏎"
			} else {
				typed += string(k.Rune)
			}
		}
	}
	for _, r := range s {
		collect(w.Feed(Key{Rune: r, At: at}))
		at = at.Add(gap)
	}
	if enter {
		collect(w.Feed(Key{Enter: true, At: at}))
	}
	collect(w.Flush(at.Add(time.Second)))
	return scans, typed, at
}

func TestWedgeTellsAScannerFromAPerson(t *testing.T) {
	tests := []struct {
		name      string
		keys      string
		gap       time.Duration
		enter     bool
		wantScan  string // Code of the one scan expected, "" for none
		wantTyped string
	}{
		{"scanner burst with Enter", "7038010055683", 4 * time.Millisecond, true, "7038010055683", ""},
		{"slow scanner at 25 ms a key", "7038010055683", 25 * time.Millisecond, true, "7038010055683", ""},
		{"person typing a number", "7038010055683", 120 * time.Millisecond, true, "", "7038010055683⏎"},
		{"key auto-repeat", "aaaaaaaaaaaa", 40 * time.Millisecond, true, "", "aaaaaaaaaaaa⏎"},
		{"quick short shortcut", "12", 5 * time.Millisecond, true, "", "12⏎"},
		{"person typing without Enter", "hei", 150 * time.Millisecond, false, "", "hei"},
		{"burst without Enter is not a scan by default", "7038010055683", 4 * time.Millisecond, false, "", "7038010055683"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scans, typed, _ := typeKeys(NewWedge(WedgeConfig{}), tt.keys, t0, tt.gap, tt.enter)
			if tt.wantScan == "" && len(scans) != 0 {
				t.Fatalf("got scan %+v from a person's typing", scans[0])
			}
			if tt.wantScan != "" && (len(scans) != 1 || scans[0].Code != tt.wantScan || scans[0].Source != SourceKeyboard) {
				t.Fatalf("scans = %+v, want one keyboard scan of %s", scans, tt.wantScan)
			}
			if typed != tt.wantTyped {
				t.Fatalf("typed = %q, want %q", typed, tt.wantTyped)
			}
		})
	}
}

func TestWedgeSeparatesAKeyPressFromTheScanRightAfterIt(t *testing.T) {
	w := NewWedge(WedgeConfig{})
	d := w.Feed(Key{Rune: '+', At: t0})
	if len(d.Typed) != 0 || d.Scan != nil {
		t.Fatalf("first key decided too early: %+v", d)
	}
	scans, typed, _ := typeKeys(w, "96385074", t0.Add(200*time.Millisecond), 3*time.Millisecond, true)
	if typed != "+" || len(scans) != 1 || scans[0].Code != "0000096385074" {
		t.Fatalf("typed %q scans %+v; want the '+' typed and the EAN-8 scanned", typed, scans)
	}
}

func TestWedgeFlushHandsBackTypingOnlyAfterAPause(t *testing.T) {
	w := NewWedge(WedgeConfig{})
	w.Feed(Key{Rune: 'x', At: t0})
	if d := w.Flush(t0.Add(10 * time.Millisecond)); len(d.Typed) != 0 {
		t.Fatal("flushed a key that may still be the start of a scan")
	}
	if d := w.Flush(t0.Add(100 * time.Millisecond)); len(d.Typed) != 1 || d.Typed[0].Rune != 'x' {
		t.Fatalf("after a pause the key must go to the UI, got %+v", d)
	}
}

func TestWedgeWithoutTerminatorEndsScanOnPause(t *testing.T) {
	w := NewWedge(WedgeConfig{NoTerminator: true})
	scans, typed, _ := typeKeys(w, "https://qr.vipps.no/p/abc123", t0, 2*time.Millisecond, false)
	if len(scans) != 1 || scans[0].Kind != ScanCustomerQR || typed != "" {
		t.Fatalf("scans %+v typed %q", scans, typed)
	}
}

const legacyQR = "https://qr.vipps.no/28/2/01/031/4791234567?v=1"

func TestWedgeUndoesNordicKeyboardLayouts(t *testing.T) {
	token := "https://qr.vipps.no/p/Ab-c_d.e~f"
	tests := []struct {
		name   string
		layout Layout // configured; "" = detect
		typed  string
		want   string
	}{
		{"nb", "", "httpsØ--qr.vipps.no-28-2-01-031-4791234567_v\\1", legacyQR},
		{"nb from the table", LayoutNO, TypeOnLayout(legacyQR, LayoutNO, false), legacyQR},
		{"da, dead key kept as ´", "", "httpsÆ--qr.vipps.no-28-2-01-031-4791234567_v´1", legacyQR},
		{"da, dead key swallowed", "", "httpsÆ--qr.vipps.no-28-2-01-031-4791234567_v1", legacyQR},
		{"fi, dead key and digit swallowed", LayoutFI, "httpsÖ--qr.vipps.no-28-2-01-031-4791234567_v", legacyQR},
		{"nb with Caps Lock", "", TypeOnLayout(legacyQR, LayoutNO, true), legacyQR},
		{"tokenized on nb", "", TypeOnLayout(token, LayoutNO, false), token},
		{"tokenized on fi with Caps Lock", "", TypeOnLayout(token, LayoutFI, true), token},
		{"tokenized with Caps Lock on US", LayoutUS, TypeOnLayout(token, LayoutUS, true), token},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWedge(WedgeConfig{Layout: tt.layout})
			scans, typed, _ := typeKeys(w, tt.typed, t0, 2*time.Millisecond, true)
			if len(scans) != 1 || typed != "" {
				t.Fatalf("scans %+v typed %q", scans, typed)
			}
			s := scans[0]
			if s.Kind != ScanCustomerQR || s.Code != tt.want || s.Raw != tt.typed {
				t.Fatalf("got kind %s code %q raw %q (%s); want customer QR %q", s.Kind, s.Code, s.Raw, s.Problem, tt.want)
			}
		})
	}
}

func TestWedgeReportsAQRItCannotRepair(t *testing.T) {
	// A Danish layout and a scanner that drops a character: no layout
	// turns this into a personal QR, but the cashier must learn why.
	typed := "httpsÆ--qr.vipps.no-28-2-01-031-479123456_7_v1x"
	scans, _, _ := typeKeys(NewWedge(WedgeConfig{}), typed, t0, 2*time.Millisecond, true)
	if len(scans) != 1 {
		t.Fatalf("scans %+v", scans)
	}
	p := scans[0].Problem
	if scans[0].Kind != ScanUnknown || !strings.Contains(p, "garbled by the keyboard layout") {
		t.Fatalf("problem %q does not say the keyboard layout garbled the code", p)
	}
	if strings.Contains(p, "479123456") {
		t.Fatalf("problem %q shows the customer's phone number", p)
	}
}

func TestNordicLayoutTablesAreOneToOne(t *testing.T) {
	for l, m := range nordicFromUS {
		if len(usFromNordic[l]) != len(m) {
			t.Errorf("%s: two US characters land on the same Nordic character; the inverse would guess", l)
		}
	}
}

func TestWedgeCooldownDropsARereadOfTheSameQR(t *testing.T) {
	clock := &fakeClock{t: t0}
	w := NewWedge(WedgeConfig{Cooldown: &Cooldown{Window: time.Second, Now: clock.Now}})
	first, _, end := typeKeys(w, legacyQR, t0, 2*time.Millisecond, true)
	clock.Advance(300 * time.Millisecond)
	second, typed, _ := typeKeys(w, legacyQR, end.Add(300*time.Millisecond), 2*time.Millisecond, true)
	if len(first) != 1 || len(second) != 0 || typed != "" {
		t.Fatalf("first %d scans, second %d scans, typed %q; want the re-read swallowed", len(first), len(second), typed)
	}
}

// FuzzWedge feeds arbitrary keys at arbitrary gaps and checks nothing is
// lost or invented: every key comes back exactly once, either typed or as
// part of a scan, and every scan is classified.
func FuzzWedge(f *testing.F) {
	f.Add("7038010055683\n", []byte{3})
	f.Add("hei\npå deg\n", []byte{100, 2, 200})
	f.Add("httpsØ--qr.vipps.no-28-2-01-031-4791234567_v\\1\n", []byte{1})
	f.Add("abc\n\n\ndef", []byte{31, 29, 30})
	f.Fuzz(func(t *testing.T, keys string, gaps []byte) {
		w := NewWedge(WedgeConfig{})
		var got strings.Builder
		take := func(d Decoded) {
			if d.Scan != nil {
				if d.Scan.Kind == ScanUnknown && d.Scan.Problem == "" {
					t.Fatalf("unknown scan %q without a problem", d.Scan.Raw)
				}
				got.WriteString(d.Scan.Raw + "\n")
			}
			for _, k := range d.Typed {
				if k.Enter {
					got.WriteByte('\n')
				} else {
					got.WriteRune(k.Rune)
				}
			}
		}
		at := t0
		for i, r := range []rune(keys) {
			if len(gaps) > 0 {
				at = at.Add(time.Duration(gaps[i%len(gaps)]) * time.Millisecond)
			}
			take(w.Feed(Key{Rune: r, Enter: r == '\n', At: at}))
		}
		take(w.Flush(at.Add(time.Hour)))
		if got.String() != string([]rune(keys)) {
			t.Fatalf("keys %q came back as %q", keys, got.String())
		}
	})
}

func TestWedgePublishesScansOnTheBus(t *testing.T) {
	bus := NewBus(4)
	w := NewWedge(WedgeConfig{Bus: bus})
	typeKeys(w, "7038010055683", t0, 3*time.Millisecond, true)
	typeKeys(w, "12", t0.Add(time.Second), 200*time.Millisecond, true)
	select {
	case ev := <-bus.Events():
		if s, ok := ev.(Scan); !ok || s.Code != "7038010055683" || s.Source != SourceKeyboard {
			t.Fatalf("event %#v", ev)
		}
	default:
		t.Fatal("the scan never reached the bus")
	}
	if len(bus.Events()) != 0 {
		t.Fatal("a person's typing was published as a scan")
	}
}
