package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/hardware"
	"github.com/kasse-pos/kasse/ui"
	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// AppID is the application id registered with the desktop (FyneApp.toml).
const AppID = "no.kasse.till"

// Run starts the till with its windows and blocks until the cashier window
// is closed or ctx ends.
func Run(ctx context.Context, cfg *Config) error {
	log, closeLog, err := newLogger(cfg.DataDir, LogOptions{}, os.Stderr)
	if err != nil {
		return RefuseStart(ctx, cfg, fmt.Errorf("opening the log: %w", err))
	}
	defer closeLog()
	log.Info("starting till", "version", Version, "vipps_env", cfg.Vipps.Env, "data_dir", cfg.DataDir, "demo", cfg.Demo)

	t, err := Start(ctx, cfg, log)
	if err != nil {
		closeLog()
		return RefuseStart(ctx, cfg, err)
	}
	defer t.Close()

	a := fyneapp.NewWithID(AppID)
	wedge := newWedgeFeeder(ctx, t)
	opt := ui.Options{
		Till:      t.till,
		StoreName: cfg.Store.Name,
		Lang:      cfg.Lang,
		Brand:     func(at time.Time) ui.Brand { return brandToday(cfg, at) },
		// The customer display speaks the member's language, else the
		// market's, whatever the cashier reads.
		CustomerLang: cfg.CustomerLang(),
		CustomerDisplay: ui.Display{
			Disabled: cfg.CustomerDisplay.Disabled, Fullscreen: cfg.CustomerDisplay.Fullscreen,
			X: cfg.CustomerDisplay.X, Y: cfg.CustomerDisplay.Y,
		},
		OnKey: wedge.key,
		StoreOps: &ui.StoreOps{
			Cashiers:    t.session,
			Reports:     t.office,
			CanCloseDay: t.office.CanCloseDay,
			OnReport: func(ctx context.Context, r flow.Report) error {
				err := t.printReport(ctx, r)
				if errors.Is(err, errNoPrinter) {
					return ui.ErrNoPrinter
				}
				return err
			},
			SetTraining: t.training.SetTraining,
			Cash:        cashDrawer{t},
		},
	}
	if cfg.Demo && t.sim != nil {
		opt.Phone = simPhone{t.sim}
	}
	settings, err := NewSettingsManager(cfg.DataDir, "")
	if err != nil {
		return err
	}
	settings.Log = log
	settings.Lockout = t.db           // wrong manager PINs count across restarts, as cashiers' do
	settings.Managers = t.db.Cashiers // a manager's own PIN opens the settings
	opt.OnSettings = func(fyne.Window) { ui.ShowSettingsWindow(a, settings) }
	opt.Members = t.clubAdmin()
	// At the windows a cashier must be logged in before anything is scanned.
	t.checkout.RequireCashier(func() bool { _, ok := t.session.Current(); return ok })
	// No Vipps keys yet: nothing is sold for real until they are set.
	// Switched before the windows open, so they start marked.
	training := false
	if needsTraining(cfg) {
		if err := t.training.RequireTraining(ctx); err != nil {
			log.Error("starting training mode", "err", err)
		} else {
			training = true
			log.Warn("no Vipps keys: the till runs in training mode")
		}
	}
	windows := ui.New(a, opt)
	if training {
		windows.StandingNotice("notice.training_no_keys", flow.NoticeWarning)
	}
	firstRun := settings.FirstRun() && !cfg.Demo
	if cfg.Kiosk && !firstRun {
		windows.Cashier.SetFullScreen(true)
	}
	restart := false
	if firstRun {
		// A new till: the first-run assistant, shown once the till's
		// windows are up so that it is in front of them; a kiosk till
		// fills the screen once it is closed. Finishing it starts the
		// till again with what it saved.
		a.Lifecycle().SetOnStarted(func() {
			setup := ui.ShowSetupWindow(a, NewSetupManager(settings, t), func() {
				restart = true
				windows.Quit()
			})
			log.Info("first-run assistant shown")
			if cfg.Kiosk {
				setup.Win.SetOnClosed(func() { windows.Cashier.SetFullScreen(true) })
			}
		})
	}
	go func() {
		if key := t.CheckVippsKeys(ctx); key != "" {
			windows.StandingNotice(key, flow.NoticeError)
		}
	}()
	wedge.mu.Lock()
	wedge.typed = windows.PressKey
	wedge.mu.Unlock()
	go func() {
		<-ctx.Done()
		windows.Quit()
	}()
	if file := os.Getenv("KASSE_UI_MAP"); file != "" {
		go writeControlMap(ctx, windows, file)
	}
	log.Info("cashier window ready")
	windows.ShowAndRun()
	if restart {
		log.Info("starting again with the first-run assistant's settings")
		t.Close()
		closeLog()
		return restartTill()
	}
	return nil
}

// writeControlMap keeps file up to date with where the windows draw their
// controls, for the real-window test that taps them with xdotool.
func writeControlMap(ctx context.Context, w *ui.Windows, file string) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fyne.Do(func() {
				b, err := json.Marshal(w.Controls())
				if err != nil {
					return
				}
				if os.WriteFile(file+".tmp", b, 0o600) == nil {
					_ = os.Rename(file+".tmp", file)
				}
			})
		}
	}
}

// wedgeFeeder connects the cashier window's keys to the keyboard-wedge
// decoder: scanner bursts become scans, a person's typing goes to the
// on-screen keypad.
type wedgeFeeder struct {
	mu    sync.Mutex
	w     *hardware.Wedge
	t     *Till
	ctx   context.Context
	typed func(r rune) // a person's typing goes back to the on-screen keypad
}

func newWedgeFeeder(ctx context.Context, t *Till) *wedgeFeeder {
	f := &wedgeFeeder{w: hardware.NewWedge(hardware.WedgeConfig{Cooldown: hardware.DefaultCooldown()}), t: t, ctx: ctx}
	go func() {
		tick := time.NewTicker(30 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				f.mu.Lock()
				d := f.w.Flush(now)
				f.mu.Unlock()
				f.handle(d)
			}
		}
	}()
	return f
}

func (f *wedgeFeeder) key(r rune, at time.Time) {
	f.mu.Lock()
	d := f.w.Feed(hardware.Key{Rune: r, Enter: r == '\r' || r == '\n', At: at})
	f.mu.Unlock()
	f.handle(d)
}

func (f *wedgeFeeder) handle(d hardware.Decoded) {
	if d.Scan != nil {
		s := *d.Scan
		go f.t.Scan(f.ctx, s)
	}
	f.mu.Lock()
	typed := f.typed
	f.mu.Unlock()
	if typed == nil {
		return
	}
	for _, k := range d.Typed {
		if k.Enter {
			typed('\r')
		} else {
			typed(k.Rune)
		}
	}
}

// simPhone shows the built-in simulator's customer phone in demo mode.
type simPhone struct{ s *sim.Sim }

func (p simPhone) Pushes() []ui.PhonePush {
	var out []ui.PhonePush
	for _, push := range p.s.Pushes("") {
		if push.State != sim.PushPending {
			continue
		}
		out = append(out, ui.PhonePush{
			ID: push.ID, Kind: string(push.Kind), Title: push.Merchant, Amount: flow.Money(push.Amount),
			Currency: push.Currency, BindingMessage: push.BindingMessage, MSISDN: push.MSISDN,
		})
	}
	return out
}

func (p simPhone) Answer(id string, approve bool) error { return p.s.Answer(id, approve) }
func (p simPhone) OnChange(fn func())                   { p.s.OnChange(fn) }

// brandToday is what the sales unit's market calls the app and the company
// at a moment (vipps.BrandFor): MobilePay in Denmark and Finland until
// 12 January 2027, Vipps from then on and always in Norway.
func brandToday(cfg *Config, at time.Time) ui.Brand {
	b := vipps.BrandFor(vipps.MarketOf(cfg.Vipps.Currency), at)
	return ui.Brand{App: b.App, Company: b.Company}
}
