package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// Cashiers is what the login screen needs; flow.CashierSession has it.
type Cashiers interface {
	Cashiers(ctx context.Context) ([]flow.Cashier, error)
	Login(ctx context.Context, id int64, pin string) (flow.Cashier, error)
	Current() (flow.Cashier, bool)
}

// CashierAdder is what the login screen needs to create the first manager
// on a new till; flow.CashierSession has it.
type CashierAdder interface {
	AddCashier(ctx context.Context, name string, role flow.Role, pin string) (flow.Cashier, error)
}

// LoginScreen is the PIN pad: the cashier taps their name, types their PIN
// and taps Log in. It also switches cashier: the one logged in is logged
// out by the session when another logs in.
type LoginScreen struct {
	widget.BaseWidget

	// OnLogin runs on the UI thread after a successful login.
	OnLogin func(flow.Cashier)
	Async   func(func())

	cashiers Cashiers
	t        func(string) string
	chosen   flow.Cashier
	pin      string
	first    *widget.Entry // the first manager's name on a new till, nil otherwise

	names   *fyne.Container
	who     *widget.Label
	dots    *widget.Label
	message *widget.Label
	keys    map[rune]*touchButton
	login   *touchButton
	content fyne.CanvasObject
}

// NewLoginScreen makes the PIN pad in lang (nb, da, fi or en) and loads the
// cashiers. async runs the slow work (the PIN hash) off the UI thread; nil
// starts a goroutine, tests pass a synchronous runner.
func NewLoginScreen(c Cashiers, lang string, onLogin func(flow.Cashier), async func(func())) *LoginScreen {
	s := &LoginScreen{OnLogin: onLogin, Async: async, cashiers: c, t: storeOpsText(lang), keys: map[rune]*touchButton{}}
	s.names = container.NewGridWrap(fyne.NewSize(200, 72))
	s.who = widget.NewLabelWithStyle(s.t("login.choose"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	s.dots = widget.NewLabelWithStyle(" ", fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
	s.dots.SizeName = theme.SizeNameHeadingText
	s.message = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	s.message.Importance = widget.DangerImportance
	s.message.Wrapping = fyne.TextWrapWord

	pad := container.NewGridWithColumns(3)
	for _, r := range "123456789C0\b" {
		label, icon := string(r), fyne.Resource(nil)
		if r == '\b' {
			label, icon = "", theme.NavigateBackIcon()
		}
		b := newButton(label, icon, func() { s.Press(r) })
		b.min = fyne.NewSize(88, 72)
		s.keys[r] = b
		pad.Add(b)
	}
	s.login = bigButton(s.t("login.button"), theme.LoginIcon(), func() { s.Press('\r') })
	s.login.Disable()

	right := container.NewVBox(s.who, s.dots, pad, s.login, s.message)
	left := container.NewVScroll(s.names)
	left.SetMinSize(fyne.NewSize(420, 300))
	s.content = container.NewBorder(
		widget.NewLabelWithStyle(s.t("login.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}), nil,
		nil, container.NewPadded(right), left)
	s.ExtendBaseWidget(s)
	s.Reload()
	return s
}

func (s *LoginScreen) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(s.content)
}

func (s *LoginScreen) run(f func()) {
	if s.Async != nil {
		s.Async(f)
		return
	}
	go f()
}

// Reload lists the active cashiers again (after one was added).
func (s *LoginScreen) Reload() {
	s.run(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		list, err := s.cashiers.Cashiers(ctx)
		fyne.Do(func() { s.showNames(list, err) })
	})
}

func (s *LoginScreen) showNames(list []flow.Cashier, err error) {
	s.names.RemoveAll()
	if err != nil {
		s.message.SetText(s.t("login.failed") + ": " + err.Error())
		return
	}
	if len(list) == 0 {
		if _, ok := s.cashiers.(CashierAdder); ok {
			s.firstManager()
			return
		}
		s.message.SetText(s.t("login.nobody"))
	}
	if s.first != nil {
		s.first = nil
		s.who.SetText(s.t("login.choose"))
		s.login.SetText(s.t("login.button"))
	}
	current, _ := s.cashiers.Current()
	for _, c := range list {
		c := c
		b := newButton(c.Name, theme.AccountIcon(), func() { s.Choose(c) })
		b.min = fyne.NewSize(200, 72)
		if c.ID == current.ID {
			b.Importance = widget.HighImportance
		}
		s.names.Add(b)
	}
}

// firstManager turns the screen into the form for a new till's first
// cashier, who becomes its manager.
func (s *LoginScreen) firstManager() {
	s.first = widget.NewEntry()
	s.first.SetPlaceHolder(s.t("login.first_name"))
	s.first.OnChanged = func(string) { s.show() }
	s.names.Add(container.NewGridWrap(fyne.NewSize(400, 72), s.first))
	s.who.SetText(s.t("login.first"))
	s.login.SetText(s.t("login.first_button"))
	s.show()
}

// Choose selects whose PIN is typed next.
func (s *LoginScreen) Choose(c flow.Cashier) {
	s.chosen, s.pin = c, ""
	s.who.SetText(c.Name)
	s.message.SetText("")
	s.show()
}

// Press handles one key of the PIN pad: a digit, 'C', '\b' or '\r' (log in).
func (s *LoginScreen) Press(r rune) {
	switch {
	case r >= '0' && r <= '9':
		if len(s.pin) < 8 {
			s.pin += string(r)
		}
	case r == 'C':
		s.pin = ""
	case r == '\b':
		if s.pin != "" {
			s.pin = s.pin[:len(s.pin)-1]
		}
	case r == '\r':
		s.submit()
		return
	}
	s.message.SetText("")
	s.show()
}

func (s *LoginScreen) show() {
	if s.pin == "" {
		s.dots.SetText(" ")
	} else {
		s.dots.SetText(strings.Repeat("● ", len(s.pin)))
	}
	if s.ready() {
		s.login.Enable()
	} else {
		s.login.Disable()
	}
}

// ready: someone is chosen (or the first manager named) and the PIN is whole.
func (s *LoginScreen) ready() bool {
	if !flow.ValidPIN(s.pin) {
		return false
	}
	if s.first != nil {
		return strings.TrimSpace(s.first.Text) != ""
	}
	return s.chosen.ID != 0
}

func (s *LoginScreen) submit() {
	if !s.ready() {
		return
	}
	id, pin, first := s.chosen.ID, s.pin, ""
	if s.first != nil {
		first = strings.TrimSpace(s.first.Text)
	}
	s.pin = ""
	s.show()
	s.login.Disable()
	s.run(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if first != "" {
			m, err := s.cashiers.(CashierAdder).AddCashier(ctx, first, flow.RoleManager, pin)
			if err != nil {
				fyne.Do(func() { s.message.SetText(s.t("login.failed") + ": " + err.Error()) })
				return
			}
			id = m.ID
			fyne.Do(s.Reload)
		}
		c, err := s.cashiers.Login(ctx, id, pin)
		fyne.Do(func() {
			switch {
			case err == nil:
				s.message.SetText("")
				if s.OnLogin != nil {
					s.OnLogin(c)
				}
			case errors.Is(err, flow.ErrWrongPIN):
				s.message.SetText(s.t("login.wrong"))
			case errors.Is(err, flow.ErrCashierLocked):
				s.message.SetText(s.t("login.locked"))
			default:
				s.message.SetText(s.t("login.failed") + ": " + err.Error())
			}
		})
	})
}

var sharedTexts = sync.OnceValue(func() texts {
	t, err := loadTexts()
	if err != nil {
		fyne.LogError("loading translations", err)
		return texts{}
	}
	return t
})

// storeOpsText translates for the login and report screens, which the
// cashier window opens on their own.
func storeOpsText(lang string) func(string) string {
	if lang = pickLang(lang); lang == "" {
		lang = systemLang()
	}
	return func(key string) string { return tr{all: sharedTexts(), lang: lang}.T(key) }
}
