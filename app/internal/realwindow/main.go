// Command realwindow plays sales on the real till in a real X server, as a
// person would: it starts bin/kasse in demo mode, types the cashier's PIN
// on the keyboard, scans with a serial scanner (a pseudo-terminal), and taps the buttons
// with xdotool where the windows say they draw them (KASSE_UI_MAP). After
// each sale it reads the till's database and checks what was stored, and it
// saves screenshots. Run it under Xvfb through .ci/real-window.
//
//	realwindow -bin bin/kasse -out DIR [-kiosk] [-w 1024 -h 768]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/ui"
)

var (
	bin   = flag.String("bin", "bin/kasse", "the till program")
	out   = flag.String("out", "", "directory for screenshots (and the till's data)")
	kiosk = flag.Bool("kiosk", false, "run the till in kiosk mode")
	lang  = flag.String("lang", "nb", "cashier language")
	scrW  = flag.Int("w", 1024, "screen width")
	scrH  = flag.Int("h", 768, "screen height")
	dispX = flag.Int("display-x", -1, "where the customer display opens (default: the middle of the screen)")
	// The README's three pictures: the windows side by side on a wide screen.
	readme = flag.String("readme", "", "also save the README's screenshots (1-enrolment, 2-payment-waiting, 3-paid, 4-club-savings) here")
)

const (
	kariQR = "https://qr.vipps.no/28/2/01/031/4791234567?v=1"
	milk   = "7038800010014"
	bread  = "7038800010755"
)

type player struct {
	data       string
	db         *store.DB
	ids        map[string]string // window name → X window id
	serialIn   string            // what is written here the serial scanner reads
	readmeDone map[string]bool
	step       int
	failed     []string
}

func main() {
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required")
	}
	p := &player{data: filepath.Join(*out, "data"), ids: map[string]string{}}
	if err := os.MkdirAll(p.data, 0o700); err != nil {
		log.Fatal(err)
	}
	// A serial scanner on a pseudo-terminal, as a USB scanner is.
	serial := filepath.Join(*out, "scanner")
	p.serialIn = serial + "-in"
	socat := exec.Command("socat", "pty,raw,echo=0,link="+serial, "pty,raw,echo=0,link="+p.serialIn)
	if err := socat.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = socat.Process.Kill(); _, _ = socat.Process.Wait() }()
	for i := 0; i < 50; i++ {
		if _, err := os.Stat(p.serialIn); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if *dispX < 0 {
		*dispX = *scrW / 2
	}
	cfg := fmt.Sprintf(`{"demo":true,"lang":%q,"customerDisplay":{"x":%d,"y":0},"scanners":[{"name":"cashier","port":%q,"suffix":"CR"}]}`,
		*lang, *dispX, serial)
	if err := os.WriteFile(filepath.Join(p.data, "config.json"), []byte(cfg), 0o600); err != nil {
		log.Fatal(err)
	}
	args := []string{"--demo"}
	if *kiosk {
		args = append(args, "--kiosk")
	}
	cmd := exec.Command(*bin, args...)
	cmd.Env = append(os.Environ(), "KASSE_DATA_DIR="+p.data, "KASSE_UI_MAP="+filepath.Join(*out, "controls.json"), "FYNE_SCALE=1")
	logf, _ := os.Create(filepath.Join(*out, "till.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() }()

	err := p.play()
	if err == nil && len(p.failed) > 0 {
		err = errors.New(strings.Join(p.failed, "\n"))
	}
	if err != nil {
		p.shot("failed")
		fmt.Fprintf(os.Stderr, "realwindow %dx%d: FAIL\n%v\n", *scrW, *scrH, err)
		os.Exit(1)
	}
	fmt.Printf("realwindow %dx%d kiosk=%v: ok (screenshots in %s)\n", *scrW, *scrH, *kiosk, *out)
}

func (p *player) play() error {
	ctx := context.Background()
	// The windows are up when they draw their controls.
	if _, err := p.await("the login screen", func(m map[string]ui.Control) bool { return has(m, "login.button") }); err != nil {
		return err
	}
	for _, w := range []string{"cashier", "phone", "customer"} {
		pattern := map[string]string{"cashier": "^kasse — ", "phone": `\(demo\)$`, "customer": "(kundeskjerm|customer display|kundeskærm|asiakasnäyttö)$"}[w]
		id, err := xdo("search", "--onlyvisible", "--name", pattern)
		if err != nil {
			return fmt.Errorf("finding the %s window: %w", w, err)
		}
		p.ids[w] = strings.Fields(id)[0]
	}
	if !*kiosk {
		_, _ = xdo("windowsize", p.ids["cashier"], strconv.Itoa(min(*scrW, 1024)), strconv.Itoa(min(*scrH, 768)))
		_, _ = xdo("windowmove", p.ids["cashier"], "0", "0")
	}
	_, _ = xdo("windowmove", p.ids["phone"], strconv.Itoa(*scrW-420), "0")
	_, _ = xdo("windowsize", p.ids["phone"], "400", strconv.Itoa(min(*scrH, 700)))
	time.Sleep(time.Second)

	// The PIN on the hardware keyboard: it must reach the PIN pad.
	if err := p.tap("login.name." + "Demo Manager"); err != nil {
		return err
	}
	p.keys(200*time.Millisecond, "1234")
	p.key("Return")
	if _, err := p.await("logged in", func(m map[string]ui.Control) bool { return !has(m, "login.button") && has(m, "key.4") }); err != nil {
		return err
	}
	// The cashier starts with a change float of 1500.
	if _, err := p.await("the change float", func(m map[string]ui.Control) bool { return has(m, "dialog.cash.save") }); err != nil {
		return err
	}
	p.keys(100*time.Millisecond, "1500")
	if err := p.tap("dialog.cash.save"); err != nil {
		return err
	}
	if _, err := p.await("the float saved", func(m map[string]ui.Control) bool { return !has(m, "dialog.cash.save") }); err != nil {
		return err
	}
	p.shot("login")
	var err error
	if p.db, err = store.Open(filepath.Join(p.data, "kasse.db")); err != nil {
		return err
	}
	defer p.db.Close()

	// An enrolment, then a member sale with a quantity typed on the keypad.
	// Before she joins, both screens say what joining saves today; once
	// she has, the member prices apply to the sale in progress.
	p.scan(milk, bread, kariQR)
	if _, err := p.await("the Enrol button", func(m map[string]ui.Control) bool { return has(m, "enrol") }); err != nil {
		return err
	}
	p.saved(ctx, "guest prices", 0)
	p.shot("club-join")
	if err := p.tap("enrol"); err != nil {
		return err
	}
	if _, err := p.await("the consent request", func(m map[string]ui.Control) bool { return has(m, "phone.login.approve") }); err != nil {
		return err
	}
	p.readmeShot("1-enrolment")
	if err := p.tap("phone.login.approve"); err != nil {
		return err
	}
	p.saved(ctx, "member prices after enrolling", demoMemberSaving)
	p.readmeShot("4-club-savings")
	p.shot("enrolled")
	if err := p.pay("approve"); err != nil {
		return err
	}
	p.check(ctx, "enrolment sale", flow.StagePaid, flow.PaymentAuthorized, true, 2, 0)
	time.Sleep(2 * time.Second) // receipt and capture
	p.readmeShot("3-paid")
	p.shot("paid")
	if err := p.tap("newsale"); err != nil {
		return err
	}
	p.scan(kariQR)
	p.tapKeys("3×" + milk + "E")
	p.check(ctx, "member sale, tapped", flow.StageOpen, "", true, 1, 3)
	if err := p.pay("approve"); err != nil {
		return err
	}
	p.check(ctx, "member sale", flow.StagePaid, flow.PaymentAuthorized, true, 1, 3)
	_ = p.tap("newsale")
	if err := p.tenders(ctx); err != nil {
		return err
	}

	// A decline, with a long notice showing meanwhile, then a cancel, then void.
	p.scan(bread, kariQR)
	p.scan("7000000000003") // unknown: a notice that wraps
	p.tapKeys("2E")         // the last line's quantity, tapped below the notice
	p.check(ctx, "quantity under a notice", flow.StageOpen, "", true, 1, 2)
	if err := p.pay("decline"); err != nil {
		return err
	}
	p.check(ctx, "declined", flow.StageOpen, flow.PaymentDeclined, true, 1, 2)
	p.shot("declined")
	if err := p.tap("request"); err != nil {
		return err
	}
	if _, err := p.await("phone request", func(m map[string]ui.Control) bool { return has(m, "phone.payment.approve") }); err != nil {
		return err
	}
	if err := p.tap("cancel"); err != nil {
		return err
	}
	if _, err := p.await("cancelled", func(m map[string]ui.Control) bool { return has(m, "void") }); err != nil {
		return err
	}
	p.check(ctx, "cancelled", flow.StageOpen, flow.PaymentCancelled, true, 1, 2)
	p.shot("cancelled")
	if err := p.void(); err != nil {
		return err
	}
	p.check(ctx, "voided", flow.StageCancelled, flow.PaymentCancelled, true, 1, 2)

	// A 30-line basket: the newest line stays in view.
	gtins, err := p.catalogue(ctx, 30)
	if err != nil {
		return err
	}
	if err := p.serialScan(gtins...); err != nil {
		return err
	}
	p.check(ctx, "30 lines", flow.StageOpen, "", false, 30, 0)
	p.shot("basket")
	return p.void()
}

// tenders pays a sale in cash with change (a 50 note for 24.90), then a
// split: 20 in cash typed on the cash keypad, the rest by Vipps.
func (p *player) tenders(ctx context.Context) error {
	p.scan(milk)
	if err := p.tap("tender.cash"); err != nil {
		return err
	}
	if _, err := p.await("the cash entry", func(m map[string]ui.Control) bool { return has(m, "dialog.cash.50") }); err != nil {
		return err
	}
	p.shot("cash-entry")
	if err := p.tap("dialog.cash.50"); err != nil {
		return err
	}
	if _, err := p.await("paid in cash", func(m map[string]ui.Control) bool { return has(m, "newsale") }); err != nil {
		return err
	}
	p.checkTenders(ctx, "cash with change", 2500, flow.TenderCash)
	p.readmeShot("4-cash-change")
	p.shot("cash-change")
	if err := p.tap("newsale"); err != nil {
		return err
	}

	p.scan(bread, kariQR)
	if err := p.tap("tender.cash"); err != nil {
		return err
	}
	for _, k := range []string{"dialog.cash.key.2", "dialog.cash.key.0", "dialog.cash.ok"} {
		if _, err := p.await(k, func(m map[string]ui.Control) bool { return has(m, k) }); err != nil {
			return err
		}
		if err := p.tap(k); err != nil {
			return err
		}
	}
	if _, err := p.await("20 in cash", func(m map[string]ui.Control) bool { return !has(m, "dialog.cash.ok") }); err != nil {
		return err
	}
	p.readmeShot("5-split-due")
	p.shot("split-due")
	if err := p.pay("approve"); err != nil {
		return err
	}
	p.checkTenders(ctx, "split cash and Vipps", 0, flow.TenderCash, flow.TenderVipps)
	p.shot("split-paid")
	return p.tap("newsale")
}

// checkTenders checks the newest sale was paid by kinds, in order, with
// change given back.
func (p *player) checkTenders(ctx context.Context, what string, change flow.Money, kinds ...flow.TenderKind) {
	var s *flow.Sale
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		s = p.newest(ctx)
		if s == nil || s.Stage != flow.StagePaid || len(s.Tenders) != len(kinds) {
			continue
		}
		ok := s.Due() == 0 && s.Tenders[0].Change == change
		for i, k := range kinds {
			ok = ok && s.Tenders[i].Kind == k
		}
		if ok {
			fmt.Printf("  %-26s ok: receipt %s, %d tenders, change %d\n", what, s.ReceiptNumber, len(s.Tenders), change)
			return
		}
	}
	got := "no sale"
	if s != nil {
		got = fmt.Sprintf("stage %s, tenders %+v", s.Stage, s.Tenders)
	}
	p.failed = append(p.failed, fmt.Sprintf("%s: the database has %s; want %v with change %d", what, got, kinds, change))
	p.shot("check-" + strings.ReplaceAll(what, " ", "-"))
}

// pay requests a payment and answers it on the phone.
func (p *player) pay(answer string) error {
	if err := p.tap("request"); err != nil {
		return err
	}
	if _, err := p.await("the payment request", func(m map[string]ui.Control) bool { return has(m, "phone.payment."+answer) }); err != nil {
		return err
	}
	p.readmeShot("2-payment-waiting")
	if err := p.tap("phone.payment." + answer); err != nil {
		return err
	}
	want := "newsale"
	if answer != "approve" {
		want = "void"
	}
	_, err := p.await("the answer on the till", func(m map[string]ui.Control) bool { return has(m, want) })
	return err
}

func (p *player) void() error {
	if err := p.tap("void"); err != nil {
		return err
	}
	if err := p.tap("dialog.void"); err != nil {
		return err
	}
	_, err := p.await("voided", func(m map[string]ui.Control) bool { return !has(m, "void") && !has(m, "dialog.void") })
	return err
}

// demoMemberSaving is what the demo's member prices take off a milk and a
// bread (24.90 → 19.90, 39.90 → 34.90).
const demoMemberSaving = 500 + 500

// saved checks what the newest sale in the database has off as a member.
func (p *player) saved(ctx context.Context, what string, want flow.Money) {
	deadline := time.Now().Add(10 * time.Second)
	var got flow.Money
	for {
		if s := p.newest(ctx); s != nil {
			_, got = flow.Savings(s.Lines)
			if got == want {
				fmt.Printf("  %-26s ok: %d øre off as a member\n", what, got)
				time.Sleep(500 * time.Millisecond) // the screens draw it
				return
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.failed = append(p.failed, fmt.Sprintf("%s: the sale has %d øre off as a member, want %d", what, got, want))
}

// check compares the newest sale in the database with what was played.
func (p *player) check(ctx context.Context, what string, stage flow.Stage, pay flow.PaymentStatus, member bool, lines, lastQty int) {
	var s *flow.Sale
	deadline := time.Now().Add(10 * time.Second)
	for {
		s = p.newest(ctx)
		ok := s != nil && s.Stage == stage && len(s.Lines) == lines && (pay == "" || (s.Payment != nil && s.Payment.Status == pay)) &&
			(!member || s.Customer.Member != nil) && (lastQty == 0 || s.Lines[len(s.Lines)-1].Quantity == lastQty)
		if ok {
			fmt.Printf("  %-26s ok: receipt %s, %s, %d lines\n", what, s.ReceiptNumber, s.Stage, len(s.Lines))
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	got := "no sale"
	if s != nil {
		got = fmt.Sprintf("stage %s, %d lines", s.Stage, len(s.Lines))
		if s.Payment != nil {
			got += ", payment " + string(s.Payment.Status)
		}
		if n := len(s.Lines); n > 0 {
			got += fmt.Sprintf(", last quantity %d", s.Lines[n-1].Quantity)
		}
	}
	p.failed = append(p.failed, fmt.Sprintf("%s: the database has %s; want stage %s, payment %q, %d lines, last quantity %d", what, got, stage, pay, lines, lastQty))
	p.shot("check-" + strings.ReplaceAll(what, " ", "-"))
}

func (p *player) newest(ctx context.Context) *flow.Sale {
	id, err := p.db.NewestSaleID(ctx)
	if err != nil || id == 0 {
		return nil
	}
	s, err := p.db.Sale(ctx, id)
	if err != nil {
		return nil
	}
	return s
}

func (p *player) catalogue(ctx context.Context, n int) ([]string, error) {
	ps, err := p.db.SearchProducts(ctx, "", n)
	if err != nil || len(ps) < n {
		return nil, fmt.Errorf("the demo catalogue has %d products: %v", len(ps), err)
	}
	out := make([]string, n)
	for i, pr := range ps {
		out[i] = pr.GTIN
	}
	return out, nil
}

// scan scans codes with the serial scanner, and waits for the customer's
// QR to be checked with the simulator. (The keyboard-wedge path splits
// long codes when the window is busy drawing; see the README.)
func (p *player) scan(codes ...string) {
	if err := p.serialScan(codes...); err != nil {
		p.failed = append(p.failed, err.Error())
	}
}

// serialScan scans codes with the serial scanner.
func (p *player) serialScan(codes ...string) error {
	f, err := os.OpenFile(p.serialIn, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, c := range codes {
		if _, err := f.WriteString(c + "\r"); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(time.Second)
	return nil
}

// keys types as a person does, slower than any scanner.
func (p *player) keys(gap time.Duration, s string) {
	p.raise("cashier")
	for _, r := range s {
		_, _ = xdo("type", "--window", p.ids["cashier"], string(r))
		time.Sleep(gap)
	}
}

func (p *player) key(name string) { _, _ = xdo("key", "--window", p.ids["cashier"], name) }

// tapKeys taps the on-screen keypad: digits, × and E for Enter.
func (p *player) tapKeys(s string) {
	for _, r := range s {
		name := "key." + string(r)
		if r == 'E' {
			name = "key.enter"
		}
		if err := p.tap(name); err != nil {
			p.failed = append(p.failed, err.Error())
			return
		}
	}
	time.Sleep(500 * time.Millisecond)
}

// tap clicks the middle of a control where its window draws it, once it
// shows and takes taps.
func (p *player) tap(name string) error {
	m, err := p.await(name, func(m map[string]ui.Control) bool {
		c, ok := m[name]
		return ok && c.Enabled && !c.Covered
	})
	if err != nil {
		return err
	}
	// Taken where it stays: a card arriving on the phone, say, moves the
	// ones below it.
	for c := m[name]; ; c = m[name] {
		time.Sleep(300 * time.Millisecond)
		if m, err = p.await(name, func(m map[string]ui.Control) bool { _, ok := m[name]; return ok }); err != nil {
			return err
		}
		if m[name] == c {
			break
		}
	}
	c := m[name]
	wx, wy, err := p.origin(c.Window)
	if err != nil {
		return err
	}
	p.raise(c.Window)
	x, y := wx+int(math.Round(float64(c.X+c.W/2))), wy+int(math.Round(float64(c.Y+c.H/2)))
	if _, err := xdo("mousemove", strconv.Itoa(x), strconv.Itoa(y), "click", "1"); err != nil {
		return err
	}
	time.Sleep(350 * time.Millisecond)
	return nil
}

func (p *player) raise(window string) {
	if id := p.ids[window]; id != "" {
		_, _ = xdo("windowraise", id)
	}
}

// origin is where a window's canvas starts on the screen.
func (p *player) origin(window string) (int, int, error) {
	g, err := xdo("getwindowgeometry", "--shell", p.ids[window])
	if err != nil {
		return 0, 0, err
	}
	var x, y int
	for _, l := range strings.Fields(g) {
		if v, ok := strings.CutPrefix(l, "X="); ok {
			x, _ = strconv.Atoi(v)
		}
		if v, ok := strings.CutPrefix(l, "Y="); ok {
			y, _ = strconv.Atoi(v)
		}
	}
	return x, y, nil
}

// await reads the control map until ok holds (15 s at most).
func (p *player) await(what string, ok func(map[string]ui.Control) bool) (map[string]ui.Control, error) {
	deadline := time.Now().Add(15 * time.Second)
	var m map[string]ui.Control
	for time.Now().Before(deadline) {
		m = nil
		b, err := os.ReadFile(filepath.Join(*out, "controls.json"))
		if err == nil && json.Unmarshal(b, &m) == nil && ok(m) {
			return m, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return m, fmt.Errorf("waited 15 s for %s", what)
}

func has(m map[string]ui.Control, name string) bool { _, ok := m[name]; return ok }

// readmeShot saves one of the README's pictures: the three windows side by
// side, once per run.
func (p *player) readmeShot(name string) {
	if *readme == "" || p.readmeDone[name] {
		return
	}
	if p.readmeDone == nil {
		p.readmeDone = map[string]bool{}
	}
	p.readmeDone[name] = true
	time.Sleep(time.Second)
	file := filepath.Join(*readme, name+".png")
	crop := fmt.Sprintf("%dx%d+0+0", *scrW, min(*scrH, 790))
	if err := exec.Command("import", "-window", "root", "-crop", crop, "+repage", file).Run(); err != nil {
		log.Printf("screenshot %s: %v", name, err)
	}
}

// shot saves the screen.
func (p *player) shot(name string) {
	p.step++
	file := filepath.Join(*out, fmt.Sprintf("%02d-%s.png", p.step, name))
	if err := exec.Command("import", "-window", "root", file).Run(); err != nil {
		log.Printf("screenshot %s: %v", name, err)
	}
}

func xdo(args ...string) (string, error) {
	b, err := exec.Command("xdotool", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("xdotool %s: %v: %s", strings.Join(args, " "), err, b)
	}
	return string(b), nil
}
