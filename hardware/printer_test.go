package hardware

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestUnconfiguredPrinterAndDrawerDoNothing(t *testing.T) {
	p, d := NewPrinter(PrinterConfig{})
	if err := p.Print(context.Background(), sampleReceipt()); err != nil {
		t.Fatal(err)
	}
	if err := d.OpenDrawer(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPrinterWritesToADevicePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lp0")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p, d := NewPrinter(PrinterConfig{Device: path})
	ctx := context.Background()
	if err := p.Print(ctx, sampleReceipt()); err != nil {
		t.Fatal(err)
	}
	if err := d.OpenDrawer(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := append(encodeReceipt(sampleReceipt(), 42), 0x1b, '@', 0x1b, 'p', 0, 25, 250)
	if !bytes.Equal(got, want) {
		t.Fatalf("device got %d bytes, want the receipt then the drawer kick (%d bytes)", len(got), len(want))
	}
}

func TestPrinterReportsAMissingDevice(t *testing.T) {
	p, _ := NewPrinter(PrinterConfig{Device: filepath.Join(t.TempDir(), "usb", "lp0")})
	if err := p.Print(context.Background(), sampleReceipt()); err == nil {
		t.Fatal("printing to a printer that is not there must fail")
	}
}

func TestPrinterOverSerial(t *testing.T) {
	pty := newPtyPair(t)
	host, err := os.Open(pty.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	received := make(chan []byte)
	want := encodeReceipt(sampleReceipt(), 42)
	go func() {
		b := make([]byte, len(want))
		_, _ = io.ReadFull(host, b)
		received <- b
	}()
	p, _ := NewPrinter(PrinterConfig{Device: pty.Device, Baud: 115200})
	if err := p.Print(context.Background(), sampleReceipt()); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-received:
		if !bytes.Equal(got, want) {
			t.Fatal("the serial printer received different bytes than were encoded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing arrived at the serial printer")
	}
}

func TestAStuckPrinterNeverFreezesTheTill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The first connection accepts no bytes, like a printer with its
		// lid open and hardware flow control on; later ones work.
		r, stuck := io.Pipe()
		defer r.Close()
		var opens atomic.Int32
		p := NewESCPOS(PrinterConfig{Timeout: 3 * time.Second}, func() (io.WriteCloser, error) {
			if opens.Add(1) == 1 {
				return stuck, nil
			}
			return nopCloser{io.Discard}, nil
		})
		start := time.Now()
		err := p.Print(context.Background(), sampleReceipt())
		if !errors.Is(err, ErrPrinterTimeout) || time.Since(start) != 3*time.Second {
			t.Fatalf("Print returned %v after %v; want a timeout after 3s", err, time.Since(start))
		}
		// Closing the stuck connection freed the printer: the drawer opens.
		if err := p.OpenDrawer(context.Background()); err != nil {
			t.Fatalf("drawer after a timed-out receipt: %v", err)
		}
	})
}

func TestAJobBehindAStuckOneGivesUpToo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		block := make(chan struct{})
		p := NewESCPOS(PrinterConfig{Timeout: time.Second}, func() (io.WriteCloser, error) {
			<-block // an open() that hangs (a USB printer mid-reset)
			return nopCloser{io.Discard}, nil
		})
		if err := p.Print(context.Background(), sampleReceipt()); !errors.Is(err, ErrPrinterTimeout) {
			t.Fatalf("first job: %v", err)
		}
		start := time.Now()
		if err := p.OpenDrawer(context.Background()); !errors.Is(err, ErrPrinterTimeout) || time.Since(start) != time.Second {
			t.Fatalf("second job: %v after %v; want a timeout after 1s", err, time.Since(start))
		}
		close(block)
		synctest.Wait()
		if err := p.OpenDrawer(context.Background()); err != nil {
			t.Fatalf("once the device answers again: %v", err)
		}
	})
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
