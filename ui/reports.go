package ui

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// Reports is what the report screen needs; flow.ElectronicJournal has it.
type Reports interface {
	// PeekReport sums the period so far without journaling anything.
	PeekReport(ctx context.Context, kind flow.ReportKind) (flow.Report, error)
	XReport(ctx context.Context) (flow.Report, error)
	ZReport(ctx context.Context) (flow.Report, error)
}

// ReportScreen shows the day so far and lets the cashier print an X report
// or, for a manager, close the day with the Z report.
type ReportScreen struct {
	widget.BaseWidget

	// OnReport prints every X or Z report taken (off the UI thread). It
	// returns ErrNoPrinter when the till has none: the report is shown,
	// and the screen does not claim it was printed.
	OnReport func(ctx context.Context, r flow.Report) error
	// CanClose reports whether the cashier logged in may take the Z
	// report; nil: anyone may.
	CanClose func() bool
	Async    func(func())

	reports Reports
	lang    string
	t       func(string) string
	armed   bool // the Z button was tapped once

	body    *fyne.Container
	message *widget.Label
	x, z    *touchButton
	content fyne.CanvasObject
}

// NewReportScreen makes the screen in lang and loads the figures. async
// runs queries off the UI thread; nil starts a goroutine.
func NewReportScreen(r Reports, lang string, onReport func(context.Context, flow.Report) error, async func(func())) *ReportScreen {
	s := &ReportScreen{OnReport: onReport, Async: async, reports: r, lang: pickLang(lang), t: storeOpsText(lang)}
	if s.lang == "" {
		s.lang = "en"
	}
	s.body = container.NewVBox()
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.x = newButton(s.t("reports.x"), theme.DocumentPrintIcon(), s.TakeX)
	s.z = newButton(s.t("reports.z"), theme.ConfirmIcon(), s.TapZ)
	s.z.Importance = widget.DangerImportance
	for _, b := range []*touchButton{s.x, s.z} {
		b.min = fyne.NewSize(MinTouch, 64)
	}
	s.content = container.NewBorder(
		widget.NewLabelWithStyle(s.t("reports.title")+" · "+s.t("reports.period"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewVBox(s.message, container.NewGridWithColumns(2, s.x, s.z)),
		nil, nil, container.NewVScroll(s.body))
	s.ExtendBaseWidget(s)
	s.Reload()
	return s
}

func (s *ReportScreen) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(s.content)
}

func (s *ReportScreen) run(f func(ctx context.Context)) {
	g := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f(ctx)
	}
	if s.Async != nil {
		s.Async(g)
		return
	}
	go g()
}

// Reload shows the period's figures so far.
func (s *ReportScreen) Reload() {
	s.run(func(ctx context.Context) {
		r, err := s.reports.PeekReport(ctx, flow.ReportX)
		fyne.Do(func() {
			if err != nil {
				fyne.LogError("reading the day's figures", err)
				s.message.SetText(s.t("reports.failed"))
				return
			}
			s.show(r)
		})
	})
}

// TakeX journals and hands over an X report.
func (s *ReportScreen) TakeX() {
	s.armed = false
	s.z.SetText(s.t("reports.z"))
	s.take(func(ctx context.Context) (flow.Report, error) { return s.reports.XReport(ctx) })
}

// TapZ arms the Z button on the first tap and closes the day on the
// second: closing the day cannot be undone.
func (s *ReportScreen) TapZ() {
	if s.CanClose != nil && !s.CanClose() {
		s.message.SetText(s.t("reports.manager"))
		return
	}
	if !s.armed {
		s.armed = true
		s.z.SetText(s.t("reports.z_confirm"))
		return
	}
	s.armed = false
	s.z.SetText(s.t("reports.z"))
	s.take(func(ctx context.Context) (flow.Report, error) { return s.reports.ZReport(ctx) })
}

func (s *ReportScreen) take(f func(context.Context) (flow.Report, error)) {
	s.x.Disable()
	s.z.Disable()
	s.run(func(ctx context.Context) {
		r, err := f(ctx)
		printErr := ErrNoPrinter
		if err == nil && s.OnReport != nil {
			printErr = s.OnReport(ctx, r)
		}
		var blocked *flow.ZBlockedError
		fyne.Do(func() {
			s.x.Enable()
			s.z.Enable()
			name := fmt.Sprintf("%s %d", r.Kind, r.Number)
			switch {
			case errors.Is(err, flow.ErrZReportTaken):
				s.message.SetText(s.t("reports.z_taken"))
			case errors.As(err, &blocked):
				n := blocked.Notice()
				s.message.SetText(tr{all: sharedTexts(), lang: s.lang}.T(n.Key, n.Args))
			case err != nil:
				fyne.LogError("taking a report", err)
				s.message.SetText(s.t("reports.failed"))
			case printErr == nil:
				s.message.SetText(s.t("reports.printed") + ": " + name)
				s.show(r)
			case errors.Is(printErr, ErrNoPrinter):
				s.message.SetText(name + ": " + s.t("reports.no_printer"))
				s.show(r)
			default:
				fyne.LogError("printing a report", printErr)
				s.message.SetText(name + ": " + s.t("reports.print_failed"))
				s.show(r)
			}
		})
	})
}

// ErrNoPrinter is what a report printer says when the till has none.
var ErrNoPrinter = errors.New("no receipt printer is set up")

func (s *ReportScreen) show(r flow.Report) {
	amt := func(m flow.Money) string { return flow.FormatAmount(m, s.lang) }
	row := func(label, value string) fyne.CanvasObject {
		v := widget.NewLabel(value)
		v.Alignment = fyne.TextAlignTrailing
		return container.NewBorder(nil, nil, widget.NewLabel(label), v)
	}
	tally := func(label string, t flow.Tally) fyne.CanvasObject {
		return row(fmt.Sprintf("%s (%d)", label, t.Count), amt(t.Amount))
	}
	heading := func(s string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	s.body.RemoveAll()
	s.body.Add(tally(s.t("reports.sales"), r.Sales))
	s.body.Add(tally(s.t("reports.returns"), r.Returns))
	net := row(s.t("reports.net"), amt(r.Net))
	s.body.Add(net)
	s.body.Add(widget.NewSeparator())
	s.body.Add(heading(s.t("reports.vat")))
	for _, v := range r.VAT {
		s.body.Add(row(fmt.Sprintf("  %d %%", v.Rate), amt(v.Gross)+"  ("+s.t("reports.vat")+" "+amt(v.VAT)+")"))
	}
	s.body.Add(heading(s.t("reports.payments")))
	for _, p := range r.Payments {
		name := p.Method
		if name == flow.PaymentVipps {
			name = "Vipps MobilePay"
		}
		s.body.Add(row(fmt.Sprintf("  %s (%d)", name, p.Count), amt(p.Amount)))
	}
	s.body.Add(heading(s.t("reports.cashiers")))
	for _, c := range r.Cashiers {
		name := c.Name
		if name == "" {
			name = "–"
		}
		s.body.Add(row("  "+name, amt(c.Sales.Amount-c.Returns.Amount)))
	}
	s.body.Add(widget.NewSeparator())
	s.body.Add(tally(s.t("reports.members"), r.Members))
	s.body.Add(tally(s.t("reports.nonmembers"), r.NonMembers))
	s.body.Add(tally(s.t("reports.discounts"), r.Discounts))
	s.body.Add(tally(s.t("reports.copies"), r.Copies))
	s.body.Add(row(s.t("reports.drawer"), fmt.Sprint(r.DrawerOpenings)))
	s.body.Add(tally(s.t("reports.voids"), r.Voids))
	s.body.Add(row(s.t("reports.grand"), amt(r.GrandTotalNet)))
}
