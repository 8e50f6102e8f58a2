package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"

	"github.com/kasse-pos/kasse/flow"
)

// StoreOps connects the cashier window to the store's operations: who is
// logged in, and the X/Z reports. Nil in Options: the till runs without
// cashier login.
type StoreOps struct {
	Cashiers Cashiers
	Reports  Reports
	// CanCloseDay reports whether the cashier logged in may take the Z report.
	CanCloseDay func() bool
	// OnReport prints a report that was taken (off the UI thread);
	// ErrNoPrinter when the till has no printer.
	OnReport func(ctx context.Context, r flow.Report) error
	// SetTraining switches training mode (a manager's decision); nil: the
	// till has no training mode.
	SetTraining func(ctx context.Context, on bool) error
	// Cash is the drawer's float, count and opening without a sale
	// (tender_drawer.go); nil: the till takes no cash.
	Cash CashDrawer
}

// storeOps is the cashier window's login gate, cashier switch and reports.
type storeOps struct {
	c      *cashierWindow
	ops    *StoreOps
	who    *touchButton // the cashier's name; tapping it switches cashier
	gate   *dialog.CustomDialog
	screen *LoginScreen
	gated  bool // the login screen shows: typed keys are the PIN

	cashierForm *cashierForm // the cashiers dialog last opened, for the tests
}

// addStoreOps puts the cashier's name, "switch cashier" and "reports" in
// the tool row and shows the PIN pad until someone logs in.
func (c *cashierWindow) addStoreOps(tools *fyne.Container, ops *StoreOps) {
	s := &storeOps{c: c, ops: ops}
	c.ops = s
	t := storeOpsText(c.w.opt.Lang)
	s.who = newButton(t("login.switch"), theme.AccountIcon(), s.showLogin)
	tools.Objects = append([]fyne.CanvasObject{s.who,
		newButton(t("reports.title"), theme.DocumentIcon(), s.showReports),
	}, tools.Objects...)
	if ops.SetTraining != nil {
		c.trainingBtn = newButton(t("training.start"), theme.InfoIcon(), s.toggleTraining)
		tools.Objects = append(tools.Objects, c.trainingBtn)
	}
	s.screen = NewLoginScreen(ops.Cashiers, c.w.opt.Lang, s.loggedIn, c.w.opt.Async)
	s.gate = dialog.NewCustomWithoutButtons(t("login.title"), s.screen, c.win)
	if cur, ok := ops.Cashiers.Current(); ok {
		s.who.SetText(cur.Name)
	} else {
		c.w.onShow = append(c.w.onShow, s.showLogin)
	}
}

// toggleTraining switches training mode; a refusal is explained.
func (s *storeOps) toggleTraining() {
	t := storeOpsText(s.c.w.opt.Lang)
	on := !s.c.w.view.Training
	s.c.w.opt.Async(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.c.w.opt.Timeout)
		defer cancel()
		err := s.ops.SetTraining(ctx, on)
		if err == nil {
			return
		}
		msg := t("training.failed")
		switch {
		case errors.Is(err, flow.ErrNotAllowed), errors.Is(err, flow.ErrNotLoggedIn):
			msg = t("training.manager")
		case errors.Is(err, flow.ErrSaleOpen):
			msg = t("training.sale_open")
		case errors.Is(err, flow.ErrTrainingRequired):
			msg = t("training.needs_keys")
		}
		fyne.LogError("training mode", err)
		fyne.Do(func() { dialog.ShowInformation(t("training.start"), msg, s.c.win) })
	})
}

func (s *storeOps) showLogin() {
	s.screen.Reload()
	s.gate.Resize(fyne.NewSize(640, 600))
	s.gate.Show()
	s.gated = true
}

func (s *storeOps) loggedIn(c flow.Cashier) {
	s.who.SetText(c.Name)
	s.gate.Hide()
	s.gated = false
	if s.ops.Cash != nil {
		s.askFloat()
	}
}

func (s *storeOps) showReports() {
	t := storeOpsText(s.c.w.opt.Lang)
	r := NewReportScreen(s.ops.Reports, s.c.w.opt.Lang, s.ops.OnReport, s.c.w.opt.Async)
	r.CanClose = s.ops.CanCloseDay
	var body fyne.CanvasObject = container.NewVScroll(r)
	var top []fyne.CanvasObject
	if s.ops.Cash != nil {
		top = append(top, s.cashButtons())
	}
	if b := s.cashiersButton(); b != nil && s.ops.CanCloseDay != nil && s.ops.CanCloseDay() {
		top = append(top, b) // a manager's: who may log in, and a new cashier
	}
	if len(top) > 0 {
		body = container.NewBorder(container.NewVBox(top...), nil, nil, nil, body)
	}
	d := dialog.NewCustom(t("reports.title"), s.c.tr.T("close"), body, s.c.win)
	d.Resize(fyne.NewSize(640, 640))
	d.Show()
}
