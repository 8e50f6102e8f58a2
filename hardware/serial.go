package hardware

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/tarm/serial"
)

// SerialConfig is one scanner on a serial port (USB-CDC shows up as
// /dev/ttyACM0 on Linux, COMn on Windows).
type SerialConfig struct {
	Port   string
	Baud   int    // 9600 if zero
	Suffix string // see ParseSuffix; "" accepts CR, LF and CRLF
	Source string // SourceCashier or SourceCustomer; SourceCashier if empty

	ReadTimeout  time.Duration // how long one read waits for bytes; 100 ms if zero
	FrameTimeout time.Duration // an unfinished code is dropped after this quiet time; 1 s if zero
	MaxLength    int           // longest code in bytes; 2048 if zero
	// Reopening a port that is not there costs one failed open(2), so the
	// backoff stays short: a replugged scanner is back within MaxBackoff.
	MinBackoff time.Duration // first wait before reopening a lost port; 50 ms if zero
	MaxBackoff time.Duration // longest wait between reopen attempts; 500 ms if zero

	Cooldown *Cooldown        // nil: no duplicate suppression
	Now      func() time.Time // time.Now if nil
}

// baudRates are the rates serial scanners use (and tarm/serial accepts on
// every platform).
var baudRates = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600}

// SerialScanner reads codes from one serial scanner and publishes them on a
// Bus. It survives the scanner being unplugged: the port is reopened with
// backoff until it comes back.
type SerialScanner struct {
	cfg    SerialConfig
	suffix []byte
	bus    *Bus
}

// NewSerialScanner checks the configuration; Run does the work.
func NewSerialScanner(cfg SerialConfig, bus *Bus) (*SerialScanner, error) {
	if cfg.Port == "" {
		return nil, errors.New("scanner: no serial port configured")
	}
	suffix, err := ParseSuffix(cfg.Suffix)
	if err != nil {
		return nil, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if cfg.Baud == 0 {
		cfg.Baud = 9600
	}
	if !slices.Contains(baudRates, cfg.Baud) {
		return nil, fmt.Errorf("scanner on %s: %d is not a serial baud rate", cfg.Port, cfg.Baud)
	}
	if cfg.Source == "" {
		cfg.Source = SourceCashier
	}
	def(&cfg.ReadTimeout, 100*time.Millisecond)
	def(&cfg.FrameTimeout, time.Second)
	def(&cfg.MinBackoff, 50*time.Millisecond)
	def(&cfg.MaxBackoff, 500*time.Millisecond)
	if cfg.MaxLength <= 0 {
		cfg.MaxLength = 2048
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &SerialScanner{cfg: cfg, suffix: suffix, bus: bus}, nil
}

// Run reads until ctx is done, reopening the port whenever it is lost.
// It publishes DeviceStatus when the scanner comes and goes (once per
// change, not per failed attempt).
func (s *SerialScanner) Run(ctx context.Context) {
	backoff := s.cfg.MinBackoff
	toldAbsent := false // the consumer already knows the scanner is not there
	for ctx.Err() == nil {
		port, info, err := s.open()
		if err != nil {
			if !toldAbsent {
				s.status(false, err)
				toldAbsent = true
			}
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, s.cfg.MaxBackoff)
			continue
		}
		backoff = s.cfg.MinBackoff
		s.status(true, nil)
		err = s.read(ctx, port, info)
		_ = port.Close() // the read loop has ended: the device is gone or the till stops
		if ctx.Err() != nil {
			return
		}
		s.status(false, err)
		toldAbsent = true
		if !sleep(ctx, backoff) {
			return
		}
	}
}

func (s *SerialScanner) open() (io.ReadCloser, os.FileInfo, error) {
	port, err := serial.OpenPort(&serial.Config{Name: s.cfg.Port, Baud: s.cfg.Baud, ReadTimeout: s.cfg.ReadTimeout})
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", s.cfg.Port, err)
	}
	info, err := os.Stat(s.cfg.Port)
	if err != nil { // gone again already; or a platform without device files
		info = nil
	}
	return port, info, nil
}

// read runs one connection. tarm/serial returns io.EOF with no bytes when
// ReadTimeout passes in silence, which is the normal idle state of a
// scanner, so EOF alone says nothing. The port is given up when the device
// node is gone or replaced (USB unplug: /dev/ttyACM0 disappears, and
// returns as a new node on replug), when reads fail with a real error
// (EIO), or when "timeouts" come back far faster than ReadTimeout, which is
// what a hung-up line looks like.
func (s *SerialScanner) read(ctx context.Context, port io.Reader, info os.FileInfo) error {
	f := &framer{suffix: s.suffix, maxLen: s.cfg.MaxLength, frameTimeout: s.cfg.FrameTimeout}
	buf := make([]byte, 512)
	fastEOFs := 0
	for ctx.Err() == nil {
		start := time.Now()
		n, err := port.Read(buf)
		now := s.cfg.Now()
		if n > 0 {
			fastEOFs = 0
			s.publishFrames(f.feed(buf[:n], now), now)
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			s.lostMidCode(f, now)
			return err // an *os.PathError naming the port
		}
		s.publishFrames(f.tick(now), now)
		if gone := s.gone(info); gone != nil {
			s.lostMidCode(f, now)
			return gone
		}
		if time.Since(start) < s.cfg.ReadTimeout/4 {
			if fastEOFs++; fastEOFs >= 10 {
				s.lostMidCode(f, now)
				return fmt.Errorf("%s hung up", s.cfg.Port)
			}
		} else {
			fastEOFs = 0
		}
	}
	return ctx.Err()
}

// gone says whether the device node we opened is no longer there.
func (s *SerialScanner) gone(opened os.FileInfo) error {
	if opened == nil {
		return nil
	}
	now, err := os.Stat(s.cfg.Port)
	if err != nil {
		return fmt.Errorf("%s was unplugged", s.cfg.Port)
	}
	if !os.SameFile(opened, now) {
		return fmt.Errorf("%s was replaced by another device", s.cfg.Port)
	}
	return nil
}

func (s *SerialScanner) lostMidCode(f *framer, now time.Time) {
	if p := f.pending(); len(p) > 0 {
		s.bus.Publish(Discarded{Device: s.cfg.Port, Source: s.cfg.Source, Bytes: p, Reason: "the scanner went away in the middle of a code", At: now})
	}
}

func (s *SerialScanner) publishFrames(frames []frame, now time.Time) {
	for _, fr := range frames {
		if fr.reason != "" {
			s.bus.Publish(Discarded{Device: s.cfg.Port, Source: s.cfg.Source, Bytes: fr.junk, Reason: fr.reason, At: now})
			continue
		}
		sc := Classify(fr.text)
		if fr.damaged {
			sc = Scan{Kind: ScanUnknown, Raw: fr.text,
				Problem: fmt.Sprintf("a damaged code from the %s scanner (it contains unreadable bytes): %s", s.cfg.Source, shown(fr.text))}
		}
		sc.Source, sc.At = s.cfg.Source, now
		if s.cfg.Cooldown.Allow(sc) {
			s.bus.Publish(sc)
		}
	}
}

func (s *SerialScanner) status(connected bool, err error) {
	s.bus.Publish(DeviceStatus{Device: s.cfg.Port, Source: s.cfg.Source, Connected: connected, Err: err, At: s.cfg.Now()})
}

// sleep waits d or until ctx is done; false means ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// RunScanners runs every scanner until ctx is done; several scanners (the
// cashier's and the customer-facing one) share one bus.
func RunScanners(ctx context.Context, bus *Bus, cfgs ...SerialConfig) (wait func(), err error) {
	scanners := make([]*SerialScanner, len(cfgs))
	for i, c := range cfgs {
		if scanners[i], err = NewSerialScanner(c, bus); err != nil {
			return nil, err
		}
	}
	var wg sync.WaitGroup
	for _, s := range scanners {
		wg.Go(func() { s.Run(ctx) })
	}
	return wg.Wait, nil
}
