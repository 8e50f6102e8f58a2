package ui

import (
	"strconv"
	"strings"

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

	CashierScanner  string // serial port (/dev/ttyACM0, COM3); empty: keyboard-wedge scanner
	CustomerScanner string
	PrinterDevice   string // ESC/POS printer port or device; empty: no printer
	PrinterWidth    int    // characters per line

	StoreName string // on every receipt
	OrgNumber string
	Address   string
}

// SettingsService loads and stores the settings and guards them with the
// manager PIN. Its errors are shown to the manager as they are.
type SettingsService interface {
	HasPIN() bool
	// SetPIN sets the manager PIN; current is ignored when none is set yet.
	SetPIN(current, pin string) error
	// CheckPIN fails for a wrong PIN and while locked after repeated failures.
	CheckPIN(pin string) error
	Settings() Settings
	SaveSettings(Settings) error
}

// settingsScreen swaps its pages (PIN, form, change PIN) inside root.
type settingsScreen struct {
	win     fyne.Window
	svc     SettingsService
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
	sc := &settingsScreen{win: w, svc: s, onClose: onClose, root: container.NewStack()}
	sc.showPINPage()
	return sc
}

// ShowSettingsWindow opens the settings screen in a window of its own.
func ShowSettingsWindow(a fyne.App, s SettingsService) fyne.Window {
	w := a.NewWindow("kasse — settings")
	setWindowClass(a)
	sc := newSettingsScreen(w, s, w.Close)
	w.SetContent(sc.root)
	sc.focus(sc.pin)
	w.Resize(fyne.NewSize(640, 720))
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
	return widget.NewButton("Close", func() {
		if sc.onClose != nil {
			sc.onClose()
		}
	})
}

func (sc *settingsScreen) fail(msg string) {
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
	sc.pin = newSecretField("PIN")
	if !sc.svc.HasPIN() {
		sc.pinRepeat = newSecretField("the same PIN again")
		choose := func() {
			if sc.pin.Text != sc.pinRepeat.Text {
				sc.fail("The two PINs differ.")
				return
			}
			if err := sc.svc.SetPIN("", sc.pin.Text); err != nil {
				sc.fail(err.Error())
				return
			}
			sc.showForm()
		}
		sc.pinRepeat.OnSubmitted = func(string) { choose() }
		intro := widget.NewLabel("First start: choose the manager PIN (4–8 digits).\nIt opens these settings; keep it from the cashiers.")
		sc.show("Choose a manager PIN", container.NewVBox(intro, sc.pin, sc.pinRepeat), sc.closeButton(), widget.NewButton("Set PIN", choose))
		sc.focus(sc.pin)
		return
	}
	unlock := func() {
		if err := sc.svc.CheckPIN(sc.pin.Text); err != nil {
			sc.pin.SetText("")
			sc.fail(err.Error())
			return
		}
		sc.showForm()
	}
	sc.pin.OnSubmitted = func(string) { unlock() }
	sc.show("Manager PIN", container.NewVBox(widget.NewLabel("Enter the manager PIN to open the settings."), sc.pin), sc.closeButton(), widget.NewButton("Open", unlock))
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
	sc.pinCurrent = newSecretField("current PIN")
	sc.pin = newSecretField("new PIN")
	sc.pinRepeat = newSecretField("new PIN again")
	change := func() {
		if sc.pin.Text != sc.pinRepeat.Text {
			sc.fail("The two new PINs differ.")
			return
		}
		if err := sc.svc.SetPIN(sc.pinCurrent.Text, sc.pin.Text); err != nil {
			sc.fail(err.Error())
			return
		}
		sc.showForm()
		sc.status.SetText("The manager PIN is changed.")
	}
	sc.show("Change the manager PIN", container.NewVBox(sc.pinCurrent, sc.pin, sc.pinRepeat),
		widget.NewButton("Cancel", sc.showForm), widget.NewButton("Change PIN", change))
}

// settingsForm holds the form's entries.
type settingsForm struct {
	env                                             *widget.Select
	msn, clientID, clientSecret, subscriptionKey    *widget.Entry
	cashierScanner, customerScanner, printer, width *widget.Entry
	storeName, orgNumber, address                   *widget.Entry
}

func newStoredSecretField(stored bool) *widget.Entry {
	if stored {
		return newSecretField("stored — leave empty to keep it")
	}
	return newSecretField("not set")
}

func newSettingsEntry(value, placeholder string) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(value)
	e.SetPlaceHolder(placeholder)
	return e
}

func (sc *settingsScreen) showForm() {
	cur := sc.svc.Settings()
	f := &settingsForm{
		env:             widget.NewSelect(settingsEnvs, nil),
		msn:             newSettingsEntry(cur.MSN, "4–7 digits"),
		clientID:        newSettingsEntry(cur.ClientID, "from the Vipps MobilePay business portal"),
		clientSecret:    newStoredSecretField(cur.ClientSecretSet),
		subscriptionKey: newStoredSecretField(cur.SubscriptionKeySet),
		cashierScanner:  newSettingsEntry(cur.CashierScanner, "e.g. /dev/ttyACM0 or COM3; empty: keyboard scanner"),
		customerScanner: newSettingsEntry(cur.CustomerScanner, "e.g. /dev/ttyACM1 or COM4; empty: none"),
		printer:         newSettingsEntry(cur.PrinterDevice, "e.g. /dev/usb/lp0 or COM5; empty: no printer"),
		width:           newSettingsEntry(strconv.Itoa(cur.PrinterWidth), "42 on 80 mm paper"),
		storeName:       newSettingsEntry(cur.StoreName, ""),
		orgNumber:       newSettingsEntry(cur.OrgNumber, "organisation number"),
		address:         newSettingsEntry(cur.Address, "street, postcode and town"),
	}
	f.env.SetSelected(cur.VippsEnv)
	sc.form = f
	sc.status = widget.NewLabel("")

	form := widget.NewForm(
		widget.NewFormItem("Vipps environment", f.env),
		widget.NewFormItem("Merchant Serial Number", f.msn),
		widget.NewFormItem("Client id", f.clientID),
		widget.NewFormItem("Client secret", f.clientSecret),
		widget.NewFormItem("Subscription key", f.subscriptionKey),
		widget.NewFormItem("Cashier scanner port", f.cashierScanner),
		widget.NewFormItem("Customer scanner port", f.customerScanner),
		widget.NewFormItem("Receipt printer", f.printer),
		widget.NewFormItem("Characters per line", f.width),
		widget.NewFormItem("Store name", f.storeName),
		widget.NewFormItem("Organisation number", f.orgNumber),
		widget.NewFormItem("Address", f.address),
	)
	sc.show("Settings", container.NewVScroll(form),
		sc.closeButton(), widget.NewButton("Change PIN", sc.showChangePIN), widget.NewButton("Save", sc.save))
}

func (sc *settingsScreen) save() {
	f := sc.form
	width, err := strconv.Atoi(strings.TrimSpace(f.width.Text))
	if err != nil || width <= 0 {
		sc.fail("Characters per line must be a whole number, e.g. 42.")
		return
	}
	s := Settings{
		VippsEnv:        f.env.Selected,
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
	}
	if err := sc.svc.SaveSettings(s); err != nil {
		sc.fail(err.Error())
		return
	}
	// Reload, so the secrets leave the screen and show as "stored".
	sc.showForm()
	sc.status.SetText("Saved. Restart kasse to use the new settings.")
}
