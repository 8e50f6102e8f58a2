package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// Why a till may refuse to start; each has a translated text start.<reason>
// that says what is wrong and what to do.
const (
	StartConfig   = "config"   // settings incomplete or unreadable
	StartRunning  = "running"  // another till holds the data directory
	StartDatabase = "database" // the database could not be opened
	StartOther    = "other"
)

// StartProblem is a refusal to start, for someone who tapped the till's icon
// and would otherwise see nothing happen.
type StartProblem struct {
	Lang    string            // cashier language; "" from the system
	Brand   Brand             // the market's brand today; zero: Norway's
	Reason  string            // StartConfig, StartRunning, …
	Args    map[string]string // filled into the reason's text ({{.PID}}, {{.Dir}})
	LogPath string

	OnSettings func()        // opens the settings; nil hides the button
	OnRetry    func()        // starts the till again; nil hides the button
	LogText    func() string // the end of the log, for "Show log"; nil hides the button
}

// StartProblemWindow is the small window that says why the till did not
// start and offers the way out.
type StartProblemWindow struct {
	Win     fyne.Window
	Message *widget.Label
	Buttons map[string]*widget.Button // by translation key, for the tests
}

// NewStartProblemWindow builds (but does not show) the window; closing it
// quits the application.
func NewStartProblemWindow(a fyne.App, p StartProblem) *StartProblemWindow {
	if p.Lang = pickLang(p.Lang); p.Lang == "" {
		p.Lang = systemLang()
	}
	t := tr{all: sharedTexts(), lang: p.Lang}
	if p.Brand != (Brand{}) {
		t.brand = func() Brand { return p.Brand }
	}
	w := &StartProblemWindow{Win: a.NewWindow(t.T("start.title")), Buttons: map[string]*widget.Button{}}
	setWindowClass(a)
	w.Win.SetMaster()

	heading := widget.NewLabelWithStyle(t.T("start.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.Message = widget.NewLabel(t.T("start."+p.Reason, p.Args))
	w.Message.Wrapping = fyne.TextWrapWord
	where := widget.NewLabel(t.T("start.log_where", map[string]string{"Path": p.LogPath}))
	where.Wrapping = fyne.TextWrapWord

	bar := container.NewHBox(layout.NewSpacer())
	add := func(key string, imp widget.Importance, fn func()) {
		b := widget.NewButton(t.T(key), fn)
		b.Importance = imp
		w.Buttons[key] = b
		bar.Add(b)
	}
	if p.LogText != nil {
		add("start.show_log", widget.MediumImportance, func() { showLogWindow(a, t, p.LogText()) })
	}
	if p.OnSettings != nil {
		add("start.open_settings", widget.HighImportance, p.OnSettings)
	}
	if p.OnRetry != nil {
		add("start.retry", widget.MediumImportance, func() {
			p.OnRetry()
			w.Win.Close()
		})
	}
	add("start.close", widget.MediumImportance, w.Win.Close)

	w.Win.SetContent(container.NewPadded(container.NewBorder(heading, bar, nil, nil,
		container.NewVBox(w.Message, where))))
	w.Win.Resize(fyne.NewSize(560, 300))
	w.Win.CenterOnScreen()
	return w
}

// showLogWindow shows the end of the log, selectable so it can be copied
// into a support request.
func showLogWindow(a fyne.App, t tr, text string) fyne.Window {
	w := a.NewWindow(t.T("start.log_title"))
	e := widget.NewMultiLineEntry()
	e.SetText(text)
	e.TextStyle = fyne.TextStyle{Monospace: true}
	e.Wrapping = fyne.TextWrapOff
	w.SetContent(container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), widget.NewButton(t.T("start.close"), w.Close)), nil, nil, e))
	w.Resize(fyne.NewSize(900, 600))
	w.Show()
	e.CursorRow = len(text) // at the end: the newest lines
	return w
}
