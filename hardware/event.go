// Package hardware talks to the till's devices: serial and keyboard-wedge
// scanners, the ESC/POS receipt printer and the cash drawer. Every device
// reports what happens as an Event on a Bus that the app connects to the
// checkout; nothing here knows about the UI or the rest of the till.
package hardware

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Sources name who is holding the scanner, so the checkout can tell a
// customer identifying themselves from the cashier scanning wares.
const (
	SourceCashier  = "cashier"
	SourceCustomer = "customer"
	SourceKeyboard = "keyboard"
)

// ScanKind is what a scanned code was recognised as.
type ScanKind string

const (
	ScanProduct    ScanKind = "product"     // EAN-8/EAN-13/UPC-A/GTIN-14 with a valid check digit
	ScanCustomerQR ScanKind = "customer-qr" // a personal Vipps or MobilePay QR, kept opaque
	ScanUnknown    ScanKind = "unknown"     // anything else; Problem says what it was
)

// Event is anything a device reports: a Scan, a DeviceStatus or Discarded.
type Event interface{ hardwareEvent() }

// Scan is one code read by a scanner.
type Scan struct {
	Kind ScanKind
	// Code is the normalised GTIN for products (see NormaliseGTIN), the QR
	// content exactly as printed for customers, and empty for unknown scans.
	Code    string
	Raw     string // what the device delivered, after framing
	Source  string // SourceCashier, SourceCustomer or SourceKeyboard
	At      time.Time
	Problem string // for ScanUnknown: a message for the cashier naming what was scanned
}

// DeviceStatus reports a device coming and going (unplug, replug).
type DeviceStatus struct {
	Device    string // port or path
	Source    string
	Connected bool
	Err       error // why it went away or could not be opened; nil when connected
	At        time.Time
}

// Discarded reports bytes a scanner sent that did not make a scan: line
// noise, an unfinished code, an over-long frame. Worth a log line, not the
// cashier's attention.
type Discarded struct {
	Device string
	Source string
	Bytes  []byte
	Reason string
	At     time.Time
}

// String is safe for logs: long digit runs (the phone number in a legacy
// Vipps QR) are masked in customer codes and raw text.
func (s Scan) String() string {
	code := s.Code
	if s.Kind != ScanProduct {
		code = maskDigits(code)
	}
	out := fmt.Sprintf("%s scan %q from %s", s.Kind, code, s.Source)
	if s.Problem != "" {
		out += ": " + s.Problem
	}
	return out
}

// String is safe for logs, like Scan.String.
func (d Discarded) String() string {
	return fmt.Sprintf("%s scanner %s: discarded %q: %s", d.Source, d.Device, maskDigits(string(d.Bytes)), d.Reason)
}

func (Scan) hardwareEvent()         {}
func (DeviceStatus) hardwareEvent() {}
func (Discarded) hardwareEvent()    {}

// Bus carries events from devices to the one consumer (the app). Devices
// never wait on it: if the consumer stops reading and the buffer fills,
// new events are dropped and counted rather than freezing a read loop or
// the UI thread that feeds the keyboard-wedge decoder.
type Bus struct {
	ch      chan Event
	dropped atomic.Int64
}

// NewBus makes a bus holding up to size undelivered events (64 if size <= 0).
func NewBus(size int) *Bus {
	if size <= 0 {
		size = 64
	}
	return &Bus{ch: make(chan Event, size)}
}

// Events is the channel the app reads.
func (b *Bus) Events() <-chan Event { return b.ch }

// Publish queues ev without blocking; false means the buffer was full and
// the event was dropped.
func (b *Bus) Publish(ev Event) bool {
	select {
	case b.ch <- ev:
		return true
	default:
		b.dropped.Add(1)
		return false
	}
}

// Dropped is how many events were lost because nobody was reading.
func (b *Bus) Dropped() int64 { return b.dropped.Load() }
