package hardware

import (
	"sync"
	"time"
)

// Cooldown suppresses the same code read again by the same source: a
// presentation scanner re-reads a phone held in front of it many times a
// second. The window slides: it runs from the last time the code was seen,
// so a code held in front of the scanner stays suppressed until it has been
// away for a whole window (what scanner makers call "reread delay").
// Products get their own, shorter window because a cashier really does scan
// three identical cartons of milk in quick succession.
type Cooldown struct {
	Window        time.Duration // customer QR and unknown scans; 0: no cooldown
	ProductWindow time.Duration // product scans; 0: no cooldown
	Now           func() time.Time

	mu   sync.Mutex
	seen map[cooldownKey]time.Time
}

type cooldownKey struct{ source, code string }

// DefaultCooldown is tuned for handheld and presentation scanners alike.
func DefaultCooldown() *Cooldown {
	return &Cooldown{Window: 2 * time.Second, ProductWindow: 300 * time.Millisecond}
}

// Allow reports whether s is new, and remembers it either way.
func (c *Cooldown) Allow(s Scan) bool {
	if c == nil {
		return true
	}
	window := c.Window
	if s.Kind == ScanProduct {
		window = c.ProductWindow
	}
	if window <= 0 {
		return true
	}
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	code := s.Code
	if code == "" {
		code = s.Raw
	}
	key := cooldownKey{s.Source, code}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[cooldownKey]time.Time)
	}
	last, ok := c.seen[key]
	c.seen[key] = now
	if len(c.seen) > 256 {
		c.forget(now)
	}
	return !ok || now.Sub(last) >= window || now.Before(last)
}

// forget drops codes whose window has passed so the map stays small.
func (c *Cooldown) forget(now time.Time) {
	max := c.Window
	if c.ProductWindow > max {
		max = c.ProductWindow
	}
	for k, t := range c.seen {
		if now.Sub(t) >= max {
			delete(c.seen, k)
		}
	}
}
