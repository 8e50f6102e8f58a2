package hardware

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/tarm/serial"
)

// Printer prints receipts.
type Printer interface {
	Print(ctx context.Context, r Receipt) error
}

// Drawer opens the cash drawer.
type Drawer interface {
	OpenDrawer(ctx context.Context) error
}

// NopPrinter is the printer of a till without one: receipts go nowhere
// (the customer still gets theirs in the Vipps app).
type NopPrinter struct{}

// NopDrawer is the drawer of a cashless till.
type NopDrawer struct{}

func (NopPrinter) Print(context.Context, Receipt) error { return nil }
func (NopDrawer) OpenDrawer(context.Context) error      { return nil }

// PrinterConfig says where the ESC/POS printer is.
type PrinterConfig struct {
	// Device is a serial port (/dev/ttyS0, /dev/ttyUSB0, COM1) or a device
	// or file path that takes raw bytes (/dev/usb/lp0). Empty: no printer.
	Device string
	// Baud > 0 opens Device as a serial port; 0 does so only for names that
	// look like one (/dev/tty*, COMn) and then uses 9600.
	Baud    int
	Width   int           // characters per line; 42 if zero (80 mm paper)
	Timeout time.Duration // per job, opening included; 5 s if zero
}

// ESCPOS is a receipt printer speaking ESC/POS, with the cash drawer on its
// drawer-kick port. Each job opens the device afresh, so a printer switched
// off and on again (or replugged) just works on the next receipt.
type ESCPOS struct {
	cfg  PrinterConfig
	open func() (io.WriteCloser, error)
	// busy holds a token while a job is writing; a job stuck on a dead
	// printer keeps it, and later jobs give up after their timeout instead
	// of queueing behind it.
	busy chan struct{}
}

// ErrPrinterTimeout is a print job that did not finish in time (printer
// off, out of paper with flow control, cable pulled).
var ErrPrinterTimeout = errors.New("the receipt printer did not respond")

// NewPrinter returns the configured printer, or NopPrinter and NopDrawer
// when none is configured. The same value serves as Printer and Drawer.
func NewPrinter(cfg PrinterConfig) (Printer, Drawer) {
	if cfg.Device == "" {
		return NopPrinter{}, NopDrawer{}
	}
	p := NewESCPOS(cfg, func() (io.WriteCloser, error) { return openPrinterDevice(cfg) })
	return p, p
}

// NewESCPOS makes a printer writing to whatever open returns; NewPrinter
// supplies the device, tests a pipe or buffer.
func NewESCPOS(cfg PrinterConfig, open func() (io.WriteCloser, error)) *ESCPOS {
	if cfg.Width <= 0 {
		cfg.Width = 42
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	p := &ESCPOS{cfg: cfg, open: open, busy: make(chan struct{}, 1)}
	return p
}

// Print prints r and cuts the paper.
func (p *ESCPOS) Print(ctx context.Context, r Receipt) error {
	return p.send(ctx, encodeReceipt(r, p.cfg.Width))
}

// OpenDrawer pulses the drawer port.
func (p *ESCPOS) OpenDrawer(ctx context.Context) error {
	return p.send(ctx, append(bytes.Clone(escInit), escKickDrawer...))
}

// send writes one job within the timeout; it never blocks the caller longer
// than that, whatever the device does.
func (p *ESCPOS) send(ctx context.Context, job []byte) error {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	select {
	case p.busy <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: an earlier job is still stuck", ErrPrinterTimeout)
	}
	var w io.WriteCloser
	opened := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		defer func() { <-p.busy }()
		var err error
		w, err = p.open()
		close(opened)
		if err != nil {
			done <- err
			return
		}
		_, err = w.Write(job)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("receipt printer: %w", err)
		}
		return nil
	case <-ctx.Done():
		// Closing unblocks a write stuck in most drivers; if not, the
		// goroutine holds busy until the OS gives up.
		go func() {
			<-opened
			if w != nil {
				_ = w.Close() // to unblock a stuck write; the caller has its timeout error already
			}
		}()
		return fmt.Errorf("%w within %v", ErrPrinterTimeout, p.cfg.Timeout)
	}
}

func openPrinterDevice(cfg PrinterConfig) (io.WriteCloser, error) {
	if cfg.Baud > 0 || looksSerial(cfg.Device) {
		baud := cfg.Baud
		if baud == 0 {
			baud = 9600
		}
		return serial.OpenPort(&serial.Config{Name: cfg.Device, Baud: baud})
	}
	return os.OpenFile(cfg.Device, os.O_WRONLY|os.O_APPEND, 0)
}

func looksSerial(dev string) bool {
	return strings.HasPrefix(dev, "/dev/tty") || strings.HasPrefix(strings.ToUpper(dev), "COM")
}

// TextPrinter prints preformatted text, such as an X or Z report laid out
// for the paper width. NopPrinter and ESCPOS both are one.
type TextPrinter interface {
	PrintText(ctx context.Context, text string) error
}

// PrintText does nothing: there is no printer.
func (NopPrinter) PrintText(context.Context, string) error { return nil }

// PrintText prints text line by line in code page 865, then cuts.
func (p *ESCPOS) PrintText(ctx context.Context, text string) error {
	return p.send(ctx, encodeText(text, p.cfg.Width))
}
