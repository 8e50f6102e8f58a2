package hardware

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ptyPair is a socat-made pair of pseudo-terminals standing in for a USB
// serial scanner: the scanner under test opens Device, the test writes what
// the scanner would send into Host. Stopping socat removes both links,
// which is what unplugging a USB-CDC scanner looks like to the till.
type ptyPair struct {
	t            testing.TB
	Device, Host string
	cmd          *exec.Cmd
}

func newPtyPair(t testing.TB) *ptyPair {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("socat is missing; CI must install it (make test-deps)")
		}
		t.Skip("socat is not installed (apt-get install socat); the serial scanner tests need its pseudo-terminal pairs")
	}
	dir := t.TempDir()
	p := &ptyPair{t: t, Device: filepath.Join(dir, "scanner"), Host: filepath.Join(dir, "host")}
	p.plug()
	t.Cleanup(p.unplug)
	return p
}

// plug starts socat and waits until it says it is passing data: by then
// both ptys exist and are in raw mode (the links appear a little earlier,
// before the line settings are applied).
func (p *ptyPair) plug() {
	p.t.Helper()
	p.cmd = exec.Command("socat", "-d", "-d", "pty,raw,echo=0,link="+p.Device, "pty,raw,echo=0,link="+p.Host)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start socat: %v", err)
	}
	ready := make(chan struct{})
	go func() {
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			if strings.Contains(lines.Text(), "starting data transfer loop") {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		p.t.Fatalf("socat did not create %s and %s", p.Device, p.Host)
	}
}

// unplug stops socat; it removes its links on the way out.
func (p *ptyPair) unplug() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
	p.cmd = nil
}

// send writes each piece separately, as a scanner's USB packets would.
func (p *ptyPair) send(pieces ...string) {
	p.t.Helper()
	f, err := os.OpenFile(p.Host, os.O_WRONLY, 0)
	if err != nil {
		p.t.Fatalf("open host side: %v", err)
	}
	defer f.Close()
	for _, s := range pieces {
		if _, err := f.WriteString(s); err != nil {
			p.t.Fatalf("write: %v", err)
		}
	}
}

// testScanner runs a serial scanner on dev with short timeouts, as tests
// can't wait for production backoffs.
func testScanner(t *testing.T, dev, suffix, source string) *Bus {
	t.Helper()
	bus := NewBus(256)
	s, err := NewSerialScanner(SerialConfig{
		Port: dev, Suffix: suffix, Source: source,
		ReadTimeout: 20 * time.Millisecond, FrameTimeout: 300 * time.Millisecond, MaxLength: 64,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	}, bus)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return bus
}

// next waits for the next event of type E, failing on anything else that
// is not a DeviceStatus (those are checked where they matter).
func next[E Event](t *testing.T, bus *Bus) E {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-bus.Events():
			if e, ok := ev.(E); ok {
				return e
			}
			if _, ok := ev.(DeviceStatus); !ok {
				t.Fatalf("unexpected event %#v", ev)
			}
		case <-timeout:
			var zero E
			t.Fatalf("no %T within 5 s", zero)
		}
	}
}

func waitConnected(t testing.TB, bus *Bus, want bool) DeviceStatus {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-bus.Events():
			if st, ok := ev.(DeviceStatus); ok && st.Connected == want {
				return st
			}
		case <-timeout:
			t.Fatalf("scanner never became connected=%v", want)
		}
	}
}

func TestSerialScannerFramingVariants(t *testing.T) {
	tests := []struct {
		suffix string
		pieces []string
		codes  []string
	}{
		{"CR", []string{"7038010055683\r"}, []string{"7038010055683"}},
		{"LF", []string{"7038010055683\n96385074\n"}, []string{"7038010055683", "0000096385074"}},
		{"CRLF", []string{"https://qr.vipps.no/28/2/01/031/4791234567?v=1\r\n"}, []string{legacyQR}},
		{"", []string{"7038010055683\r\n", "96385074\n", "036000291452\r"}, []string{"7038010055683", "0000096385074", "0036000291452"}},
		{`\x03`, []string{"\x02https://qr.vipps.no/p/tok3n\x03"}, []string{"https://qr.vipps.no/p/tok3n"}},
		// A code split across USB packets must arrive whole.
		{"CR", []string{"703", "8010", "05568", "3", "\r"}, []string{"7038010055683"}},
		{"CRLF", []string{"https://qr.vipps.no/p/", "abc\r", "\n"}, []string{"https://qr.vipps.no/p/abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.suffix+"/"+strings.Join(tt.pieces, "|"), func(t *testing.T) {
			t.Parallel()
			p := newPtyPair(t)
			bus := testScanner(t, p.Device, tt.suffix, SourceCustomer)
			waitConnected(t, bus, true)
			p.send(tt.pieces...)
			for _, want := range tt.codes {
				if tt.suffix == `\x03` {
					next[Discarded](t, bus) // the STX before the code
				}
				s := next[Scan](t, bus)
				if s.Code != want || s.Source != SourceCustomer || s.Kind == ScanUnknown {
					t.Fatalf("scan %+v, want %s from the customer scanner", s, want)
				}
			}
		})
	}
}

func TestSerialScannerReportsGarbageAndKeepsScanning(t *testing.T) {
	p := newPtyPair(t)
	bus := testScanner(t, p.Device, "CR", SourceCashier)
	waitConnected(t, bus, true)

	p.send("\x00\xff\x00", "7038010055683\r")
	if d := next[Discarded](t, bus); d.Reason != "line noise" || string(d.Bytes) != "\x00\xff\x00" {
		t.Fatalf("discarded %+v", d)
	}
	if s := next[Scan](t, bus); s.Code != "7038010055683" {
		t.Fatalf("the code after the noise was lost: %+v", s)
	}

	p.send("703801\x1b0055683\r")
	if s := next[Scan](t, bus); s.Kind != ScanUnknown || !strings.Contains(s.Problem, `damaged code from the cashier scanner`) || !strings.Contains(s.Problem, `703801\x1b0055683`) {
		t.Fatalf("a damaged code must be reported to the cashier: %+v", s)
	}

	p.send(strings.Repeat("A", 100) + "\r96385074\r")
	if d := next[Discarded](t, bus); !strings.Contains(d.Reason, "longer than 64 bytes") {
		t.Fatalf("discarded %+v", d)
	}
	if s := next[Scan](t, bus); s.Code != "0000096385074" {
		t.Fatalf("scan after an over-long frame: %+v", s)
	}

	p.send("12345") // and nothing more: the scanner was interrupted
	if d := next[Discarded](t, bus); !strings.Contains(d.Reason, "unfinished code") || string(d.Bytes) != "12345" {
		t.Fatalf("discarded %+v", d)
	}
	p.send("7038010055683\r")
	if s := next[Scan](t, bus); s.Code != "7038010055683" {
		t.Fatalf("scan after an interrupted code: %+v", s)
	}
}

func TestSerialScannerSurvivesUnplugAndReplug(t *testing.T) {
	p := newPtyPair(t)
	bus := testScanner(t, p.Device, "CR", SourceCustomer)
	waitConnected(t, bus, true)
	p.send("7038010055683\r")
	next[Scan](t, bus)

	for round := 1; round <= 3; round++ {
		p.unplug()
		st := waitConnected(t, bus, false)
		if st.Err == nil {
			t.Fatalf("round %d: a disconnect must say why", round)
		}
		t.Logf("round %d: unplug seen as %q", round, st.Err)
		plugged := time.Now()
		p.plug()
		// Exactly one status per change: the failed reopen attempts while
		// the scanner was away must not flood the till with statuses.
		if st := next[DeviceStatus](t, bus); !st.Connected {
			t.Fatalf("round %d: another 'disconnected' (%v) before the replug was seen", round, st.Err)
		}
		t.Logf("round %d: reconnected %v after the port reappeared (backoff 5-20 ms)", round, time.Since(plugged).Round(time.Millisecond))
		p.send("https://qr.vipps.no/p/round", string(rune('0'+round)), "\r")
		if s := next[Scan](t, bus); s.Kind != ScanCustomerQR || !strings.HasSuffix(s.Code, string(rune('0'+round))) {
			t.Fatalf("round %d: scan after replug %+v", round, s)
		}
	}
}

func TestTwoSerialScannersAtOnce(t *testing.T) {
	cashierPty, customerPty := newPtyPair(t), newPtyPair(t)
	bus := NewBus(64)
	ctx, cancel := context.WithCancel(context.Background())
	wait, err := RunScanners(ctx, bus,
		SerialConfig{Port: cashierPty.Device, Source: SourceCashier, ReadTimeout: 20 * time.Millisecond},
		SerialConfig{Port: customerPty.Device, Source: SourceCustomer, Suffix: "CRLF", ReadTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); wait() })
	waitConnected(t, bus, true)
	waitConnected(t, bus, true)
	cashierPty.send("7038010055683\r")
	customerPty.send(legacyQR + "\r\n")
	got := map[string]Scan{}
	for range 2 {
		s := next[Scan](t, bus)
		got[s.Source] = s
	}
	if got[SourceCashier].Code != "7038010055683" || got[SourceCustomer].Code != legacyQR {
		t.Fatalf("scans by source: %+v", got)
	}
}

func TestRunScannersRejectsAMisconfiguredScanner(t *testing.T) {
	for _, c := range []SerialConfig{{Port: "/dev/null", Suffix: `\q`}, {Port: "/dev/null", Baud: 9601}, {Suffix: "CR"}} {
		if _, err := RunScanners(context.Background(), NewBus(1), c); err == nil {
			t.Errorf("%+v: a misconfigured scanner must be reported at start-up", c)
		}
	}
}

func TestSerialScannerReportsAPortThatIsNotThere(t *testing.T) {
	bus := testScanner(t, filepath.Join(t.TempDir(), "ttyACM9"), "CR", SourceCashier)
	st := waitConnected(t, bus, false)
	if st.Err == nil || !strings.Contains(st.Err.Error(), "ttyACM9") {
		t.Fatalf("status %+v must name the missing port", st)
	}
}

// BenchmarkSerialReconnect measures how long a scanner is gone after it is
// plugged back in, with the production backoff, after an unplug long enough
// for the backoff to reach its cap (the usual case: someone finds the cable,
// then plugs it in). Run: go test ./hardware -run '^$' -bench SerialReconnect -benchtime 5x
func BenchmarkSerialReconnect(b *testing.B) {
	p := newPtyPair(b)
	bus := NewBus(64)
	s, err := NewSerialScanner(SerialConfig{Port: p.Device}, bus)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitConnected(b, bus, true)
	var total time.Duration
	for b.Loop() {
		p.unplug()
		waitConnected(b, bus, false)
		time.Sleep(2 * time.Second) // the cable is out for a while
		start := time.Now()
		p.plug()
		waitConnected(b, bus, true)
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/reconnect")
}
