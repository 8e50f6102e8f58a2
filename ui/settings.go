package ui

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// Vipps environments offered on the settings screen.
var settingsEnvs = []string{"simulator", "test", "production"}

// Settings are what a store manager changes on the settings screen.
type Settings struct {
	VippsEnv string // simulator, test or production
	MSN      string // Merchant Serial Number of the sales unit
	ClientID string

	// ClientSecret and SubscriptionKey are write-only. Settings() leaves them
	// empty and only says whether one is stored; an empty value given to
	// SaveSettings keeps the stored one.
	ClientSecret       string
	SubscriptionKey    string
	ClientSecretSet    bool
	SubscriptionKeySet bool

	CashierScanner      string // serial port (/dev/ttyACM0, COM3); empty: keyboard-wedge scanner
	CustomerScanner     string
	CashierScannerBaud  int    // 9600 when 0
	CustomerScannerBaud int    // 9600 when 0
	PrinterDevice       string // ESC/POS printer port or device; empty: no printer
	PrinterWidth        int    // characters per line
	PrinterBaud         int    // for a printer on a serial port; 0: 9600

	StoreName string // on every receipt
	OrgNumber string
	Address   string
	Country   string // NO, DK or FI; the currency follows
	TillID    string // Store.POSID, unique in the store or chain

	Lang    string // the cashier's language: nb, da, fi, en; "" from the system
	Display string // DisplayBeside, DisplayFullscreen or DisplayNone

	// PushOff: payment requests go by the QR code on the customer display
	// instead of straight to the phone, because Vipps MobilePay has not
	// enabled push for the sales unit (the till turns push off itself on
	// the first refusal). The zero value is push on.
	PushOff bool
	// ClubConsents: enrolment asks for the club's marketing consents set
	// up in the business portal (delegatedConsents).
	ClubConsents bool
}

// SettingsService loads and stores the settings and guards them with the
// manager PIN. The screen shows its errors by their Problem keys; any other
// error shows as settings.problem.failed.
type SettingsService interface {
	HasPIN() bool
	// SetPIN sets the manager PIN; current is ignored when none is set yet.
	SetPIN(current, pin string) error
	// CheckPIN fails for a wrong PIN and while locked after repeated failures.
	CheckPIN(pin string) error
	Settings() Settings
	SaveSettings(Settings) error
	// TestVipps tries the form's keys (empty secrets: the stored ones)
	// against its environment, as SetupService.TestVipps answers.
	TestVipps(ctx context.Context, s Settings) string
	// Brand is what the market of country calls the app and the company today.
	Brand(country string) Brand
}

// settingsScreen swaps its pages (PIN, form, change PIN) inside root.
type settingsScreen struct {
	win     fyne.Window
	svc     SettingsService
	tr      tr
	async   func(func())
	onClose func()
	root    *fyne.Container

	// The current page's widgets, kept for the tests.
	pin, pinRepeat, pinCurrent *widget.Entry
	status                     *widget.Label
	form                       *settingsForm
	buttons                    map[string]*widget.Button
}

// NewSettingsScreen is the manager's settings: it asks for the manager PIN
// (or, on the first run, asks to choose one) before it shows the form.
// onClose is called by the Close button; it may be nil.
func NewSettingsScreen(w fyne.Window, s SettingsService, onClose func()) fyne.CanvasObject {
	return newSettingsScreen(w, s, onClose).root
}

func newSettingsScreen(w fyne.Window, s SettingsService, onClose func()) *settingsScreen {
	cur := s.Settings()
	lang := pickLang(cur.Lang)
	if lang == "" {
		lang = systemLang()
	}
	sc := &settingsScreen{win: w, svc: s, onClose: onClose, root: container.NewStack(),
		tr:    tr{all: sharedTexts(), lang: lang, brand: func() Brand { return s.Brand(cur.Country) }},
		async: func(f func()) { go f() }}
	sc.showPINPage()
	return sc
}

func (sc *settingsScreen) t(key string, args ...map[string]string) string {
	return sc.tr.T(key, args...)
}

// ShowSettingsWindow opens the settings screen in a window of its own.
func ShowSettingsWindow(a fyne.App, s SettingsService) fyne.Window {
	w := a.NewWindow("kasse")
	setWindowClass(a)
	sc := newSettingsScreen(w, s, w.Close)
	w.SetTitle(sc.t("settings.window"))
	w.SetContent(sc.root)
	sc.focus(sc.pin)
	w.Resize(fyne.NewSize(760, 740)) // fits a 1024×768 till screen
	w.Show()
	return w
}

func (sc *settingsScreen) show(title string, body fyne.CanvasObject, buttons ...*widget.Button) {
	heading := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	sc.buttons = map[string]*widget.Button{}
	bar := container.NewHBox(sc.status, layout.NewSpacer())
	for _, b := range buttons {
		sc.buttons[b.Text] = b
		bar.Add(b)
	}
	sc.root.Objects = []fyne.CanvasObject{container.NewBorder(heading, bar, nil, nil, body)}
	sc.root.Refresh()
}

func (sc *settingsScreen) closeButton() *widget.Button {
	return widget.NewButton(sc.t("settings.close"), func() {
		if sc.onClose != nil {
			sc.onClose()
		}
	})
}

// fail shows why the last action was refused, translated.
func (sc *settingsScreen) fail(err error) {
	sc.failText(problemText(sc.tr, err, "settings.problem.failed"))
}

func (sc *settingsScreen) failText(msg string) {
	sc.status.SetText(msg)
	sc.status.Importance = widget.DangerImportance
	sc.status.Refresh()
}

func newSecretField(placeholder string) *widget.Entry {
	e := widget.NewPasswordEntry()
	e.SetPlaceHolder(placeholder)
	return e
}

func (sc *settingsScreen) showPINPage() {
	sc.status = widget.NewLabel("")
	sc.status.Wrapping = fyne.TextWrapWord
	sc.pin = newSecretField(sc.t("settings.pin"))
	if !sc.svc.HasPIN() {
		sc.pinRepeat = newSecretField(sc.t("settings.pin_again"))
		choose := func() {
			if sc.pin.Text != sc.pinRepeat.Text {
				sc.failText(sc.t("setup.problem.pins_differ"))
				return
			}
			if err := sc.svc.SetPIN("", sc.pin.Text); err != nil {
				sc.fail(err)
				return
			}
			sc.showForm()
		}
		sc.pinRepeat.OnSubmitted = func(string) { choose() }
		intro := widget.NewLabel(sc.t("settings.choose_pin_intro"))
		intro.Wrapping = fyne.TextWrapWord
		sc.show(sc.t("settings.choose_pin"), container.NewVBox(intro, sc.pin, sc.pinRepeat), sc.closeButton(), widget.NewButton(sc.t("settings.set_pin"), choose))
		sc.focus(sc.pin)
		return
	}
	unlock := func() {
		if err := sc.svc.CheckPIN(sc.pin.Text); err != nil {
			sc.pin.SetText("")
			sc.fail(err)
			return
		}
		sc.showForm()
	}
	sc.pin.OnSubmitted = func(string) { unlock() }
	intro := widget.NewLabel(sc.t("settings.pin_intro"))
	intro.Wrapping = fyne.TextWrapWord
	sc.show(sc.t("settings.manager_pin"), container.NewVBox(intro, sc.pin), sc.closeButton(), widget.NewButton(sc.t("settings.open"), unlock))
	sc.focus(sc.pin)
}

// focus puts the cursor in e once the screen is on the window, so a manager
// with a keyboard can type the PIN at once.
func (sc *settingsScreen) focus(e *widget.Entry) {
	if sc.win == nil {
		return
	}
	// Deferred: a new screen is usually put on the window after this returns.
	fyne.Do(func() {
		if fyne.CurrentApp().Driver().CanvasForObject(e) == sc.win.Canvas() {
			sc.win.Canvas().Focus(e)
		}
	})
}

func (sc *settingsScreen) showChangePIN() {
	sc.status = widget.NewLabel("")
	sc.pinCurrent = newSecretField(sc.t("settings.current_pin"))
	sc.pin = newSecretField(sc.t("settings.new_pin"))
	sc.pinRepeat = newSecretField(sc.t("settings.new_pin_again"))
	change := func() {
		if sc.pin.Text != sc.pinRepeat.Text {
			sc.failText(sc.t("setup.problem.pins_differ"))
			return
		}
		if err := sc.svc.SetPIN(sc.pinCurrent.Text, sc.pin.Text); err != nil {
			sc.fail(err)
			return
		}
		sc.showForm()
		sc.status.SetText(sc.t("settings.pin_changed"))
	}
	sc.show(sc.t("settings.change_pin_title"), container.NewVBox(sc.pinCurrent, sc.pin, sc.pinRepeat),
		widget.NewButton(sc.t("settings.cancel"), sc.showForm), widget.NewButton(sc.t("settings.change_pin"), change))
}

// settingsForm holds the form's entries.
type settingsForm struct {
	env                                          *widget.Select
	msn, clientID, clientSecret, subscriptionKey *widget.Entry
	cashierScanner, customerScanner              *widget.Entry
	cashierBaud, customerBaud                    *widget.Entry
	printer, width, printerBaud                  *widget.Entry
	storeName, orgNumber, address, tillID        *widget.Entry
	country, lang, display                       *widget.Select
	push, consents                               *widget.Check
	testResult                                   *widget.Label
	test                                         *widget.Button

	// Each select shows translations; these map them back to the values.
	envs, countries, langs, displays options
}

// options are a select's values with their translated labels.
type options struct{ values, labels []string }

func (sc *settingsScreen) options(prefix string, values []string) options {
	o := options{values: values}
	for _, v := range values {
		if prefix == "" {
			o.labels = append(o.labels, languageNames[v])
		} else {
			o.labels = append(o.labels, sc.t(prefix+"."+v))
		}
	}
	return o
}

func (o options) label(value string) string {
	for i, v := range o.values {
		if v == value {
			return o.labels[i]
		}
	}
	return ""
}

func (o options) value(label string) string {
	for i, l := range o.labels {
		if l == label {
			return o.values[i]
		}
	}
	return ""
}

func (sc *settingsScreen) newSelect(o options, value string) *widget.Select {
	sel := widget.NewSelect(o.labels, nil)
	sel.SetSelected(o.label(value))
	return sel
}

func (sc *settingsScreen) storedSecretField(stored bool) *widget.Entry {
	if stored {
		return newSecretField(sc.t("setup.vipps.stored"))
	}
	return newSecretField(sc.t("settings.not_set"))
}

func newSettingsEntry(value, placeholder string) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(value)
	e.SetPlaceHolder(placeholder)
	return e
}

func baudText(b int) string {
	if b == 0 {
		return ""
	}
	return strconv.Itoa(b)
}

func (sc *settingsScreen) showForm() {
	cur := sc.svc.Settings()
	t := sc.t
	f := &settingsForm{
		envs:      sc.options("setup.vipps.env", settingsEnvs),
		countries: sc.options("setup.country", setupCountries),
		langs:     sc.options("", []string{"", "nb", "da", "fi", "en"}),
		displays:  sc.options("setup.display", setupDisplays),
	}
	f.langs.labels[0] = t("settings.lang_system")
	f.env = sc.newSelect(f.envs, cur.VippsEnv)
	f.msn = newSettingsEntry(cur.MSN, t("settings.msn_hint"))
	f.clientID = newSettingsEntry(cur.ClientID, t("settings.client_id_hint"))
	f.clientSecret = sc.storedSecretField(cur.ClientSecretSet)
	f.subscriptionKey = sc.storedSecretField(cur.SubscriptionKeySet)
	f.cashierScanner = newSettingsEntry(cur.CashierScanner, t("setup.devices.cashier_scanner_hint"))
	f.customerScanner = newSettingsEntry(cur.CustomerScanner, t("setup.devices.customer_scanner_hint"))
	f.cashierBaud = newSettingsEntry(baudText(cur.CashierScannerBaud), "9600")
	f.customerBaud = newSettingsEntry(baudText(cur.CustomerScannerBaud), "9600")
	f.printer = newSettingsEntry(cur.PrinterDevice, t("setup.devices.printer_hint"))
	f.width = newSettingsEntry(strconv.Itoa(cur.PrinterWidth), "42")
	f.printerBaud = newSettingsEntry(baudText(cur.PrinterBaud), "9600")
	f.storeName = newSettingsEntry(cur.StoreName, "")
	f.orgNumber = newSettingsEntry(cur.OrgNumber, "")
	f.address = newSettingsEntry(cur.Address, t("setup.store.address_hint"))
	f.tillID = newSettingsEntry(cur.TillID, "pos1")
	f.country = sc.newSelect(f.countries, cur.Country)
	f.lang = sc.newSelect(f.langs, cur.Lang)
	f.display = sc.newSelect(f.displays, cur.Display)
	f.push = widget.NewCheck(t("settings.push_on"), nil)
	f.push.SetChecked(!cur.PushOff)
	f.consents = widget.NewCheck(t("settings.consents_on"), nil)
	f.consents.SetChecked(cur.ClubConsents)
	f.testResult = widget.NewLabel("")
	f.testResult.Wrapping = fyne.TextWrapWord
	f.test = widget.NewButton(t("setup.vipps.test"), sc.testVipps)
	sc.form = f
	sc.status = widget.NewLabel("")
	sc.status.Wrapping = fyne.TextWrapWord

	form := widget.NewForm(
		widget.NewFormItem(t("settings.country"), f.country),
		widget.NewFormItem(t("settings.store_name"), f.storeName),
		widget.NewFormItem(t("settings.org_number"), f.orgNumber),
		widget.NewFormItem(t("setup.store.address"), f.address),
		widget.NewFormItem(t("settings.till_id"), f.tillID),
		widget.NewFormItem(t("settings.lang"), f.lang),
		widget.NewFormItem(t("settings.vipps_env"), f.env),
		widget.NewFormItem(t("setup.vipps.msn"), f.msn),
		widget.NewFormItem(t("setup.vipps.client_id"), f.clientID),
		widget.NewFormItem(t("setup.vipps.client_secret"), f.clientSecret),
		widget.NewFormItem(t("settings.subscription_key"), f.subscriptionKey),
		widget.NewFormItem("", container.NewBorder(nil, nil, f.test, nil, f.testResult)),
		widget.NewFormItem(t("settings.push"), f.push),
		widget.NewFormItem(t("settings.consents"), f.consents),
		widget.NewFormItem(t("setup.devices.printer"), f.printer),
		widget.NewFormItem(t("settings.width"), f.width),
		widget.NewFormItem(t("settings.printer_baud"), f.printerBaud),
		widget.NewFormItem(t("setup.devices.cashier_scanner"), f.cashierScanner),
		widget.NewFormItem(t("settings.cashier_baud"), f.cashierBaud),
		widget.NewFormItem(t("setup.devices.customer_scanner"), f.customerScanner),
		widget.NewFormItem(t("settings.customer_baud"), f.customerBaud),
		widget.NewFormItem(t("setup.devices.display"), f.display),
	)
	sc.show(t("settings.title"), container.NewVScroll(form),
		sc.closeButton(), widget.NewButton(t("settings.change_pin"), sc.showChangePIN), widget.NewButton(t("settings.save"), sc.save))
}

// baud reads a baud-rate field: empty is 0 (the default).
func baud(e *widget.Entry) (int, bool) {
	s := strings.TrimSpace(e.Text)
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// read takes the form into Settings; ok is false (and the status says
// why) when a number field holds no number.
func (sc *settingsScreen) read() (Settings, bool) {
	f := sc.form
	width, err := strconv.Atoi(strings.TrimSpace(f.width.Text))
	if err != nil || width <= 0 {
		sc.failText(sc.t("setup.problem.width"))
		return Settings{}, false
	}
	bauds := map[*widget.Entry]*int{}
	s := Settings{
		VippsEnv:        f.envs.value(f.env.Selected),
		MSN:             strings.TrimSpace(f.msn.Text),
		ClientID:        strings.TrimSpace(f.clientID.Text),
		ClientSecret:    f.clientSecret.Text,
		SubscriptionKey: f.subscriptionKey.Text,
		CashierScanner:  strings.TrimSpace(f.cashierScanner.Text),
		CustomerScanner: strings.TrimSpace(f.customerScanner.Text),
		PrinterDevice:   strings.TrimSpace(f.printer.Text),
		PrinterWidth:    width,
		StoreName:       strings.TrimSpace(f.storeName.Text),
		OrgNumber:       strings.TrimSpace(f.orgNumber.Text),
		Address:         strings.TrimSpace(f.address.Text),
		Country:         f.countries.value(f.country.Selected),
		TillID:          strings.TrimSpace(f.tillID.Text),
		Lang:            f.langs.value(f.lang.Selected),
		Display:         f.displays.value(f.display.Selected),
		PushOff:         !f.push.Checked,
		ClubConsents:    f.consents.Checked,
	}
	bauds[f.cashierBaud], bauds[f.customerBaud], bauds[f.printerBaud] = &s.CashierScannerBaud, &s.CustomerScannerBaud, &s.PrinterBaud
	for e, dst := range bauds {
		n, ok := baud(e)
		if !ok {
			sc.failText(sc.t("settings.problem.baud"))
			return Settings{}, false
		}
		*dst = n
	}
	return s, true
}

func (sc *settingsScreen) save() {
	s, ok := sc.read()
	if !ok {
		return
	}
	if err := sc.svc.SaveSettings(s); err != nil {
		sc.fail(err)
		return
	}
	// Reload, so the secrets leave the screen and show as "stored".
	sc.showForm()
	sc.status.SetText(sc.t("settings.saved"))
}

// testVipps tries the keys on the form against its environment.
func (sc *settingsScreen) testVipps() {
	s, ok := sc.read()
	if !ok {
		return
	}
	f := sc.form
	if s.VippsEnv == "simulator" {
		f.testResult.SetText(sc.t("setup.vipps.training"))
		return
	}
	f.test.Disable()
	f.testResult.Importance = widget.MediumImportance
	f.testResult.SetText(sc.t("setup.vipps.testing"))
	sc.async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		got := sc.svc.TestVipps(ctx, s)
		fyne.Do(func() {
			f.test.Enable()
			f.testResult.Importance = widget.DangerImportance
			if got == "ok" {
				f.testResult.Importance = widget.SuccessImportance
			}
			f.testResult.SetText(sc.tr.T("setup.vipps.result."+got, map[string]string{"Env": f.envs.label(s.VippsEnv)}))
		})
	})
}
