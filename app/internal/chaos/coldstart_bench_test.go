package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkColdStart: from exec to the cashier window mapped on the X
// server (xdotool sees it visible), and the resident memory 2 s later
// with the till idle, each beside a bare one-window Fyne program built in
// the same run. Both run under a private Xvfb with software GL.
func BenchmarkColdStart(b *testing.B) {
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s not installed (make test-deps)", tool)
		}
	}
	dir := b.TempDir()
	kasse, bare := filepath.Join(dir, "kasse"), filepath.Join(dir, "barefyne")
	root, err := moduleRoot()
	if err != nil {
		b.Fatal(err)
	}
	for bin, pkg := range map[string]string{kasse: ".", bare: "./app/internal/chaos/barefyne"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	display := startXvfb(b)
	data := filepath.Join(dir, "data")
	kasseCmd := []string{kasse, "--data-dir", data, "--lang", "en"}
	bareCmd := []string{bare}
	// The till's first start creates its database; a cold start is every
	// start after that, with nothing of kasse in memory.
	if _, _, err := startToWindow(display, kasseCmd, "^kasse — ", false); err != nil {
		b.Fatal(err)
	}
	var kStart, bStart time.Duration
	var kRSS, bRSS int64
	for b.Loop() {
		d, rss, err := startToWindow(display, kasseCmd, "^kasse — ", true)
		if err != nil {
			b.Fatal(err)
		}
		kStart, kRSS = kStart+d, kRSS+rss
		d, rss, err = startToWindow(display, bareCmd, "^bare fyne window$", true)
		if err != nil {
			b.Fatal(err)
		}
		bStart, bRSS = bStart+d, bRSS+rss
	}
	n := float64(b.N)
	b.ReportMetric(float64(kStart.Milliseconds())/n, "kasse-start-ms")
	b.ReportMetric(float64(bStart.Milliseconds())/n, "bare-start-ms")
	b.ReportMetric(float64(kStart)/float64(bStart), "start-ratio")
	b.ReportMetric(float64(kRSS)/n/1024, "kasse-idle-rss-MB")
	b.ReportMetric(float64(bRSS)/n/1024, "bare-idle-rss-MB")
	b.ReportMetric(float64(kRSS)/float64(bRSS), "rss-ratio")
}

// startToWindow runs argv on display until a visible window named like
// title appears; with rss, it then idles 2 s and reads VmRSS (kB).
func startToWindow(display string, argv []string, title string, rss bool) (time.Duration, int64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "LIBGL_ALWAYS_SOFTWARE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	for {
		find := exec.Command("xdotool", "search", "--onlyvisible", "--name", title)
		find.Env = append(os.Environ(), "DISPLAY="+display)
		if ids, err := find.Output(); err == nil && len(bytes.TrimSpace(ids)) > 0 {
			break
		}
		if time.Since(start) > 60*time.Second {
			return 0, 0, fmt.Errorf("%s: no window %q after 60 s:\n%s", argv[0], title, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	if !rss {
		return took, 0, nil
	}
	time.Sleep(2 * time.Second) // idle, as a till between customers
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(st), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return took, kb, err
		}
	}
	return 0, 0, fmt.Errorf("no VmRSS for %s", argv[0])
}

// startXvfb starts a private X server and returns its DISPLAY. -noreset:
// without it Xvfb resets when its last client disconnects, and the next
// start measured finds the server gone.
func startXvfb(b *testing.B) string {
	for n := 90; n < 190; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, "Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp", "-noreset")
		if err := cmd.Start(); err != nil {
			cancel()
			b.Fatal(err)
		}
		b.Cleanup(func() { cancel(); _ = cmd.Wait() })
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return display
			}
		}
		b.Fatalf("Xvfb %s did not start", display)
	}
	b.Fatal("no free X display")
	return ""
}
