// Package ui is kasse's Fyne front end: the cashier window, the customer
// display and, in demo mode, a window playing the customer's phone. It
// renders flow.View snapshots and sends the cashier's intents to flow.Till;
// it never talks to Vipps or the database itself.
package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"github.com/kasse-pos/kasse/flow"
)

// Options configure the windows.
type Options struct {
	Till      flow.Till
	Phone     Phone // demo mode: the simulated customer phone; nil: no phone window
	StoreName string
	Lang      string // cashier language: nb, da, fi or en; "" follows the system
	// Brand names the app and the company in the store's market on a day
	// (app passes vipps.BrandFor); nil: Norway's.
	Brand func(time.Time) Brand

	// CustomerLang is the customer display's language when the member has
	// none on file; "" uses the cashier's.
	CustomerLang    string
	CustomerDisplay Display

	// OnKey receives every key typed into the cashier window that no text
	// field took, with the time it arrived, for a keyboard-wedge scanner
	// decoder. Enter arrives as '\r'. Nil: digits and Enter go to the keypad;
	// with OnKey set, hand a person's keys back with Windows.PressKey.
	OnKey func(r rune, at time.Time)

	// StoreOps, when set, asks for a cashier's PIN before the first sale
	// and adds cashier switching and the X/Z reports.
	StoreOps *StoreOps

	// OnSettings, when set, adds a settings button to the cashier window.
	OnSettings func(parent fyne.Window)

	// Members, when set, adds the manager's member screen (member_screen.go).
	Members Members

	// Now is the clock for countdowns; nil: time.Now.
	Now func() time.Time
	// Async runs an intent off the UI thread; nil: a new goroutine. Tests
	// pass a synchronous runner so that every tap completes before the
	// next assertion.
	Async func(func())
	// Timeout bounds every intent; 0: 30 s.
	Timeout time.Duration
}

// tr translates in lang with the store's brand of the moment.
func (w *Windows) tr(lang string) tr {
	return tr{all: w.texts, lang: lang, brand: func() Brand { return w.opt.Brand(w.opt.Now()) }}
}

// Display places the customer display.
type Display struct {
	Disabled   bool
	Fullscreen bool
	X, Y       int // top-left corner on the virtual desktop; negative: leave it to the system
}

// Windows are the till's windows.
type Windows struct {
	app      fyne.App
	opt      Options
	texts    texts
	Cashier  fyne.Window
	Customer fyne.Window // nil when the display is disabled
	Phone    fyne.Window // nil outside demo mode

	cashier  *cashierWindow
	display  *customerDisplay
	phone    *phoneWindow
	view     flow.View
	cancel   func()
	stopTick chan struct{}
	onShow   []func() // run once the windows are on screen
}

// New creates the cashier window, the customer display (unless disabled)
// and the phone window (when opt.Phone is set), and starts following the
// till's views.
func New(a fyne.App, opt Options) *Windows {
	if opt.Till == nil {
		opt.Till = idleTill{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Brand == nil {
		opt.Brand = func(time.Time) Brand { return norwayBrand() }
	}
	if opt.Async == nil {
		opt.Async = func(f func()) { go f() }
	}
	if opt.Timeout == 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.Lang = pickLang(opt.Lang); opt.Lang == "" {
		opt.Lang = systemLang()
	}
	opt.CustomerLang = pickLang(opt.CustomerLang)
	all, err := loadTexts()
	if err != nil {
		fyne.LogError("loading translations", err)
	}
	registerFyneTexts()
	a.Settings().SetTheme(Theme{})

	w := &Windows{app: a, opt: opt, texts: all}
	w.cashier = newCashierWindow(w)
	setWindowClass(a) // GLFW is up now; the windows are shown later
	w.Cashier = w.cashier.win
	w.Cashier.SetMaster()
	if !opt.CustomerDisplay.Disabled {
		w.display = newCustomerDisplay(w)
		w.Customer = w.display.win
	}
	if opt.Phone != nil {
		w.phone = newPhoneWindow(w, opt.Phone)
		w.Phone = w.phone.win
	}
	w.render(opt.Till.View())
	w.cancel = opt.Till.Subscribe(func(v flow.View) {
		fyne.Do(func() { w.render(v) })
	})
	return w
}

// ShowAndRun shows the windows, places the customer display and runs the
// Fyne event loop until the cashier window closes.
func (w *Windows) ShowAndRun() {
	w.show()
	w.app.Run()
	w.stop()
}

func (w *Windows) show() {
	if w.Phone != nil {
		w.Phone.Show()
	}
	if w.Customer != nil {
		w.Customer.Show()
		w.display.place(w.opt.CustomerDisplay)
	}
	w.Cashier.Show()
	for _, f := range w.onShow {
		f()
	}
	w.stopTick = make(chan struct{})
	go w.tickEverySecond(w.stopTick)
}

func (w *Windows) stop() {
	if w.cancel != nil {
		w.cancel()
		w.cancel = nil
	}
	if w.stopTick != nil {
		close(w.stopTick)
		w.stopTick = nil
	}
}

// Quit closes every window; safe to call from any goroutine.
func (w *Windows) Quit() { fyne.Do(w.app.Quit) }

// PressKey types r ('0'–'9', '*' for ×, '\b', '\r' for Enter) on the
// cashier's keypad, or on the PIN pad while the login screen shows, for
// keys the wedge decoder found to be a person typing rather than a scanner.
// Safe from any goroutine.
func (w *Windows) PressKey(r rune) {
	fyne.Do(func() { w.cashier.typed(r) })
}

// tickEverySecond keeps the payment countdown moving between views.
func (w *Windows) tickEverySecond(stop <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			fyne.Do(w.tick)
		}
	}
}

func (w *Windows) tick() {
	w.cashier.tick(w.view)
}

func (w *Windows) render(v flow.View) {
	w.view = v
	w.cashier.render(v)
	if w.display != nil {
		w.display.render(v)
	}
}

// do runs an intent in the background with a deadline, so that a slow
// network never holds up a frame. Failures reach the cashier as the
// Notice flow records with them.
func (w *Windows) do(intent func(ctx context.Context) error) {
	w.opt.Async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), w.opt.Timeout)
		defer cancel()
		if err := intent(ctx); err != nil {
			fyne.LogError("till intent", err)
			// A refusal from around the checkout (no notice on the View)
			// must reach the screen too.
			if n := noticeOf(err); n != nil {
				fyne.Do(func() { w.cashier.showNotice(n) })
			}
		}
	})
}

// load runs a query in the background and hands its result to show on
// the UI thread.
func load[T any](w *Windows, query func(ctx context.Context) (T, error), show func(T, error)) {
	w.opt.Async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), w.opt.Timeout)
		defer cancel()
		v, err := query(ctx)
		fyne.Do(func() { show(v, err) })
	})
}
