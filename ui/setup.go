package ui

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// Countries the till is sold in, each with its currency.
var setupCountries = []string{"NO", "DK", "FI"}

// Where the customer display goes.
const (
	DisplayBeside     = "beside"     // a window on the second screen, placed by the system
	DisplayFullscreen = "fullscreen" // filling the second screen
	DisplayNone       = "none"       // no customer display
)

// SetupValues are what the first-run assistant asks for.
type SetupValues struct {
	Lang    string // nb, da, fi or en
	Country string // NO, DK or FI; the currency follows

	StoreName, OrgNumber, Address string
	TillID                        string // Store.POSID

	VippsEnv                            string // simulator (training), test or production
	MSN, ClientID                       string
	ClientSecret, SubscriptionKey       string // to the keyring only
	ClientSecretSet, SubscriptionKeySet bool   // one is stored already (Defaults never returns a secret)
	CashierScanner, CustomerScanner     string // serial ports; empty: keyboard scanner / none
	PrinterDevice                       string
	PrinterWidth                        int
	Display                             string // DisplayBeside, DisplayFullscreen or DisplayNone
	SampleCatalog                       string // the sample catalogue installed with kasse; "" none
	ManagerName, ManagerPIN             string
}

// Problem is a refusal the window translates: a text key (setup.problem.…,
// settings.problem.…) with what its text needs. Text is the English for the
// log and the command line; the window never shows it.
type Problem struct {
	Key  string
	Args map[string]string
	Text string
}

func (p *Problem) Error() string {
	if p.Text != "" {
		return p.Text
	}
	return p.Key
}

// Problems are several refusals at once (a form with more than one wrong
// field), shown one a line.
type Problems []*Problem

func (ps Problems) Error() string {
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = p.Error()
	}
	return strings.Join(texts, "; ")
}

// problemText translates err for a window: a Problem or Problems by their
// keys, anything else as failed (its text is for the log).
func problemText(t tr, err error, failed string) string {
	var p *Problem
	var ps Problems
	switch {
	case errors.As(err, &ps):
		lines := make([]string, len(ps))
		for i, p := range ps {
			lines[i] = t.T(p.Key, p.Args)
		}
		return strings.Join(lines, "\n")
	case errors.As(err, &p):
		return t.T(p.Key, p.Args)
	}
	return t.T(failed)
}

// CatalogReport is how a catalogue import went.
type CatalogReport struct {
	Imported int
	Rows     []flow.RowError // the lines refused; nothing is imported when there are any
}

// SetupService does the assistant's work. Every error it returns is a
// *Problem; anything else shows as setup.problem.failed.
type SetupService interface {
	Defaults() SetupValues
	// HasCashiers: the till has cashiers already, so no first manager is made.
	HasCashiers() bool
	CheckStore(v SetupValues) error
	CheckVipps(v SetupValues) error
	// TestVipps tries the keys against v's environment: "ok",
	// "wrong_keys", "unknown_msn", "unreachable" or "failed".
	TestVipps(ctx context.Context, v SetupValues) string
	TestPrint(ctx context.Context, v SetupValues) error
	// TestScan waits for one code from the serial scanner on port.
	TestScan(ctx context.Context, port string) (string, error)
	ImportCatalog(ctx context.Context, file string, progress func(done, total int)) (CatalogReport, error)
	// Finish saves everything and makes the first manager.
	Finish(ctx context.Context, v SetupValues) error
	// Brand is what the market of country calls the app and the company today.
	Brand(country string) Brand
}

// The assistant's steps, in order.
const (
	stepLanguage = iota
	stepCountry
	stepStore
	stepVipps
	stepDevices
	stepCatalog
	stepManager
	stepDone
	setupSteps
)

// Setup is the first-run assistant: one step at a time, big targets, in
// the language chosen on its first step.
type Setup struct {
	Win  fyne.Window
	svc  SetupService
	tr   tr
	v    SetupValues
	step int
	// onDone is called once Finish succeeded.
	onDone func()
	// async runs the slow work (network, devices, files) off the UI thread.
	async func(func())

	title, counter, status *widget.Label
	body                   *fyne.Container
	back, next             *touchButton

	// The current step's fields, for the tests.
	entries map[string]*widget.Entry
	buttons map[string]*touchButton
	result  *widget.Label
	report  *fyne.Container
	bar     *widget.ProgressBar
}

// NewSetup builds the assistant in its own window (not shown yet).
func NewSetup(a fyne.App, svc SetupService, onDone func()) *Setup {
	s := newSetup(a.NewWindow("kasse"), svc, onDone, func(f func()) { go f() })
	setWindowClass(a)
	return s
}

// ShowSetupWindow opens the assistant in front of the till's windows.
func ShowSetupWindow(a fyne.App, svc SetupService, onDone func()) *Setup {
	s := NewSetup(a, svc, onDone)
	s.Win.Resize(fyne.NewSize(1000, 740)) // fits a 1024×768 till screen
	s.Win.CenterOnScreen()
	s.Win.Show()
	s.Win.RequestFocus()
	return s
}

func newSetup(w fyne.Window, svc SetupService, onDone func(), async func(func())) *Setup {
	s := &Setup{Win: w, svc: svc, v: svc.Defaults(), onDone: onDone, async: async}
	if s.v.Lang = pickLang(s.v.Lang); s.v.Lang == "" {
		s.v.Lang = systemLang()
	}
	s.tr = tr{all: sharedTexts(), lang: s.v.Lang, brand: func() Brand { return svc.Brand(s.v.Country) }}
	s.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.title.SizeName = theme.SizeNameHeadingText
	s.counter = widget.NewLabel("")
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	s.body = container.NewStack()
	s.back = newButton("", theme.NavigateBackIcon(), s.goBack)
	s.next = bigButton("", theme.NavigateNextIcon(), s.goNext)
	s.next.IconPlacement = widget.ButtonIconTrailingText
	bar := container.NewBorder(nil, nil, s.back, container.NewGridWrap(fyne.NewSize(260, 72), s.next), s.status)
	w.SetContent(container.NewPadded(container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, nil, s.counter, s.title), widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), bar), nil, nil, s.body)))
	s.show(stepLanguage)
	return s
}

func (s *Setup) t(key string, args ...map[string]string) string { return s.tr.T(key, args...) }

// tkey translates the key prefix.name, for a choice's options.
func (s *Setup) tkey(prefix, name string, args ...map[string]string) string {
	return s.tr.T(prefix+"."+name, args...)
}

// fail shows a refusal in the status line, translated.
func (s *Setup) fail(err error) {
	s.status.Importance = widget.DangerImportance
	s.status.SetText(s.problem(err))
}

func (s *Setup) problem(err error) string { return problemText(s.tr, err, "setup.problem.failed") }

func (s *Setup) say(text string, imp widget.Importance) {
	s.status.Importance = imp
	s.status.SetText(text)
}

// show puts step n on the window.
func (s *Setup) show(n int) {
	s.step = n
	s.entries, s.buttons = map[string]*widget.Entry{}, map[string]*touchButton{}
	s.result, s.report, s.bar = nil, nil, nil
	s.Win.SetTitle(s.t("setup.window"))
	s.counter.SetText(s.t("setup.step_of", map[string]string{"N": strconv.Itoa(n + 1), "Total": strconv.Itoa(setupSteps)}))
	s.say("", widget.MediumImportance)
	s.back.SetText(s.t("setup.back"))
	s.back.setEnabled(n > stepLanguage)
	s.next.SetText(s.t("setup.next"))
	s.next.Enable()
	var body fyne.CanvasObject
	switch n {
	case stepLanguage:
		body = s.languageStep()
	case stepCountry:
		body = s.countryStep()
	case stepStore:
		body = s.storeStep()
	case stepVipps:
		body = s.vippsStep()
	case stepDevices:
		body = s.devicesStep()
	case stepCatalog:
		body = s.catalogStep()
	case stepManager:
		body = s.managerStep()
	case stepDone:
		body = s.doneStep()
		s.next.SetText(s.t("setup.finish"))
	}
	s.body.Objects = []fyne.CanvasObject{container.NewVScroll(body)}
	s.body.Refresh()
}

func (s *Setup) heading(key string) *widget.Label {
	s.title.SetText(s.t(key + ".title"))
	l := widget.NewLabel(s.t(key + ".intro"))
	l.Wrapping = fyne.TextWrapWord
	return l
}

// choice is a column of big buttons of which one is chosen.
func (s *Setup) choice(options []string, label func(string) string, chosen string, pick func(string)) fyne.CanvasObject {
	return s.choiceSized(bigButton, options, label, chosen, pick)
}

// choiceSized is choice with buttons made by button (bigButton, or newButton
// where the step needs the room).
func (s *Setup) choiceSized(button func(string, fyne.Resource, func()) *touchButton, options []string, label func(string) string, chosen string, pick func(string)) fyne.CanvasObject {
	return s.choiceIn(container.NewVBox(), button, options, label, chosen, pick)
}

// choiceIn puts the choice's buttons in box.
func (s *Setup) choiceIn(box *fyne.Container, button func(string, fyne.Resource, func()) *touchButton, options []string, label func(string) string, chosen string, pick func(string)) fyne.CanvasObject {
	for _, o := range options {
		b := button(label(o), nil, nil)
		b.Importance = widget.HighImportance
		if o != chosen {
			b.Importance = widget.MediumImportance
		}
		b.OnTapped = func() { pick(o); s.show(s.step) }
		s.buttons[o] = b
		box.Add(b)
	}
	return box
}

func (s *Setup) entry(name, value, placeholder string, secret bool) *widget.Entry {
	e := widget.NewEntry()
	if secret {
		e = widget.NewPasswordEntry()
	}
	e.SetText(value)
	e.SetPlaceHolder(placeholder)
	s.entries[name] = e
	return e
}

// field is a labelled entry, the label above it so that long translations
// fit at 1024 px.
func field(label string, o fyne.CanvasObject) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewVBox(l, o)
}

var languageNames = map[string]string{"nb": "Norsk bokmål", "da": "Dansk", "fi": "Suomi", "en": "English"}

func (s *Setup) languageStep() fyne.CanvasObject {
	return container.NewVBox(s.heading("setup.language"),
		s.choice([]string{"nb", "da", "fi", "en"}, func(l string) string { return languageNames[l] }, s.v.Lang, func(l string) {
			s.v.Lang = l
			s.tr.lang = l
		}))
}

func (s *Setup) countryStep() fyne.CanvasObject {
	return container.NewVBox(s.heading("setup.country"),
		s.choice(setupCountries, func(c string) string { return s.tkey("setup.country", c) }, s.v.Country, func(c string) { s.v.Country = c }))
}

func (s *Setup) storeStep() fyne.CanvasObject {
	return container.NewVBox(s.heading("setup.store"),
		field(s.t("setup.store.name"), s.entry("name", s.v.StoreName, "", false)),
		field(s.tkey("setup.store.org", s.v.Country), s.entry("org", s.v.OrgNumber, "", false)),
		field(s.t("setup.store.address"), s.entry("address", s.v.Address, s.t("setup.store.address_hint"), false)),
		field(s.t("setup.store.till"), s.entry("till", s.v.TillID, "pos1", false)),
	)
}

var setupEnvs = []string{"simulator", "test", "production"}

func (s *Setup) vippsStep() fyne.CanvasObject {
	envs := s.choiceSized(newButton, setupEnvs, func(e string) string { return s.tkey("setup.vipps.env", e) }, s.v.VippsEnv, func(e string) {
		s.keepVipps()
		s.v.VippsEnv = e
	})
	box := container.NewVBox(s.heading("setup.vipps"), envs)
	if s.v.VippsEnv == "simulator" {
		l := widget.NewLabel(s.t("setup.vipps.training"))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = widget.WarningImportance
		box.Add(l)
		return box
	}
	secretHint := func(set bool) string {
		if set {
			return s.t("setup.vipps.stored")
		}
		return ""
	}
	// Two fields a row, so that the step and its test fit a 768 px screen.
	box.Add(container.NewGridWithColumns(2,
		field(s.t("setup.vipps.msn"), s.entry("msn", s.v.MSN, "123456", false)),
		field(s.t("setup.vipps.client_id"), s.entry("client_id", s.v.ClientID, "", false))))
	box.Add(container.NewGridWithColumns(2,
		field(s.t("setup.vipps.client_secret"), s.entry("client_secret", s.v.ClientSecret, secretHint(s.v.ClientSecretSet), true)),
		field(s.t("setup.vipps.subscription_key"), s.entry("subscription_key", s.v.SubscriptionKey, secretHint(s.v.SubscriptionKeySet), true))))
	s.result = widget.NewLabel("")
	s.result.Wrapping = fyne.TextWrapWord
	test := newButton(s.t("setup.vipps.test"), theme.MediaPlayIcon(), s.testVipps)
	s.buttons["test"] = test
	box.Add(container.NewBorder(nil, nil, test, nil, s.result))
	return box
}

// keepVipps takes the Vipps step's entries into the values.
func (s *Setup) keepVipps() {
	for name, dst := range map[string]*string{"msn": &s.v.MSN, "client_id": &s.v.ClientID,
		"client_secret": &s.v.ClientSecret, "subscription_key": &s.v.SubscriptionKey} {
		if e, ok := s.entries[name]; ok {
			*dst = e.Text
			if name == "msn" || name == "client_id" {
				*dst = strings.TrimSpace(e.Text)
			}
		}
	}
}

func (s *Setup) testVipps() {
	s.keepVipps()
	if err := s.svc.CheckVipps(s.v); err != nil {
		s.fail(err)
		return
	}
	v, result, button := s.v, s.result, s.buttons["test"]
	button.Disable()
	result.Importance = widget.MediumImportance
	result.SetText(s.t("setup.vipps.testing"))
	s.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		got := s.svc.TestVipps(ctx, v)
		fyne.Do(func() {
			button.Enable()
			result.Importance = widget.DangerImportance
			if got == "ok" {
				result.Importance = widget.SuccessImportance
			}
			result.SetText(s.tkey("setup.vipps.result", got, map[string]string{"Env": s.tkey("setup.vipps.env", v.VippsEnv)}))
		})
	})
}

var setupDisplays = []string{DisplayBeside, DisplayFullscreen, DisplayNone}

func (s *Setup) devicesStep() fyne.CanvasObject {
	s.result = widget.NewLabel("")
	s.result.Wrapping = fyne.TextWrapWord
	scanHere := s.entry("scan_here", "", s.t("setup.devices.scan_here"), false)
	scanHere.OnSubmitted = func(code string) {
		s.result.Importance = widget.SuccessImportance
		s.result.SetText(s.t("setup.devices.scanned", map[string]string{"Code": code}))
		scanHere.SetText("")
	}
	printTest := newButton(s.t("setup.devices.test_print"), theme.DocumentPrintIcon(), s.testPrint)
	scanTest := newButton(s.t("setup.devices.test_scan"), theme.SearchIcon(), s.testScan)
	s.buttons["test_print"], s.buttons["test_scan"] = printTest, scanTest
	width := strconv.Itoa(s.v.PrinterWidth)
	// Two fields a row, so that the step fits a 768 px screen.
	return container.NewVBox(s.heading("setup.devices"),
		container.NewGridWithColumns(2,
			field(s.t("setup.devices.printer"), s.entry("printer", s.v.PrinterDevice, s.t("setup.devices.printer_hint"), false)),
			field(s.t("setup.devices.width"), s.entry("width", width, "42", false))),
		container.NewGridWithColumns(2,
			field(s.t("setup.devices.cashier_scanner"), s.entry("cashier_scanner", s.v.CashierScanner, s.t("setup.devices.cashier_scanner_hint"), false)),
			field(s.t("setup.devices.customer_scanner"), s.entry("customer_scanner", s.v.CustomerScanner, s.t("setup.devices.customer_scanner_hint"), false))),
		container.NewGridWithColumns(3, printTest, scanTest, scanHere),
		s.result,
		field(s.t("setup.devices.display"), s.choiceIn(container.NewGridWithColumns(3), newButton, setupDisplays,
			func(d string) string { return s.tkey("setup.display", d) }, s.v.Display, func(d string) {
				s.keepDevices()
				s.v.Display = d
			})),
	)
}

// keepDevices takes the devices step's entries into the values; false when
// the paper width is not a number.
func (s *Setup) keepDevices() bool {
	get := func(name string) string { return strings.TrimSpace(s.entries[name].Text) }
	s.v.PrinterDevice, s.v.CashierScanner, s.v.CustomerScanner = get("printer"), get("cashier_scanner"), get("customer_scanner")
	w, err := strconv.Atoi(get("width"))
	if err != nil || w < 24 || w > 80 {
		s.fail(&Problem{Key: "setup.problem.width"})
		return false
	}
	s.v.PrinterWidth = w
	return true
}

func (s *Setup) testPrint() {
	if !s.keepDevices() {
		return
	}
	if s.v.PrinterDevice == "" {
		s.fail(&Problem{Key: "setup.problem.no_printer"})
		return
	}
	v, result := s.v, s.result
	result.Importance = widget.MediumImportance
	result.SetText(s.t("setup.devices.printing"))
	s.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := s.svc.TestPrint(ctx, v)
		fyne.Do(func() {
			if err != nil {
				result.Importance = widget.DangerImportance
				result.SetText(s.problem(err))
				return
			}
			result.Importance = widget.SuccessImportance
			result.SetText(s.t("setup.devices.printed"))
		})
	})
}

// testScan waits for a code from the cashier's serial scanner, or, with
// none configured, for the keyboard scanner to type into the field.
func (s *Setup) testScan() {
	if !s.keepDevices() {
		return
	}
	result := s.result
	result.Importance = widget.MediumImportance
	result.SetText(s.t("setup.devices.scan_now"))
	if s.v.CashierScanner == "" {
		s.Win.Canvas().Focus(s.entries["scan_here"])
		return
	}
	port, button := s.v.CashierScanner, s.buttons["test_scan"]
	button.Disable()
	s.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		code, err := s.svc.TestScan(ctx, port)
		fyne.Do(func() {
			button.Enable()
			if err != nil {
				result.Importance = widget.DangerImportance
				result.SetText(s.problem(err))
				return
			}
			result.Importance = widget.SuccessImportance
			result.SetText(s.t("setup.devices.scanned", map[string]string{"Code": code}))
		})
	})
}

func (s *Setup) catalogStep() fyne.CanvasObject {
	file := s.entry("file", "", s.t("setup.catalog.file_hint"), false)
	choose := newButton(s.t("setup.catalog.choose"), theme.FolderOpenIcon(), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				return
			}
			file.SetText(r.URI().Path())
			_ = r.Close()
		}, s.Win)
		d.Resize(fyne.NewSize(900, 640))
		d.Show()
	})
	imp := newButton(s.t("setup.catalog.import"), theme.UploadIcon(), s.importCatalog)
	s.buttons["choose"], s.buttons["import"] = choose, imp
	row := container.NewBorder(nil, nil, nil, choose, file)
	if s.v.SampleCatalog != "" {
		sample := newButton(s.t("setup.catalog.sample"), theme.FileIcon(), func() { file.SetText(s.v.SampleCatalog) })
		s.buttons["sample"] = sample
		row = container.NewBorder(nil, nil, nil, container.NewHBox(sample, choose), file)
	}
	s.bar = widget.NewProgressBar()
	s.bar.Hide()
	s.result = widget.NewLabel("")
	s.result.Wrapping = fyne.TextWrapWord
	s.report = container.NewVBox()
	return container.NewVBox(s.heading("setup.catalog"), row, imp, s.bar, s.result, s.report)
}

func (s *Setup) importCatalog() {
	file := strings.TrimSpace(s.entries["file"].Text)
	if file == "" {
		s.fail(&Problem{Key: "setup.problem.no_file"})
		return
	}
	bar, result, report, button := s.bar, s.result, s.report, s.buttons["import"]
	button.Disable()
	bar.SetValue(0)
	bar.Show()
	report.RemoveAll()
	result.SetText(s.t("setup.catalog.importing"))
	s.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		rep, err := s.svc.ImportCatalog(ctx, file, func(done, total int) {
			fyne.Do(func() {
				if total > 0 {
					bar.SetValue(float64(done) / float64(total))
				}
			})
		})
		fyne.Do(func() {
			button.Enable()
			switch {
			case err != nil:
				bar.Hide()
				result.Importance = widget.DangerImportance
				result.SetText(s.problem(err))
			case len(rep.Rows) > 0:
				bar.Hide() // nothing was imported
				result.Importance = widget.DangerImportance
				result.SetText(s.t("setup.catalog.refused", map[string]string{"Count": strconv.Itoa(len(rep.Rows))}))
				for _, r := range rep.Rows {
					reason := r.Reason // a problem without a key (none today) keeps its English
					if r.Key != "" {
						reason = s.t("catalog."+r.Key, r.Args)
					}
					l := widget.NewLabel(s.t("setup.catalog.line", map[string]string{"Line": strconv.Itoa(r.Line), "Reason": reason}))
					l.Wrapping = fyne.TextWrapWord
					report.Add(l)
				}
			default:
				bar.SetValue(1)
				result.Importance = widget.SuccessImportance
				result.SetText(s.t("setup.catalog.imported", map[string]string{"Count": strconv.Itoa(rep.Imported)}))
			}
		})
	})
}

func (s *Setup) managerStep() fyne.CanvasObject {
	box := container.NewVBox(s.heading("setup.manager"))
	if s.svc.HasCashiers() {
		l := widget.NewLabel(s.t("setup.manager.exists"))
		l.Wrapping = fyne.TextWrapWord
		box.Add(l)
	} else {
		box.Add(field(s.t("setup.manager.name"), s.entry("manager", s.v.ManagerName, "", false)))
	}
	box.Add(field(s.t("setup.manager.pin"), s.entry("pin", s.v.ManagerPIN, "", true)))
	box.Add(field(s.t("setup.manager.pin_again"), s.entry("pin_again", s.v.ManagerPIN, "", true)))
	return box
}

func (s *Setup) doneStep() fyne.CanvasObject {
	box := container.NewVBox(s.heading("setup.done"))
	key := "setup.done.real"
	if s.v.VippsEnv == "simulator" {
		key = "setup.done.training"
	}
	l := widget.NewLabel(s.t(key, map[string]string{"Env": s.tkey("setup.vipps.env", s.v.VippsEnv)}))
	l.Wrapping = fyne.TextWrapWord
	box.Add(l)
	box.Add(widget.NewLabel(s.t("setup.done.summary", map[string]string{
		"Store": s.v.StoreName, "Till": s.v.TillID, "Country": s.tkey("setup.country", s.v.Country),
	})))
	return box
}

func (s *Setup) goBack() {
	s.keep()
	if s.step > stepLanguage {
		s.show(s.step - 1)
	}
}

// keep takes the current step's entries into the values without checking.
func (s *Setup) keep() {
	get := func(name string) (string, bool) {
		e, ok := s.entries[name]
		if !ok {
			return "", false
		}
		return strings.TrimSpace(e.Text), true
	}
	switch s.step {
	case stepStore:
		s.v.StoreName, _ = get("name")
		s.v.OrgNumber, _ = get("org")
		s.v.Address, _ = get("address")
		s.v.TillID, _ = get("till")
	case stepVipps:
		s.keepVipps()
	case stepManager:
		if n, ok := get("manager"); ok {
			s.v.ManagerName = n
		}
		s.v.ManagerPIN = s.entries["pin"].Text
	}
}

// goNext checks the step and moves on.
func (s *Setup) goNext() {
	s.keep()
	var err error
	switch s.step {
	case stepCountry:
		if s.v.Country == "" {
			err = &Problem{Key: "setup.problem.country"}
		}
	case stepStore:
		err = s.svc.CheckStore(s.v)
	case stepVipps:
		err = s.svc.CheckVipps(s.v)
	case stepDevices:
		if !s.keepDevices() {
			return
		}
	case stepManager:
		switch {
		case !s.svc.HasCashiers() && s.v.ManagerName == "":
			err = &Problem{Key: "setup.problem.manager_name"}
		case !flow.ValidPIN(s.v.ManagerPIN):
			err = &Problem{Key: "setup.problem.pin"}
		case s.entries["pin_again"].Text != s.v.ManagerPIN:
			err = &Problem{Key: "setup.problem.pins_differ"}
		}
	case stepDone:
		s.finish()
		return
	}
	if err != nil {
		s.fail(err)
		return
	}
	s.show(s.step + 1)
}

func (s *Setup) finish() {
	v := s.v
	s.next.Disable()
	s.say(s.t("setup.done.saving"), widget.MediumImportance)
	s.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := s.svc.Finish(ctx, v)
		fyne.Do(func() {
			s.next.Enable()
			if err != nil {
				s.fail(err)
				return
			}
			if s.onDone != nil {
				s.onDone()
			}
		})
	})
}
