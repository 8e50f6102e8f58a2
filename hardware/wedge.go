package hardware

import "time"

// Key is one key event from the till's keyboard, as the UI receives it
// without any text field focused: a typed character, or Enter.
type Key struct {
	Rune  rune
	Enter bool // Return or keypad Enter; Rune is ignored
	At    time.Time
}

// Decoded is what the wedge decoder made of the keys so far: a finished
// scan, and/or keys it has decided a person typed, which the UI should
// handle as ordinary key presses (shortcuts, quantity entry).
type Decoded struct {
	Scan  *Scan
	Typed []Key
}

// WedgeConfig tunes the keyboard-wedge decoder.
type WedgeConfig struct {
	Source string // SourceKeyboard if empty
	// MaxKeyGap is the longest pause between two keys of a scanner burst.
	// Wedge scanners type a character every 1-15 ms; people, and key
	// auto-repeat (25-30 per second), are slower. 30 ms if zero.
	MaxKeyGap time.Duration
	// MinLength is the fewest characters a burst needs before Enter to be a
	// scan (the shortest product code, EAN-8, has 8). 6 if zero.
	MinLength int
	// NoTerminator is for scanners programmed without an Enter suffix: a
	// burst then ends when the keys stop (seen by Flush).
	NoTerminator bool
	// Layout is the till's keyboard layout; empty tries US and every Nordic
	// layout (see layout.go).
	Layout   Layout
	Cooldown *Cooldown // nil: no duplicate suppression
	// Bus, if set, also receives every scan, so the UI only has to deal
	// with Decoded.Typed.
	Bus *Bus
}

const maxWedgeBurst = 4096

// Wedge tells a scanner's burst of keys from a person typing, by key timing
// and the Enter a scanner sends at the end. Feed it every key and call
// Flush now and then (every MaxKeyGap or so) so a person's typing is handed
// back without waiting for their next key. It is not safe for concurrent
// use; the UI calls it from its event thread.
type Wedge struct {
	cfg  WedgeConfig
	buf  []Key
	last time.Time
}

// NewWedge makes a decoder with defaults filled in.
func NewWedge(cfg WedgeConfig) *Wedge {
	if cfg.Source == "" {
		cfg.Source = SourceKeyboard
	}
	if cfg.MaxKeyGap <= 0 {
		cfg.MaxKeyGap = 30 * time.Millisecond
	}
	if cfg.MinLength <= 0 {
		cfg.MinLength = 6
	}
	return &Wedge{cfg: cfg}
}

// Feed takes one key.
func (w *Wedge) Feed(k Key) Decoded {
	var d Decoded
	if len(w.buf) > 0 && k.At.Sub(w.last) > w.cfg.MaxKeyGap {
		d = w.endBurst()
	}
	if k.Enter {
		if w.isBurst(len(w.buf)) {
			d.Scan = w.scan(w.buf, k.At)
		} else {
			d.Typed = append(d.Typed, w.buf...)
			d.Typed = append(d.Typed, k)
		}
		w.buf = w.buf[:0]
		return d
	}
	if len(w.buf) >= maxWedgeBurst {
		// A key stuck down or a runaway device: let the UI see it.
		d.Typed = append(d.Typed, w.buf...)
		w.buf = w.buf[:0]
	}
	w.buf = append(w.buf, k)
	w.last = k.At
	return d
}

// Flush hands back keys that have waited longer than MaxKeyGap: a person's
// typing, or (with NoTerminator) a finished scanner burst.
func (w *Wedge) Flush(now time.Time) Decoded {
	if len(w.buf) == 0 || now.Sub(w.last) <= w.cfg.MaxKeyGap {
		return Decoded{}
	}
	return w.endBurst()
}

// endBurst closes a burst that ended without Enter.
func (w *Wedge) endBurst() Decoded {
	var d Decoded
	if w.cfg.NoTerminator && w.isBurst(len(w.buf)) {
		d.Scan = w.scan(w.buf, w.last)
	} else {
		d.Typed = append([]Key(nil), w.buf...)
	}
	w.buf = w.buf[:0]
	return d
}

// isBurst: every gap in the buffer is already known to be short (a long gap
// ends the burst), so only the length is left to judge.
func (w *Wedge) isBurst(n int) bool { return n >= w.cfg.MinLength }

func (w *Wedge) scan(keys []Key, at time.Time) *Scan {
	runes := make([]rune, len(keys))
	for i, k := range keys {
		runes[i] = k.Rune
	}
	s := classifyTyped(string(runes), w.cfg.Layout)
	s.Source, s.At = w.cfg.Source, at
	if !w.cfg.Cooldown.Allow(s) {
		return nil
	}
	if w.cfg.Bus != nil {
		w.cfg.Bus.Publish(s)
	}
	return &s
}
